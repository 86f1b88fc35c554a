// The distillation run of notebook 02 as one function, so notebook 06 (which shows 02's distillation
// next to the RL results) reads the same config instead of retyping it: 02's defaults live here, and
// tests/experiment/distill_runs_test.ts ties them to 02's parameters cell. Not in the paper.
import { type DistillConfig, parseDistillConfig, type VARIANTS } from "../distill/pipeline.ts";
import { type ExperimentPresetName, worldPreset } from "./presets.ts";

/** Notebook 02's Remap–Reflect–Adjust knobs at their defaults (the paper's λ, γ and n_r). */
export const DISTILL_NOTEBOOK_DEFAULTS = {
  variant: "full",
  lambda: 1,
  gamma: 0.5,
  n_r: 100,
} as const satisfies {
  variant: (typeof VARIANTS)[number];
  lambda: number;
  gamma: number;
  n_r: number;
};

/** What picks notebook 02's distillation: the world and subsample seeds, and any knob changed. */
export interface DistillRunKnobs {
  /** world size */
  preset: ExperimentPresetName;
  /** root seed of the world */
  seed: number;
  /** seed of the train subsample */
  subsample_seed: number;
  variant?: (typeof VARIANTS)[number];
  lambda?: number;
  gamma?: number;
  n_r?: number;
}

/**
 * The distillation config notebook 02 runs (and caches) for these knobs, scored on val and test; the
 * knobs left out take notebook 02's defaults.
 *
 * @example
 * ```ts
 * import { notebookDistillConfig } from "./distill_runs.ts";
 * const c = notebookDistillConfig({ preset: "smoke", seed: 1, subsample_seed: 0 });
 * if (c.n_r !== 100) throw new Error(`expected n_r 100, got ${c.n_r}`);
 * ```
 */
export function notebookDistillConfig(
  knobs: DistillRunKnobs,
  source = "notebook 02",
): DistillConfig {
  const d = DISTILL_NOTEBOOK_DEFAULTS; // other fields of `knobs` (a notebook's whole knob set) ignored
  return parseDistillConfig({
    source: { kind: "world", world: worldPreset(knobs.preset, { seed: knobs.seed }) },
    variant: knobs.variant ?? d.variant,
    lambda: knobs.lambda ?? d.lambda,
    gamma: knobs.gamma ?? d.gamma,
    n_r: knobs.n_r ?? d.n_r,
    seed: knobs.subsample_seed,
    evaluate: true,
  }, source);
}
