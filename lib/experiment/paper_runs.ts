// The (method, seed) runs behind notebook 06's RL table: the reproduction's <id>/result.json files (test
// metrics) when present, else cached smoke RL runs over seeds scored by final-step ROLLOUT metrics (no test).

import type { BackendName } from "../model/backend_names.ts";
import { join } from "node:path";
import { cachedRl, type CachedRunOptions, cachedSft, type RlBaseInput } from "./training_runs.ts";
import { experimentPreset } from "./presets.ts";
import { reporter } from "../notebook/progress.ts";
import { cachedTrainingInputs } from "./training_inputs.ts";
import { readStepRows } from "../train/run/metrics_log.ts";
import { readResults, REPRO_KS } from "./repro/driver.ts";
import { REPRO_METHODS, type ReproMethod } from "./repro/methods.ts";
import type { SeedRun } from "../report/paper_figures.ts";
import type { RlRowLike } from "../report/training_figures.ts";

/** The test metrics of a reproduction row shown in the table: Recall/NDCG@5..20, in-catalog share. */
export const REPRO_METRICS: readonly string[] = [
  ...REPRO_KS.flatMap((k) => [`recall@${k}`, `ndcg@${k}`]),
  "in_catalog",
];

/** The final-step rollout metrics of a smoke run: DCG@N, per-rank reward at 1/5/20, in-catalog share. */
export const ROLLOUT_METRICS: readonly string[] = [
  "dcg",
  "reward_r1",
  "reward_r5",
  "reward_r20",
  "in_catalog",
];

/**
 * The {@link ROLLOUT_METRICS} of a run's last StepRecord.
 * @example
 * ```ts
 * const row = {
 *   step: 2,
 *   rank_reward: [0.9, 0.5, 0.4, 0.3, 0.2],
 *   in_catalog: 0.75,
 *   dcg: 1.5,
 *   kl: 0,
 *   clip_low: 0,
 *   clip_high: 0,
 *   completion_len: 40,
 *   wall_s: 1,
 * };
 * const m = finalRolloutMetrics([{ ...row, step: 1, dcg: 1 }, row]);
 * if (m.dcg !== 1.5 || m.reward_r5 !== 0.2 || !Number.isNaN(m.reward_r20)) {
 *   throw new Error(JSON.stringify(m));
 * }
 * ```
 */
export function finalRolloutMetrics(rows: readonly RlRowLike[]): Record<string, number> {
  const last = rows.at(-1);
  if (last === undefined) {
    throw new Error("lib/experiment/paper_runs.ts: finalRolloutMetrics: rows: expected ≥1 step");
  }
  return {
    dcg: last.dcg,
    reward_r1: last.rank_reward[0],
    reward_r5: last.rank_reward[4] ?? NaN,
    reward_r20: last.rank_reward[19] ?? NaN,
    in_catalog: last.in_catalog,
  };
}

/**
 * The reproduction's runs from `<out>/<job id>/result.json` (and an older driver's `<out>/results.jsonl`;
 * see readResults in lib/experiment/repro/driver.ts), first row per (method, seed), with their RL StepRecords
 * read from each run folder's metrics.jsonl ([] for SFT); [] when there is no result yet.
 * @example A folder with no reproduction yet
 * ```ts
 * const out = await Deno.makeTempDir();
 * const runs = await reproSeedRuns(out);
 * if (runs.length !== 0) throw new Error(`expected no runs, got ${runs.length}`);
 * await Deno.remove(out);
 * ```
 */
export async function reproSeedRuns(out: string): Promise<SeedRun[]> {
  const seen = new Set<string>();
  const runs: SeedRun[] = [];
  for (const r of await readResults(out)) {
    const key = `${r.method}\u0000${r.seed}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const rows = r.run_dir === null
      ? []
      : (await readStepRows(join(r.run_dir, "metrics.jsonl"))).rows as unknown as RlRowLike[];
    runs.push({ method: r.method, label: r.label, seed: r.seed, metrics: r.metrics, rows });
  }
  return runs;
}

/**
 * Every (method, seed) RL run from `base` (one SFT init and step budget), each a {@link cachedRl} call
 * with a progress reporter, scored by {@link finalRolloutMetrics}. Methods: the reproduction's four.
 * @example Type-checked only (each (method, seed) is an RL training run)
 * ```ts
 * import type { RlBaseInput } from "./training_runs.ts";
 *
 * async function _runs(base: Omit<RlBaseInput, "seed">): Promise<number> {
 *   const runs = await cachedSeedRuns(base, { cacheDir: "runs/cache", seeds: [0, 1] });
 *   return runs.length; // 4 methods × 2 seeds
 * }
 * ```
 */
export async function cachedSeedRuns(
  base: Omit<RlBaseInput, "seed">,
  opts: CachedRunOptions & { seeds: readonly number[]; methods?: readonly ReproMethod[] },
): Promise<SeedRun[]> {
  const runs: SeedRun[] = [];
  for (const m of opts.methods ?? REPRO_METHODS) {
    for (const seed of opts.seeds) {
      const onStep = reporter({ label: `${m.label} seed ${seed}`, total: base.steps });
      const run = await cachedRl({ ...base, seed }, m.algo, {
        ...opts,
        onStep,
        ...(m.reward === undefined ? {} : { reward: m.reward }),
      });
      runs.push({
        method: m.id,
        label: m.label,
        seed,
        metrics: finalRolloutMetrics(run.rows),
        rows: run.rows,
      });
    }
  }
  return runs;
}

/** Where notebook 06's RL runs came from, and which metrics its table shows. */
export interface PaperRlRuns {
  /** "reproduction" (its result.json files, test split) | "smoke" (cached runs, final-step rollout metrics) */
  source: "reproduction" | "smoke";
  /** a one-line label for titles, saying SMOKE when the runs are the fallback */
  label: string;
  runs: SeedRun[];
  metrics: readonly string[];
}

/** Inputs of {@link paperRlRuns}'s fallback: the experiment preset's world, SFT and RL settings. */
export interface PaperRlOptions extends CachedRunOptions {
  /** the reproduction's output folder (one `<job id>/result.json` per finished job) */
  reproDir: string;
  /** experiment preset name (experimentPreset) of the fallback */
  preset: string;
  /** world and SFT seed of the fallback */
  seed: number;
  /** RL seeds of the fallback */
  seeds: readonly number[];
  /** RL steps; null = the preset's */
  steps: number | null;
  /** SFT checkpoint folder; "" = the preset's cached SFT */
  init: string;
  backend: BackendName;
}

/**
 * The reproduction's runs when `reproDir` holds results ({@link reproSeedRuns}); else the four methods
 * from ONE cached SFT init (the preset's SFT on the distilled demonstrations, or `init`) over `seeds`,
 * with every train-split record as RL prompts (as notebooks 04/05 and the demo), labelled SMOKE when
 * the preset is "smoke".
 * @example Type-checked only (without a reproduction it trains SFT and the RL runs)
 * ```ts
 * async function _paperRuns(): Promise<string> {
 *   const rl = await paperRlRuns({
 *     reproDir: "runs/repro",
 *     preset: "smoke",
 *     seed: 0,
 *     seeds: [0, 1],
 *     steps: null,
 *     init: "",
 *     backend: "wasm",
 *     cacheDir: "runs/cache",
 *   });
 *   return rl.label;
 * }
 * ```
 */
export async function paperRlRuns(opts: PaperRlOptions): Promise<PaperRlRuns> {
  const repro = await reproSeedRuns(opts.reproDir);
  if (repro.length > 0) {
    return {
      source: "reproduction",
      label: `reproduction, test split (${opts.reproDir})`,
      runs: repro,
      metrics: REPRO_METRICS,
    };
  }
  const presets = experimentPreset(opts.preset, { seed: opts.seed });
  const inputs = await cachedTrainingInputs(presets.world, opts);
  const init = opts.init !== "" ? opts.init : (await cachedSft(
    { ...presets.sft, ...inputs.sft, seed: opts.seed, backend: opts.backend },
    { ...opts, onStep: reporter({ label: "sft" }) },
  )).checkpoint;
  const base = {
    ...presets.rl,
    ...(opts.steps === null ? {} : { steps: opts.steps }),
    data: inputs.rl,
    catalog: inputs.sft.catalog,
    init,
    backend: opts.backend,
  };
  const runs = await cachedSeedRuns(base, { ...opts, seeds: opts.seeds });
  const tag = opts.preset === "smoke" ? "SMOKE" : opts.preset;
  return {
    source: "smoke",
    label: `${tag} runs, no reproduction found: final-step rollout metrics, not a test evaluation`,
    runs,
    metrics: ROLLOUT_METRICS,
  };
}
