// The names of the experiment presets, and the names they replaced. Import-free, so a knob schema
// (notebook_params.ts, the CLI) checks a name without loading the trainers and tfjs. Not in the paper.
//
// An experiment preset sizes a whole run (world, SFT, RL, base zero-shot; presets.ts). It is not a
// model size: "builtin-small" / "builtin-large" name decoder dims (lib/model/config.ts presetConfig,
// the SFT config's `model`) and stay model names.

/** The experiment presets: "smoke" (tests, seconds) and "default" (the built-in model and world). */
export const EXPERIMENT_PRESET_NAMES = ["smoke", "default"] as const;

/** One of {@link EXPERIMENT_PRESET_NAMES}. */
export type ExperimentPresetName = typeof EXPERIMENT_PRESET_NAMES[number];

/** Old preset names and the name each became ("builtin-small" was the training preset's). */
export const RENAMED_PRESETS: Readonly<Record<string, ExperimentPresetName>> = {
  "builtin-small": "default",
};

/**
 * The error message for a renamed preset name, or undefined for any other value (a zod `error` hook:
 * undefined keeps zod's own "expected one of" message).
 * @example
 * ```ts
 * const message = renamedPresetMessage("builtin-small");
 * if (message !== 'preset "builtin-small" was renamed "default"') throw new Error(message);
 * if (renamedPresetMessage("smoke") !== undefined) throw new Error("smoke was not renamed");
 * ```
 */
export function renamedPresetMessage(input: unknown): string | undefined {
  if (typeof input !== "string" || !Object.hasOwn(RENAMED_PRESETS, input)) return undefined;
  return `preset ${JSON.stringify(input)} was renamed ${JSON.stringify(RENAMED_PRESETS[input])}`;
}

/**
 * `name` as a preset name; anything else fails naming `where`, and a renamed name its new name.
 * @example
 * ```ts
 * if (experimentPresetName("smoke", "demo") !== "smoke") throw new Error("expected smoke");
 * let message = "";
 * try {
 *   experimentPresetName("builtin-small", "demo");
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * if (!message.includes('renamed "default"')) throw new Error(message);
 * ```
 */
export function experimentPresetName(name: string, where: string): ExperimentPresetName {
  if ((EXPERIMENT_PRESET_NAMES as readonly string[]).includes(name)) {
    return name as ExperimentPresetName;
  }
  throw new Error(
    `${where}: ${
      renamedPresetMessage(name) ??
        `preset: expected one of ${EXPERIMENT_PRESET_NAMES.map((n) => `"${n}"`).join(", ")}, got ${
          JSON.stringify(name)
        }`
    }`,
  );
}
