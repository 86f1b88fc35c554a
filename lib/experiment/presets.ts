// The experiment presets: one registry of how big a run is, by name — the built-in world, the SFT
// and RL settings and the base zero-shot row. "smoke" (tests, seconds) and "default" (the built-in
// model on the default world). Not the paper's scale (its models are 0.5B–3B, 48·8 rollouts a step).
//
// Preset names are experiment sizes (preset_names.ts); the SFT config's `model` ("builtin-small",
// "smoke") is a model size, and the RL settings are lib/train/rl_loop/presets.ts's rlPreset.

import type { WorldConfigInput } from "../data/world/mod.ts";
import { BUILTIN_BASE_DIR } from "../model/builtin_base.ts";
import type { RlRunConfigInput } from "../train/rl_loop/config.ts";
import { rlPreset, type RlPresetName } from "../train/rl_loop/presets.ts";
import type { SftConfigInput } from "../train/sft/config.ts";
import { type ExperimentPresetName, experimentPresetName } from "./preset_names.ts";

export * from "./preset_names.ts";

/** World, SFT and RL settings of one experiment preset (paths, seeds and run folders are the caller's). */
export interface ExperimentPreset {
  /** a partial world config (the rest takes the world's defaults) */
  world: WorldConfigInput;
  sft: Partial<SftConfigInput>;
  /** RL settings; `steps` always set */
  rl: Partial<RlRunConfigInput> & { steps: number };
  /**
   * The "base zero-shot" row: the model SFT starts from, greedy on the first `conversations` test
   * conversations (null: all) — the base never learned to stop, so each list runs to the token cap
   */
  base_zero_shot: { init: string; conversations: number | null };
}

/** An RL preset with its step count checked present. */
function rlSettings(name: RlPresetName): ExperimentPreset["rl"] {
  const rl = rlPreset(name);
  if (rl.steps === undefined) {
    throw new Error(`lib/experiment/presets.ts: rlPreset("${name}").steps: expected a number`);
  }
  return { ...rl, steps: rl.steps };
}

/**
 * Every experiment preset.
 *
 * world — smoke keeps the full catalog and the time layout but draws ~8x fewer conversations;
 * default is the world's own defaults (1,500 train conversations).
 *
 * sft — default: fine-tuning of the shipped base (data/models/builtin-base, model size
 * builtin-small) at lr 3e-3, batch 8, 1 epoch (a 2.4M-parameter model fine-tunes at a far higher
 * rate than the paper's 5e-5 for 0.5B–3B; on the 1,500 distilled train conversations of the default
 * world, val NDCG@20 after one epoch was 0.062 at 3e-3 against 0.050 at 1e-3, 60 conversations,
 * data/REPRODUCTION.md session 6); init null (`--from-scratch`) trains the builtin-small dims from
 * fresh weights instead. smoke: the tiny "smoke" model from scratch, 6 steps.
 *
 * rl — rlPreset of the same name.
 */
export const EXPERIMENT_PRESETS: Readonly<Record<ExperimentPresetName, ExperimentPreset>> = {
  smoke: {
    world: { conversations: { train: 200, val: 30, test: 30 } },
    sft: {
      model: "smoke",
      lr: 3e-3,
      batch_size: 4,
      grad_accum: 1,
      max_steps: 6,
      max_seq_len: 384,
      warmup_ratio: 0.05,
      weight_decay: 0.01,
      eval_every: 0,
      eval_conversations: 4,
      eval_max_new_tokens: 24,
      save_every: 2,
    },
    rl: rlSettings("smoke"),
    base_zero_shot: { init: BUILTIN_BASE_DIR, conversations: 8 },
  },
  default: {
    world: {},
    sft: {
      init: BUILTIN_BASE_DIR,
      model: "builtin-small",
      lr: 3e-3,
      batch_size: 8,
      grad_accum: 1,
      epochs: 1,
      max_seq_len: 512,
      warmup_ratio: 0.05,
      weight_decay: 0.01,
      eval_every: 0,
      eval_conversations: 30,
      eval_max_new_tokens: 200,
      save_every: 50,
      // greedy decoding of a small LM repeats items (seen: one title 20 times); item-level UL fixes that
      unlikelihood_weight: 1,
    },
    rl: rlSettings("default"),
    base_zero_shot: { init: BUILTIN_BASE_DIR, conversations: 50 },
  },
};

/** Options of {@link experimentPreset} and {@link worldPreset}. */
export interface PresetOptions {
  /** Root seed of the world; @default the world's default seed */
  seed?: number;
}

/**
 * A fresh copy of a preset's settings, the world's seed set when given. An unknown name fails with
 * the valid ones, a renamed one ("builtin-small") with its new name (notebook knobs arrive as untyped
 * JSON through `--set`).
 * @example
 * ```ts
 * const preset = experimentPreset("smoke", { seed: 1 });
 * if (preset.sft.max_steps !== 6 || preset.world.seed !== 1) throw new Error("smoke preset");
 * ```
 */
export function experimentPreset(name: string, opts: PresetOptions = {}): ExperimentPreset {
  const preset = structuredClone(
    EXPERIMENT_PRESETS[experimentPresetName(name, "lib/experiment/presets.ts: experimentPreset")],
  );
  if (opts.seed !== undefined) preset.world = { ...preset.world, seed: opts.seed };
  return preset;
}

/**
 * The world config of a preset, with the seed set when given.
 * @example
 * ```ts
 * const world = worldPreset("smoke", { seed: 7 }); // generateWorld(world) builds it
 * if (world.seed !== 7) throw new Error(`expected seed 7, got ${world.seed}`);
 * ```
 */
export function worldPreset(name: string, opts: PresetOptions = {}): WorldConfigInput {
  return experimentPreset(name, opts).world;
}

/**
 * The SFT settings of a preset (data paths and run folder are the caller's).
 * @example
 * ```ts
 * import { parseSftConfig } from "../train/sft/config.ts";
 *
 * const sft = sftPreset("smoke");
 * if (sft.max_steps !== 6) throw new Error(`expected 6 steps, got ${sft.max_steps}`);
 * // with the caller's data paths and run folder it is a full SFT config:
 * const _config = (data: string, val: string, catalog: string, tokenizer: string) =>
 *   parseSftConfig({ ...sft, data, val, catalog, tokenizer, run_dir: "runs/smoke" });
 * ```
 */
export function sftPreset(name: string): Partial<SftConfigInput> {
  return experimentPreset(name).sft;
}
