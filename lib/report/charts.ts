// Line charts (one line per series, e.g. per-rank reward curves) and grouped bar charts with error
// bars (mean ± sample std across seeds) as plotly figure specs.

import { axisTitle, type Figure, type PlotlyTrace } from "./figure.ts";

/** One line of a {@link lineChart}. */
export interface LineSeries {
  /** Legend entry, e.g. "rank 1". */
  name: string;
  /** Values; non-finite values become gaps. */
  y: readonly number[];
  /** x positions (e.g. steps); @default 0, 1, 2, … */
  x?: readonly number[];
  /** Line dash; @default "solid" */
  dash?: "solid" | "dot" | "dash" | "dashdot";
  /** CSS colour; @default plotly's colour cycle */
  color?: string;
}

/** Options shared by the charts. */
export interface ChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Logarithmic y axis; @default false */
  logY?: boolean;
  /** Figure height in px; @default 420 */
  height?: number;
}

/** Finite numbers kept, anything else `null` (a gap in plotly). */
function gaps(values: readonly number[]): (number | null)[] {
  return values.map((v) => (Number.isFinite(v) ? v : null));
}

function baseLayout(opts: ChartOptions): Record<string, unknown> {
  return {
    ...(opts.title === undefined ? {} : { title: { text: opts.title } }),
    xaxis: axisTitle(opts.xTitle),
    yaxis: { ...axisTitle(opts.yTitle), ...(opts.logY ? { type: "log" } : {}) },
    height: opts.height ?? 420,
    margin: { l: 60, r: 20, t: opts.title === undefined ? 20 : 50, b: 50 },
  };
}

/**
 * A line chart with one line per series.
 * @example
 * const fig = lineChart(
 *   [{ name: "rank 1", x: [0, 10, 20], y: [0.1, 0.3, 0.4] }, { name: "rank 2", y: [0.05, 0.2, 0.3] }],
 *   { title: "Per-rank reward", xTitle: "step", yTitle: "reward" },
 * );
 */
export function lineChart(series: readonly LineSeries[], opts: ChartOptions = {}): Figure {
  const data: PlotlyTrace[] = series.map((s, i) => {
    if (s.x !== undefined && s.x.length !== s.y.length) {
      throw new Error(
        `lineChart: series[${i}] "${s.name}": x has ${s.x.length} values, expected ${s.y.length} (as y)`,
      );
    }
    return {
      type: "scatter",
      mode: "lines",
      name: s.name,
      x: s.x === undefined ? s.y.map((_, j) => j) : [...s.x],
      y: gaps(s.y),
      line: { dash: s.dash ?? "solid", ...(s.color === undefined ? {} : { color: s.color }) },
    };
  });
  return { data, layout: baseLayout(opts) };
}

/**
 * Mean and sample standard deviation (n − 1 denominator; 0 for a single value).
 * @example meanStd([1, 2, 3]) // { mean: 2, std: 1, n: 3 }
 */
export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: 0, n };
  const ss = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** One bar series of a {@link barChart}: per category, the raw values (one per seed). */
export interface BarSeries {
  /** Legend entry, e.g. "Rank-GRPO". */
  name: string;
  /** Categories in display order with their per-seed values. */
  bars: readonly { x: string; values: readonly number[] }[];
  color?: string;
}

/**
 * Grouped bars of the mean across seeds with ± sample-std error bars.
 * @example
 * const fig = barChart([
 *   { name: "GRPO", bars: [{ x: "recall@5", values: [0.10, 0.12, 0.11] }] },
 *   { name: "Rank-GRPO", bars: [{ x: "recall@5", values: [0.14, 0.15, 0.13] }] },
 * ], { title: "Recall across 3 seeds" });
 */
export function barChart(series: readonly BarSeries[], opts: ChartOptions = {}): Figure {
  const data: PlotlyTrace[] = series.map((s, i) => {
    const stats = s.bars.map((b, j) => {
      if (b.values.length === 0) {
        throw new Error(
          `barChart: series[${i}] "${s.name}": bars[${j}] "${b.x}": expected ≥1 value, got 0`,
        );
      }
      return meanStd(b.values);
    });
    return {
      type: "bar",
      name: s.name,
      x: s.bars.map((b) => b.x),
      y: stats.map((st) => st.mean),
      error_y: { type: "data", array: stats.map((st) => st.std), visible: true },
      customdata: stats.map((st) => st.n),
      hovertemplate:
        "%{x}: %{y:.4f} ± %{error_y.array:.4f} (n=%{customdata})<extra>%{fullData.name}</extra>",
      ...(s.color === undefined ? {} : { marker: { color: s.color } }),
    };
  });
  return { data, layout: { ...baseLayout(opts), barmode: "group" } };
}

/** One bar series of an {@link intervalBarChart}: per category a value and its interval. */
export interface IntervalBarSeries {
  name: string;
  bars: readonly { x: string; value: number; lo: number; hi: number }[];
  color?: string;
}

/**
 * Grouped bars with asymmetric error bars from given intervals (e.g. bootstrap 95% CIs).
 * @example intervalBarChart([{ name: "NDCG@20", bars: [{ x: "SFT", value: 0.1, lo: 0.09, hi: 0.11 }] }]);
 */
export function intervalBarChart(
  series: readonly IntervalBarSeries[],
  opts: ChartOptions = {},
): Figure {
  const data: PlotlyTrace[] = series.map((s) => ({
    type: "bar",
    name: s.name,
    x: s.bars.map((b) => b.x),
    y: s.bars.map((b) => b.value),
    error_y: {
      type: "data",
      symmetric: false,
      array: s.bars.map((b) => b.hi - b.value),
      arrayminus: s.bars.map((b) => b.value - b.lo),
      visible: true,
    },
    customdata: s.bars.map((b) => [b.lo, b.hi]),
    hovertemplate:
      "%{x}: %{y:.4f} [%{customdata[0]:.4f}, %{customdata[1]:.4f}]<extra>%{fullData.name}</extra>",
    ...(s.color === undefined ? {} : { marker: { color: s.color } }),
  }));
  return { data, layout: { ...baseLayout(opts), barmode: "group" } };
}
