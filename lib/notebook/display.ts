// The only code that touches Deno.jupyter: detects the kernel, shows figure bundles and HTML, and
// updates displays in place. Outside a Jupyter kernel the show functions do nothing (check inJupyter()).

import type { Figure } from "../report/figure.ts";
import { type DisplayBundle, figureBundle, plotlyLibraryBundle } from "../report/figure_html.ts";

/** The kernel API subset used here (`Deno.jupyter`). */
export interface JupyterApi {
  display(
    obj: unknown,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

/**
 * `Deno.jupyter` inside a `deno jupyter` kernel, else undefined (outside a kernel the property
 * getter throws; that is caught here).
 * @example if (jupyterApi() === undefined) console.log("not in Jupyter");
 */
export function jupyterApi(): JupyterApi | undefined {
  try {
    const api = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
    return typeof api?.display === "function" ? api : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether this code runs in a Jupyter kernel.
 * @example const where = inJupyter() ? "notebook" : "terminal";
 */
export function inJupyter(): boolean {
  return jupyterApi() !== undefined;
}

/** Options of {@link showBundle}. */
export interface ShowOptions {
  /** Display id for later in-place updates. */
  displayId?: string;
  /** Replace the display with this id instead of adding an output; @default false */
  update?: boolean;
  /** Kernel API; @default jupyterApi() */
  api?: JupyterApi;
}

/**
 * Shows a raw MIME bundle; does nothing outside Jupyter. Resolves to undefined, so a cell ending
 * in a show call prints no value.
 * @example await showBundle({ "text/markdown": "**done**", "text/plain": "done" });
 */
export async function showBundle(bundle: DisplayBundle, opts: ShowOptions = {}): Promise<void> {
  const api = opts.api ?? jupyterApi();
  if (api === undefined) return;
  await api.display(bundle, {
    raw: true,
    ...(opts.update ? { update: true } : {}),
    ...(opts.displayId === undefined ? {} : { display_id: opts.displayId }),
  });
}

/**
 * Loads plotly.js (inline, offline) into the notebook page once, so the `text/html` renderings of
 * figures draw in the classic Notebook and in nbconvert's HTML export. Put it in an early cell.
 * @example await showPlotlyLibrary();
 */
export async function showPlotlyLibrary(opts: ShowOptions = {}): Promise<void> {
  const api = opts.api ?? jupyterApi();
  if (api !== undefined) await showBundle(plotlyLibraryBundle(), { ...opts, api });
}

/**
 * Shows a plotly figure as its display bundle (plotly MIME + HTML); nothing outside Jupyter.
 * @example await showFigure(lineChart([{ name: "loss", y: [3, 2, 1.5] }]));
 */
export async function showFigure(fig: Figure, opts: ShowOptions = {}): Promise<void> {
  await showBundle(figureBundle(fig), opts);
}
