// The plotly.js figure spec as plain JSON data (no DOM): what charts build, notebooks display and
// export writes. Not in the paper; the paper's figures are what these specs are used to redraw.

/** One plotly.js trace (`{type: "scatter", x, y, …}`); plain JSON, see plotly.js reference. */
export type PlotlyTrace = { type: string } & Record<string, unknown>;

/**
 * A plotly.js figure: traces, layout and config, all JSON-serialisable.
 * @example
 * const fig: Figure = { data: [{ type: "scatter", y: [1, 3, 2] }], layout: { title: { text: "t" } } };
 */
export interface Figure {
  data: PlotlyTrace[];
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/**
 * The figure's title text, or `fallback` when the layout has none.
 * @example figureTitle({ data: [], layout: { title: { text: "Reward" } } }) // "Reward"
 */
export function figureTitle(fig: Figure, fallback = "figure"): string {
  const title = fig.layout.title;
  if (typeof title === "string") return title;
  if (
    title && typeof title === "object" && typeof (title as { text?: unknown }).text === "string"
  ) {
    return (title as { text: string }).text;
  }
  return fallback;
}

/** Axis title layout fragment, or `{}` when no text is given. */
export function axisTitle(text: string | undefined): Record<string, unknown> {
  return text === undefined ? {} : { title: { text } };
}
