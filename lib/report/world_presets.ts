// Named sizes of the built-in world for notebooks and tests: "default" (the world's own defaults) and
// "smoke" (a small world that generates and scores in well under a second). Not in the paper.

import type { WorldConfigInput } from "../data/world/mod.ts";

/** The preset names a notebook's `preset` knob accepts. */
export const WORLD_PRESET_NAMES = ["smoke", "default"] as const;

/** One preset name. */
export type WorldPresetName = typeof WORLD_PRESET_NAMES[number];

/**
 * Each preset as a partial world config (the rest takes the world's defaults). The smoke world keeps
 * the full catalog and the time layout but draws ~8x fewer conversations.
 */
export const WORLD_PRESETS: Readonly<Record<WorldPresetName, WorldConfigInput>> = {
  smoke: { conversations: { train: 200, val: 30, test: 30 } },
  default: {},
};

/** Options of {@link worldPreset}. */
export interface WorldPresetOptions {
  /** Root seed; @default the world's default seed */
  seed?: number;
}

/**
 * The world config of a named preset, with the seed set when given. An unknown name fails with the
 * list of valid ones (notebook knobs arrive as untyped JSON through `--set`).
 * @example
 * const world = await generateWorld(worldPreset("smoke", { seed: 7 }));
 */
export function worldPreset(name: string, opts: WorldPresetOptions = {}): WorldConfigInput {
  if (!(WORLD_PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(
      `lib/report/world_presets.ts: worldPreset: preset: expected one of ${
        WORLD_PRESET_NAMES.map((n) => `"${n}"`).join(", ")
      }, got ${JSON.stringify(name)}`,
    );
  }
  const base = WORLD_PRESETS[name as WorldPresetName];
  return opts.seed === undefined ? { ...base } : { ...base, seed: opts.seed };
}
