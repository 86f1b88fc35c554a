// Distribution figures of a movie catalog (genre, release decade, popularity) and the counting helpers
// behind them, as plotly bar specs with the counts precomputed (so the figure JSON holds the numbers).

import type { WorldMovie } from "../data/world/mod.ts";
import { axisTitle, type Figure } from "./figure.ts";

/** A category with its count, in display order. */
export interface CategoryCount {
  label: string;
  count: number;
}

/** Options of {@link countBars}. */
export interface CountBarsOptions {
  title?: string;
  xTitle?: string;
  /** @default "count" */
  yTitle?: string;
  /** Horizontal bars (long labels such as genres); @default false */
  horizontal?: boolean;
  /** Figure height in px; @default 400 */
  height?: number;
}

/**
 * Counts labels, ordered by count (descending, ties by label) or by label when `byLabel` is set.
 * @example countLabels(["Drama", "Comedy", "Drama"]) // [{ label: "Drama", count: 2 }, { label: "Comedy", count: 1 }]
 */
export function countLabels(
  labels: readonly string[],
  opts: { byLabel?: boolean } = {},
): CategoryCount[] {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const out = [...counts].map(([label, count]) => ({ label, count }));
  const byLabel = (a: CategoryCount, b: CategoryCount) =>
    a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
  return out.sort(opts.byLabel ? byLabel : (a, b) => b.count - a.count || byLabel(a, b));
}

/**
 * A bar chart of precomputed counts (one trace; hover shows the count and the share of the total).
 * @example const fig = countBars([{ label: "1990s", count: 812 }], { title: "Release decade" });
 */
export function countBars(counts: readonly CategoryCount[], opts: CountBarsOptions = {}): Figure {
  const total = counts.reduce((a, c) => a + c.count, 0);
  const labels = counts.map((c) => c.label);
  const values = counts.map((c) => c.count);
  const share = counts.map((c) => (total === 0 ? 0 : c.count / total));
  const horizontal = opts.horizontal ?? false;
  const valueAxis = axisTitle(opts.yTitle ?? "count");
  const labelAxis = { ...axisTitle(opts.xTitle), type: "category" };
  return {
    data: [{
      type: "bar",
      orientation: horizontal ? "h" : "v",
      x: horizontal ? values : labels,
      y: horizontal ? labels : values,
      customdata: share,
      hovertemplate: horizontal
        ? "%{y}: %{x} (%{customdata:.1%})<extra></extra>"
        : "%{x}: %{y} (%{customdata:.1%})<extra></extra>",
    }],
    layout: {
      ...(opts.title === undefined ? {} : { title: { text: opts.title } }),
      xaxis: horizontal ? valueAxis : labelAxis,
      yaxis: horizontal ? { ...labelAxis, autorange: "reversed" } : valueAxis,
      height: opts.height ?? 400,
      margin: { l: horizontal ? 140 : 60, r: 20, t: opts.title === undefined ? 20 : 50, b: 50 },
      showlegend: false,
    },
  };
}

/**
 * The release decade label of a year.
 * @example decadeLabel(1995) // "1990s"
 */
export function decadeLabel(year: number): string {
  return `${Math.floor(year / 10) * 10}s`;
}

/**
 * Bins of log10(IMDB votes) of width `step` (e.g. 0.5 → "10^3.0–10^3.5"), ordered by bin, empty bins
 * left out; every movie lands in exactly one bin (votes below 1 count as 1).
 * @example popularityBins(world.catalog)[0] // { label: "10^1.5–10^2.0", count: 12 }
 */
export function popularityBins(
  movies: readonly Pick<WorldMovie, "meta">[],
  opts: { step?: number } = {},
): CategoryCount[] {
  const step = opts.step ?? 0.5;
  const bins = new Map<number, number>();
  for (const m of movies) {
    const b = Math.floor(Math.log10(Math.max(1, m.meta.imdb_votes)) / step);
    bins.set(b, (bins.get(b) ?? 0) + 1);
  }
  const fmt = (b: number) => (b * step).toFixed(1);
  return [...bins].sort((a, b) => a[0] - b[0]).map(([b, count]) => ({
    label: `10^${fmt(b)}–10^${fmt(b + 1)}`,
    count,
  }));
}

/**
 * Catalog movies per major genre, most common first.
 * @example await showFigure(genreBars(world.catalog));
 */
export function genreBars(movies: readonly WorldMovie[]): Figure {
  return countBars(countLabels(movies.map((m) => m.meta.genre)), {
    title: `Catalog by genre (${movies.length} movies)`,
    yTitle: "movies",
    horizontal: true,
    height: 460,
  });
}

/**
 * Catalog movies per release decade, oldest first.
 * @example await showFigure(decadeBars(world.catalog));
 */
export function decadeBars(movies: readonly WorldMovie[]): Figure {
  return countBars(countLabels(movies.map((m) => decadeLabel(m.year)), { byLabel: true }), {
    title: "Catalog by release decade",
    xTitle: "decade",
    yTitle: "movies",
  });
}

/**
 * Catalog movies per popularity bin (IMDB votes on a log10 scale, half-decade bins).
 * @example await showFigure(popularityBars(world.catalog));
 */
export function popularityBars(movies: readonly WorldMovie[]): Figure {
  return countBars(popularityBins(movies), {
    title: "Catalog by popularity (IMDB votes)",
    xTitle: "IMDB votes",
    yTitle: "movies",
  });
}
