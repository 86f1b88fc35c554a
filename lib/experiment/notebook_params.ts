// The knobs of each notebook's `parameters` cell as one strict zod schema per notebook, built from shared
// pieces so a knob accepts the same values in every notebook that has it (backend "auto" included). Each
// notebook parses its knobs with {@link parseNotebookParams} right after its imports, so a bad `--set`
// (or a bad edit in Jupyter) stops there with the notebook, the knob and what it accepts. Not in the paper.
import { z } from "zod";
import { parseStrictConfig } from "../data/strict_config.ts";
import { BACKEND_CHOICES } from "../model/backend_names.ts";
import { VARIANTS } from "../distill/pipeline.ts";
import { RL_ALGOS } from "../train/rl/algo_config.ts";
import { parseRewardSpec } from "../reward/rank_rewards.ts";
import { DEMONSTRATION_SOURCES } from "./training_inputs.ts";
import { EXPERIMENT_PRESET_NAMES, renamedPresetMessage } from "./preset_names.ts";

const seed = z.number().int();
const count = z.number().int().positive();
const optionalCount = count.nullable();
const folder = z.string();
const figureKnobs = {
  figures_dir: folder,
  figure_formats: z.array(z.enum(["svg", "png", "html"])),
};
const reward = z.string().refine((s) => {
  try {
    parseRewardSpec(s);
    return true;
  } catch {
    return false;
  }
}, 'expected "exp_inf", "log" or "exp:Γ" with Γ > 0 (e.g. "exp:2")');
// an old name fails naming its new one ('preset "builtin-small" was renamed "default"')
const preset = z.enum(EXPERIMENT_PRESET_NAMES, { error: (iss) => renamedPresetMessage(iss.input) });
const trainingKnobs = {
  seed,
  preset,
  backend: z.enum(BACKEND_CHOICES),
  cache_dir: folder,
  ...figureKnobs,
};

/** One strict schema per notebook, keyed by the notebook's file name without `.ipynb`. */
export const NOTEBOOK_PARAMS = {
  "00_smoke": z.strictObject({ title: z.string(), scale: z.number(), points: count }),
  "01_catalog_and_data": z.strictObject({
    seed,
    preset,
    split: z.enum(["train", "val", "test"]),
    ks: z.array(count).min(1),
    ...figureKnobs,
  }),
  "02_distill": z.strictObject({
    seed,
    subsample_seed: seed,
    preset,
    variant: z.enum(VARIANTS),
    lambda: z.number().nonnegative(),
    gamma: z.number().nonnegative(),
    n_r: count,
    drafts_shown: z.number().int().nonnegative(),
    cache_dir: folder,
    ...figureKnobs,
  }),
  "03_sft": z.strictObject({
    ...trainingKnobs,
    init: z.string().min(1, 'expected "base", "scratch" or a checkpoint folder'),
    epochs: optionalCount,
    max_steps: optionalCount,
    lr: z.number().positive().nullable(),
    eval_every: z.number().int().nonnegative().nullable(),
    demonstrations: z.enum(DEMONSTRATION_SOURCES),
  }),
  "04_rank_grpo": z.strictObject({
    ...trainingKnobs,
    baseline: z.enum(RL_ALGOS),
    algo: z.enum(RL_ALGOS),
    reward,
    steps: optionalCount,
    init: folder,
    demonstrations: z.enum(DEMONSTRATION_SOURCES),
  }),
  "05_ablations": z.strictObject({ ...trainingKnobs, steps: optionalCount, init: folder }),
  "06_figures": z.strictObject({
    ...trainingKnobs,
    seeds: z.array(seed).min(1),
    steps: optionalCount,
    init: folder,
    repro_dir: folder,
    distill_seed: seed,
    subsample_seed: seed,
  }),
} as const;

/** A notebook with a parameters schema. */
export type NotebookName = keyof typeof NOTEBOOK_PARAMS;

/** The parsed knobs of one notebook. */
export type NotebookParams<N extends NotebookName> = z.infer<(typeof NOTEBOOK_PARAMS)[N]>;

/**
 * Parses a notebook's knobs with its schema: returns them typed, or throws naming the notebook, each
 * offending knob and what it accepts (and any knob the schema does not know).
 *
 * @example
 * ```ts
 * import { parseNotebookParams } from "./notebook_params.ts";
 * const p = parseNotebookParams("00_smoke", { title: "smoke", scale: 2, points: 5 });
 * if (p.points !== 5) throw new Error(`expected 5 points, got ${p.points}`);
 * ```
 */
export function parseNotebookParams<N extends NotebookName>(
  notebook: N,
  values: Record<string, unknown>,
): NotebookParams<N> {
  if (!Object.hasOwn(NOTEBOOK_PARAMS, notebook)) {
    throw new Error(
      `lib/experiment/notebook_params.ts: parseNotebookParams: no schema for notebook ${
        JSON.stringify(notebook)
      }; expected one of ${Object.keys(NOTEBOOK_PARAMS).join(", ")}`,
    );
  }
  return parseStrictConfig(
    NOTEBOOK_PARAMS[notebook],
    values,
    `notebooks/${notebook}.ipynb: parameters cell (or --set)`,
  ) as NotebookParams<N>;
}
