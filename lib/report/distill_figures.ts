// Tables and plotly figures of a distillation run (lib/distill/pipeline.ts `distill` with evaluation):
// teacher vs full vs each ablation, Adjust's loss curve, per-stage timings, and a before/after comparison
// of two runs that differ in one argument. Not in the paper; it redraws the paper's ablation table.

import type { DistillResult } from "../distill/pipeline.ts";
import type { ScoreSummary } from "../reward/score.ts";
import { barChart, lineChart } from "./charts.ts";
import type { Figure } from "./figure.ts";
import type { Row } from "./table.ts";

/** The methods of an evaluation in display order, with their labels (data/README.md's names). */
export const DISTILL_METHODS: readonly { key: string; label: string }[] = [
  { key: "teacher", label: "teacher zero-shot (raw)" },
  { key: "full", label: "full (Remap → Reflect → Adjust)" },
  { key: "no-adjust", label: "−adjust" },
  { key: "no-reflect", label: "−reflect (Remap → Adjust)" },
  { key: "no-remap-reflect", label: "−remap&reflect (teacher ∩ catalog)" },
];

/** The evaluation's result subset these functions read (a cached result is plain JSON). */
export type DistillRun = Pick<
  DistillResult,
  "config" | "evaluation" | "adjust" | "stages" | "topk"
>;

/** The metrics of one split, failing with what is missing (evaluation off, split not distilled). */
function splitMetrics(run: DistillRun, split: string): Record<string, ScoreSummary> {
  const ev = run.evaluation?.[split];
  if (ev === undefined) {
    throw new Error(
      `lib/report/distill_figures.ts: evaluation.${split}: missing (run distill with evaluate: true ` +
        `and "${split}" in splits; evaluated: ${
          Object.keys(run.evaluation ?? {}).join(", ") || "none"
        })`,
    );
  }
  return ev;
}

/** One summary as flat metric columns: R@k…, N@k…, in_catalog, format_violations. */
function metricColumns(s: ScoreSummary): Record<string, number> {
  return {
    ...Object.fromEntries(Object.entries(s.recall).map(([k, v]) => [`R@${k}`, v])),
    ...Object.fromEntries(Object.entries(s.ndcg).map(([k, v]) => [`N@${k}`, v])),
    in_catalog: s.in_catalog,
    format_violations: s.format_violations,
  };
}

/** One summary as bar categories (Recall@k, NDCG@k, in-catalog share, format violations). */
function metricBars(s: ScoreSummary): { x: string; values: number[] }[] {
  return [
    ...Object.entries(s.recall).map(([k, v]) => ({ x: `Recall@${k}`, values: [v] })),
    ...Object.entries(s.ndcg).map(([k, v]) => ({ x: `NDCG@${k}`, values: [v] })),
    { x: "in-catalog share", values: [s.in_catalog] },
    { x: "format violations", values: [s.format_violations] },
  ];
}

/**
 * One row per method (teacher raw, full, each ablation) on `split`; `built` marks the variant whose
 * demonstrations the run wrote.
 * @example console.log(formatTable(distillMetricRows(result)));
 */
export function distillMetricRows(run: DistillRun, opts: { split?: string } = {}): Row[] {
  const ev = splitMetrics(run, opts.split ?? "val");
  return DISTILL_METHODS.filter((m) => ev[m.key] !== undefined).map((m) => ({
    method: m.label,
    ...metricColumns(ev[m.key]),
    records: ev[m.key].records,
    built: m.key === run.config.variant ? "◀" : "",
  }));
}

/**
 * Grouped bars: one series per method, one group per metric (Recall/NDCG@k, in-catalog share, format
 * violations).
 * @example await showFigure(distillMetricBars(result));
 */
export function distillMetricBars(run: DistillRun, opts: { split?: string } = {}): Figure {
  const split = opts.split ?? "val";
  const ev = splitMetrics(run, split);
  const present = DISTILL_METHODS.filter((m) => ev[m.key] !== undefined);
  return barChart(
    present.map((m) => ({ name: m.label, bars: metricBars(ev[m.key]) })),
    {
      title: `Distillation ablations on ${split} (${ev[present[0]?.key]?.records ?? 0} records)`,
      yTitle: "score / share",
    },
  );
}

/**
 * Adjust's objective per L-BFGS iteration (index 0 = w = 1, b = 0); the title says whether it converged.
 * @example await showFigure(adjustLossChart(result));
 */
export function adjustLossChart(run: DistillRun): Figure {
  const fit = run.adjust;
  if (fit === null) {
    throw new Error(
      `lib/report/distill_figures.ts: adjustLossChart: adjust: null (variant "${run.config.variant}" ` +
        "without evaluation runs no Adjust)",
    );
  }
  const state = fit.converged
    ? `converged in ${fit.iterations} iterations`
    : `NOT converged after ${fit.iterations} iterations`;
  return lineChart([{ name: "Adjust objective", y: fit.losses }], {
    title: `Adjust loss (${state}, max|∇| ${fit.gradMax.toExponential(1)})`,
    xTitle: "L-BFGS iteration",
    yTitle: "mean NLL + penalties",
  });
}

/**
 * Seconds per pipeline stage as bars (one run).
 * @example await showFigure(stageTimingBars(result));
 */
export function stageTimingBars(run: DistillRun): Figure {
  const total = run.stages.reduce((a, s) => a + s.seconds, 0);
  return barChart(
    [{ name: "wall time", bars: run.stages.map((s) => ({ x: s.stage, values: [s.seconds] })) }],
    { title: `Time per stage (${total.toFixed(2)} s in all)`, yTitle: "seconds" },
  );
}

/**
 * Stage rows (stage, seconds, counts as text) for a printed table.
 * @example console.log(formatTable(stageRows(result)));
 */
export function stageRows(run: DistillRun): Row[] {
  return run.stages.map((s) => ({
    stage: s.stage,
    seconds: s.seconds,
    counts: Object.entries(s.counts).map(([k, v]) => `${k}=${v}`).join(" "),
  }));
}

/**
 * Which top-k path Remap ran and why, as one line.
 * @example console.log(topkLine(result)); // "Remap top-k: cpu — no GPU device (…)"
 */
export function topkLine(run: DistillRun): string {
  return `Remap top-k: ${run.topk.path} (config gpu: "${run.config.gpu}") — ${run.topk.reason}`;
}

/**
 * The config fields that differ between two runs, as `path: old → new` (nested paths dotted).
 * @example configDiff({ gamma: 0.5, n_r: 100 }, { gamma: 1, n_r: 100 }) // ["gamma: 0.5 → 1"]
 */
export function configDiff(a: unknown, b: unknown, path = ""): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configDiff(a[k], b[k], path === "" ? k : `${path}.${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b)
    ? []
    : [`${path || "(root)"}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}

/** Options of {@link compareRows} and {@link compareBars}. */
export interface CompareOptions {
  /** @default "val" */
  split?: string;
  /** Methods to compare; @default ["full", the variant of either run if another] */
  methods?: readonly string[];
}

function compared(before: DistillRun, after: DistillRun, opts: CompareOptions) {
  const split = opts.split ?? "val";
  const methods = opts.methods ??
    [...new Set(["full", before.config.variant, after.config.variant])];
  const diff = configDiff(before.config, after.config);
  const change = diff.length === 0 ? "same config" : diff.join(", ");
  const runs = [
    { label: "before", ev: splitMetrics(before, split) },
    { label: `after (${change})`, ev: splitMetrics(after, split) },
  ];
  const label = (key: string) => DISTILL_METHODS.find((m) => m.key === key)?.label ?? key;
  return { split, methods, change, runs, label };
}

/**
 * Two runs side by side: one row per (method, run), the second run labelled by its config change.
 * @example console.log(formatTable(compareRows(result, rerun)));
 */
export function compareRows(
  before: DistillRun,
  after: DistillRun,
  opts: CompareOptions = {},
): Row[] {
  const c = compared(before, after, opts);
  return c.methods.flatMap((m) =>
    c.runs.filter((r) => r.ev[m] !== undefined).map((r) => ({
      method: c.label(m),
      run: r.label,
      ...metricColumns(r.ev[m]),
    }))
  );
}

/**
 * Grouped bars of two runs: one series per (run, method), one group per metric.
 * @example await showFigure(compareBars(result, rerun));
 */
export function compareBars(
  before: DistillRun,
  after: DistillRun,
  opts: CompareOptions = {},
): Figure {
  const c = compared(before, after, opts);
  return barChart(
    c.methods.flatMap((m) =>
      c.runs.filter((r) => r.ev[m] !== undefined).map((r) => ({
        name: `${c.label(m)}: ${r.label}`,
        bars: metricBars(r.ev[m]),
      }))
    ),
    { title: `Before vs after: ${c.change} (${c.split})`, yTitle: "score / share" },
  );
}
