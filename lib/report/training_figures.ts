// Figures and tables of SFT and RL runs (notebooks 03/04): SFT train/eval loss and eval metrics per eval,
// per-rank training reward curves (one line per rank), in-catalog drift per algorithm, a final table.

import { lineChart, type LineSeries } from "./charts.ts";
import type { Figure } from "./figure.ts";
import type { Row } from "./table.ts";

/** A metrics.jsonl row as these functions read it (lib/train/run/metrics_log.ts StepRow). */
export interface MetricsRow {
  step: number;
  phase: string;
  [field: string]: unknown;
}

/** The RL StepRecord fields read here (lib/train/rl_loop/step_record.ts). */
export interface RlRowLike {
  step: number;
  rank_reward: readonly number[];
  in_catalog: number;
  dcg: number;
  kl: number;
  clip_low: number;
  clip_high: number;
  completion_len: number;
  wall_s: number;
}

/** One RL run for the RL figures: a legend label and its StepRecords in step order. */
export interface RlRunLike {
  label: string;
  rows: readonly RlRowLike[];
}

/** The ranks whose training reward notebook 04 draws. */
export const RANKS_SHOWN: readonly number[] = [1, 2, 5, 10, 15, 20];

/** A numeric field of a row, NaN when absent or not a number (a gap in the chart). */
function num(row: MetricsRow, field: string): number {
  const v = row[field];
  return typeof v === "number" ? v : NaN;
}

/** Lines drawn with markers too, so a series with one point (one eval) is visible. */
function withMarkers(fig: Figure): Figure {
  return { ...fig, data: fig.data.map((t) => ({ ...t, mode: "lines+markers" })) };
}

/** The eval metric columns of rows, in order: recall@k…, ndcg@k… (k ascending), in_catalog. */
export function evalMetricNames(rows: readonly MetricsRow[]): string[] {
  const names = new Set<string>();
  for (const r of rows) {
    if (r.phase !== "eval") continue;
    for (const k of Object.keys(r)) if (/^(recall|ndcg)@\d+$/.test(k)) names.add(k);
  }
  const at = (n: string) => Number(n.split("@")[1]);
  const sorted = [...names].sort((a, b) =>
    a.split("@")[0] === b.split("@")[0] ? at(a) - at(b) : (a < b ? 1 : -1)
  );
  return [...sorted, "in_catalog"];
}

/**
 * SFT loss per step: the training loss of every step and the validation loss at every eval.
 * @example await showFigure(sftLossChart(sft.rows));
 */
export function sftLossChart(rows: readonly MetricsRow[], opts: { title?: string } = {}): Figure {
  const train = rows.filter((r) => r.phase === "train");
  const evals = rows.filter((r) => r.phase === "eval");
  if (train.length === 0) {
    throw new Error('lib/report/training_figures.ts: sftLossChart: rows: no phase "train" rows');
  }
  return withMarkers(lineChart([
    { name: "train loss", x: train.map((r) => r.step), y: train.map((r) => num(r, "loss")) },
    { name: "eval loss", x: evals.map((r) => r.step), y: evals.map((r) => num(r, "loss")) },
  ], {
    title: opts.title ??
      `SFT loss (${train.length} steps, ${evals.length} eval${evals.length === 1 ? "" : "s"})`,
    xTitle: "step",
    yTitle: "cross-entropy (nats/token)",
  }));
}

/**
 * SFT eval metrics at each eval: one line per Recall@k, NDCG@k and the in-catalog share.
 * @example await showFigure(sftEvalChart(sft.rows));
 */
export function sftEvalChart(rows: readonly MetricsRow[], opts: { title?: string } = {}): Figure {
  const evals = rows.filter((r) => r.phase === "eval");
  if (evals.length === 0) {
    throw new Error('lib/report/training_figures.ts: sftEvalChart: rows: no phase "eval" rows');
  }
  const series: LineSeries[] = evalMetricNames(evals).map((name) => ({
    name: name === "in_catalog" ? "in-catalog share" : name.replace("recall", "Recall")
      .replace("ndcg", "NDCG"),
    x: evals.map((r) => r.step),
    y: evals.map((r) => num(r, name)),
    ...(name === "in_catalog" ? { dash: "dot" as const } : {}),
  }));
  return withMarkers(lineChart(series, {
    title: opts.title ?? `SFT eval metrics (${num(evals[0], "conversations")} val conversations)`,
    xTitle: "step",
    yTitle: "value",
  }));
}

/**
 * One table row per SFT eval: step, eval loss, each Recall/NDCG@k, in-catalog share, violations.
 * @example console.log(formatTable(sftEvalRows(sft.rows), { digits: 3 }));
 */
export function sftEvalRows(rows: readonly MetricsRow[]): Row[] {
  const evals = rows.filter((r) => r.phase === "eval");
  const names = evalMetricNames(evals);
  return evals.map((r) => ({
    step: r.step,
    eval_loss: num(r, "loss"),
    ...Object.fromEntries(names.map((n) => [n, num(r, n)])),
    format_violations: num(r, "format_violations"),
  }));
}

/**
 * Per-rank training reward of one RL run (the exp∞ per-rank reward, i.e. the hit rate at rank k, for
 * every algorithm): one line per rank in `ranks`.
 * @example await showFigure(rankRewardChart(run)); // ranks 1, 2, 5, 10, 15, 20
 */
export function rankRewardChart(
  run: RlRunLike,
  opts: { ranks?: readonly number[]; title?: string } = {},
): Figure {
  const ranks = opts.ranks ?? RANKS_SHOWN;
  const n = run.rows[0]?.rank_reward.length ?? 0;
  const bad = ranks.find((k) => !Number.isInteger(k) || k < 1 || k > n);
  if (bad !== undefined) {
    throw new Error(
      `lib/report/training_figures.ts: rankRewardChart: ranks: expected integers in 1..${n} ` +
        `(the run's list length), got ${bad} (run "${run.label}", ${run.rows.length} rows)`,
    );
  }
  const x = run.rows.map((r) => r.step);
  return withMarkers(lineChart(
    ranks.map((k) => ({ name: `rank ${k}`, x, y: run.rows.map((r) => r.rank_reward[k - 1]) })),
    {
      title: opts.title ?? `Per-rank training reward: ${run.label}`,
      xTitle: "RL step",
      yTitle: "mean reward at rank k (hit rate)",
    },
  ));
}

/**
 * In-catalog share of the generated items during RL, one line per run.
 * @example await showFigure(inCatalogDriftChart([grpo, rankGrpo]));
 */
export function inCatalogDriftChart(
  runs: readonly RlRunLike[],
  opts: { title?: string } = {},
): Figure {
  if (runs.length === 0) {
    throw new Error("lib/report/training_figures.ts: inCatalogDriftChart: runs: expected ≥1 run");
  }
  return withMarkers(lineChart(
    runs.map((run) => ({
      name: run.label,
      x: run.rows.map((r) => r.step),
      y: run.rows.map((r) => r.in_catalog),
    })),
    {
      title: opts.title ?? `In-catalog drift during RL (${runs.map((r) => r.label).join(" vs ")})`,
      xTitle: "RL step",
      yTitle: "in-catalog share of generated items",
    },
  ));
}

/** Mean of `f` over the last `last` rows (all rows when fewer). */
function tailMean(rows: readonly RlRowLike[], last: number, f: (r: RlRowLike) => number): number {
  const tail = rows.slice(-Math.max(1, last));
  return tail.reduce((s, r) => s + f(r), 0) / tail.length;
}

/**
 * The final comparison: one row per run with the mean over its last `last` steps of the per-rank
 * reward at ranks 1/5/20, DCG@N, KL and clip fraction, and the in-catalog share at the first and last step.
 * @example console.log(formatTable(rlComparisonRows([grpo, rankGrpo]), { digits: 3 }));
 */
export function rlComparisonRows(
  runs: readonly RlRunLike[],
  opts: { last?: number } = {},
): Row[] {
  const last = opts.last ?? 3;
  return runs.map((run) => {
    if (run.rows.length === 0) {
      throw new Error(
        `lib/report/training_figures.ts: rlComparisonRows: run "${run.label}": no step rows`,
      );
    }
    const m = (f: (r: RlRowLike) => number) => tailMean(run.rows, last, f);
    return {
      method: run.label,
      steps: run.rows.at(-1)!.step,
      reward_r1: m((r) => r.rank_reward[0]),
      reward_r5: m((r) => r.rank_reward[4] ?? NaN),
      reward_r20: m((r) => r.rank_reward[19] ?? NaN),
      dcg: m((r) => r.dcg),
      in_catalog_first: run.rows[0].in_catalog,
      in_catalog_last: run.rows.at(-1)!.in_catalog,
      kl: m((r) => r.kl),
      clip: m((r) => r.clip_low + r.clip_high),
      completion_len: m((r) => r.completion_len),
      wall_s: run.rows.at(-1)!.wall_s,
    };
  });
}
