// Running experiments: cached training runs and their inputs, the content-addressed cache, checkpoint
// evaluation, ablation and paper runs, and the reproduction driver. Notebooks and the CLI call these;
// display lives in notebook/, figures in report/.

export * from "./cache.ts";
export * from "./presets.ts";
export * from "./training_runs.ts";
export * from "./training_inputs.ts";
export * from "./checkpoint_eval.ts";
export * from "./ablation_runs.ts";
export * from "./paper_runs.ts";
export { runReproduction } from "./repro/driver.ts";
export { writeReproReport } from "./repro/report.ts";
export { REPRO_METHODS, type ReproMethod, selectMethods } from "./repro/methods.ts";
export * from "./notebook_params.ts";
export * from "./distill_runs.ts";
