// Figures and the summary table of notebook 05's RL ablations: per sweep, the final-step rollout reward by
// variant (DCG@N and the per-rank reward at ranks 1/5/20); one table row per ablation run. Not in the paper.

import { barChart } from "./charts.ts";
import type { Figure } from "./figure.ts";
import type { Row } from "./table.ts";
import type { RlRowLike } from "./training_figures.ts";

/** One ablation run as these functions read it (lib/experiment/ablation_runs.ts AblationRun). */
export interface AblationRunLike {
  ablation: string;
  variant: string;
  config: { algo: string };
  rows: readonly RlRowLike[];
}

/** One sweep: the knob and its runs in value order. */
export interface AblationSweepLike {
  knob: string;
  runs: readonly AblationRunLike[];
}

/** The ranks whose reward the ablation figure and table show. */
export const ABLATION_RANKS: readonly number[] = [1, 5, 20];

/** The last StepRecord of a run, failing with the run's name when it has none. */
function lastRow(run: AblationRunLike): RlRowLike {
  const row = run.rows.at(-1);
  if (row === undefined) {
    throw new Error(
      `lib/report/ablation_figures.ts: run "${run.ablation}: ${run.variant}": rows: expected ≥1 step`,
    );
  }
  return row;
}

/** Mean of `f` over every step of a run. */
function stepMean(run: AblationRunLike, f: (r: RlRowLike) => number): number {
  lastRow(run);
  return run.rows.reduce((s, r) => s + f(r), 0) / run.rows.length;
}

/**
 * The final-step rollout reward of each variant of one sweep: x = variant, one bar series for DCG@N and
 * one per rank in `ranks` (the hit rate at rank k). One value per bar, so no error bars' spread.
 * @example await showFigure(ablationBars(await study.sweep("mu", [1, 2])));
 */
export function ablationBars(
  sweep: AblationSweepLike,
  opts: { ranks?: readonly number[]; title?: string } = {},
): Figure {
  const ranks = opts.ranks ?? ABLATION_RANKS;
  if (sweep.runs.length === 0) {
    throw new Error(`lib/report/ablation_figures.ts: ablationBars: ${sweep.knob}: no runs`);
  }
  const finals = sweep.runs.map((run) => ({ x: run.variant, row: lastRow(run) }));
  const n = finals[0].row.rank_reward.length;
  const badRank = ranks.find((k) => !Number.isInteger(k) || k < 1 || k > n);
  if (badRank !== undefined) {
    throw new Error(
      `lib/report/ablation_figures.ts: ablationBars: ranks: expected integers in 1..${n}, got ${badRank}`,
    );
  }
  const step = finals[0].row.step;
  return barChart([
    { name: "DCG@N", bars: finals.map((f) => ({ x: f.x, values: [f.row.dcg] })) },
    ...ranks.map((k) => ({
      name: `rank ${k}`,
      bars: finals.map((f) => ({ x: f.x, values: [f.row.rank_reward[k - 1]] })),
    })),
  ], {
    title: opts.title ?? `Ablation ${sweep.knob}: final-step rollout reward (step ${step})`,
    xTitle: sweep.knob,
    yTitle: "reward",
  });
}

/**
 * One row per run of every sweep: final-step rollout DCG@N, the per-rank reward at ranks 1/5/20
 * averaged over all steps, clip fractions (low/high) averaged over steps, final KL and in-catalog share.
 * @example console.log(formatTable(ablationSummaryRows(study.sweeps()), { digits: 3 }));
 */
export function ablationSummaryRows(sweeps: readonly AblationSweepLike[]): Row[] {
  return sweeps.flatMap((sweep) =>
    sweep.runs.map((run) => {
      const last = lastRow(run);
      return {
        ablation: sweep.knob,
        variant: run.variant,
        algo: run.config.algo,
        steps: last.step,
        dcg_final: last.dcg,
        ...Object.fromEntries(
          ABLATION_RANKS.map((k) => [
            `reward_r${k}`,
            stepMean(run, (r) => r.rank_reward[k - 1] ?? NaN),
          ]),
        ),
        clip_low: stepMean(run, (r) => r.clip_low),
        clip_high: stepMean(run, (r) => r.clip_high),
        kl_final: last.kl,
        in_catalog_final: last.in_catalog,
      };
    })
  );
}
