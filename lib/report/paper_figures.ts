// Paper-style RL tables and figures over seeds (notebook 06): per method, metric cells as mean ± sample std
// across seeds, grouped bars with error bars, per-rank reward curves and in-catalog drift averaged over seeds.

import { barChart, lineChart, meanStd } from "./charts.ts";
import type { Figure } from "./figure.ts";
import type { Row } from "./table.ts";
import type { RlRowLike } from "./training_figures.ts";

/** One (method, seed) run: its scalar metrics and its RL StepRecords ([] for a method without RL, e.g. SFT). */
export interface SeedRun {
  /** file-safe id, e.g. "rank-grpo-log" */
  method: string;
  /** table label, e.g. "Rank-GRPO (log)" */
  label: string;
  seed: number | null;
  metrics: Readonly<Record<string, number>>;
  rows: readonly RlRowLike[];
}

/** The runs grouped by method, in first-seen order. */
export function byMethod(
  runs: readonly SeedRun[],
): { method: string; label: string; runs: SeedRun[] }[] {
  const groups = new Map<string, { method: string; label: string; runs: SeedRun[] }>();
  for (const r of runs) {
    const g = groups.get(r.method) ?? { method: r.method, label: r.label, runs: [] };
    g.runs.push(r);
    groups.set(r.method, g);
  }
  return [...groups.values()];
}

/** A metric's values over runs, failing with the run that lacks it. */
function values(runs: readonly SeedRun[], metric: string): number[] {
  return runs.map((r) => {
    const v = r.metrics[metric];
    if (typeof v !== "number") {
      throw new Error(
        `lib/report/paper_figures.ts: run ${r.method} seed ${r.seed}: metrics.${metric}: expected a ` +
          `number, got ${JSON.stringify(v)} (has ${Object.keys(r.metrics).join(", ")})`,
      );
    }
    return v;
  });
}

/**
 * One table row per method: its seeds, then each metric as "mean ± std" over seeds (the mean alone for
 * one seed).
 * @example seedTableRows(runs, ["dcg"])[0] // { method: "GRPO", seeds: "0,1", dcg: "0.1234 ± 0.0100" }
 */
export function seedTableRows(
  runs: readonly SeedRun[],
  metrics: readonly string[],
  opts: { digits?: number } = {},
): Row[] {
  const digits = opts.digits ?? 4;
  return byMethod(runs).map((g) => ({
    method: g.label,
    seeds: g.runs.map((r) => r.seed ?? "—").join(","),
    ...Object.fromEntries(metrics.map((m) => {
      const { mean, std, n } = meanStd(values(g.runs, m));
      return [
        m,
        n <= 1 ? mean.toFixed(digits) : `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`,
      ];
    })),
  }));
}

/**
 * Grouped bars, one series per method, one category per metric: mean with ± std error bars over seeds.
 * @example await showFigure(seedBarChart(runs, ["recall@20", "ndcg@20"], { title: "Test metrics" }));
 */
export function seedBarChart(
  runs: readonly SeedRun[],
  metrics: readonly string[],
  opts: { title?: string; yTitle?: string } = {},
): Figure {
  const groups = byMethod(runs);
  if (groups.length === 0) {
    throw new Error("lib/report/paper_figures.ts: seedBarChart: runs: expected ≥1 run");
  }
  const seeds = Math.max(...groups.map((g) => g.runs.length));
  return barChart(
    groups.map((g) => ({
      name: g.label,
      bars: metrics.map((m) => ({ x: m, values: values(g.runs, m) })),
    })),
    {
      title: opts.title ?? `RL methods: mean ± std over ${seeds} seed${seeds === 1 ? "" : "s"}`,
      yTitle: opts.yTitle ?? "value",
    },
  );
}

/** Mean over runs of a per-step series (the shortest run sets the length). */
function meanSeries(series: readonly number[][]): number[] {
  const len = Math.min(...series.map((s) => s.length));
  return Array.from(
    { length: len },
    (_, i) => series.reduce((s, x) => s + x[i], 0) / series.length,
  );
}

/** The runs of a group that have RL steps. */
function withSteps(runs: readonly SeedRun[]): SeedRun[] {
  return runs.filter((r) => r.rows.length > 0);
}

/**
 * Per-rank training reward of one method, averaged over its seeds: one line per rank in `ranks`.
 * @example await showFigure(seedRankRewardChart(runs.filter((r) => r.method === "grpo")));
 */
export function seedRankRewardChart(
  runs: readonly SeedRun[],
  opts: { ranks?: readonly number[]; title?: string } = {},
): Figure {
  const rl = withSteps(runs);
  if (rl.length === 0) {
    throw new Error("lib/report/paper_figures.ts: seedRankRewardChart: runs: expected ≥1 RL run");
  }
  const ranks = opts.ranks ?? [1, 2, 5, 10, 15, 20];
  const n = rl[0].rows[0].rank_reward.length;
  const badRank = ranks.find((k) => !Number.isInteger(k) || k < 1 || k > n);
  if (badRank !== undefined) {
    throw new Error(
      `lib/report/paper_figures.ts: seedRankRewardChart: ranks: expected integers in 1..${n}, got ${badRank}`,
    );
  }
  return lineChart(
    ranks.map((k) => ({
      name: `rank ${k}`,
      y: meanSeries(rl.map((r) => r.rows.map((row) => row.rank_reward[k - 1]))),
    })),
    {
      title: opts.title ??
        `${rl[0].label}: per-rank training reward (mean over ${rl.length} seed${
          rl.length === 1 ? "" : "s"
        })`,
      xTitle: "RL step",
      yTitle: "mean reward at rank k (hit rate)",
    },
  );
}

/**
 * In-catalog share of the rollouts during RL, one line per method, averaged over its seeds.
 * @example await showFigure(seedDriftChart(runs));
 */
export function seedDriftChart(runs: readonly SeedRun[], opts: { title?: string } = {}): Figure {
  const groups = byMethod(withSteps(runs));
  if (groups.length === 0) {
    throw new Error("lib/report/paper_figures.ts: seedDriftChart: runs: expected ≥1 RL run");
  }
  return lineChart(
    groups.map((g) => ({
      name: g.label,
      y: meanSeries(g.runs.map((r) => r.rows.map((row) => row.in_catalog))),
    })),
    {
      title: opts.title ?? "In-catalog drift during RL (mean over seeds)",
      xTitle: "RL step",
      yTitle: "in-catalog share of generated items",
    },
  );
}
