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
 * @example Outside a kernel (as under `deno test`) there is no API
 * ```ts
 * if (jupyterApi() !== undefined) throw new Error("expected no Jupyter kernel here");
 * ```
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
 * @example
 * ```ts
 * const where = inJupyter() ? "notebook" : "terminal";
 * if (where !== "terminal") throw new Error(`expected terminal, got ${where}`);
 * ```
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
 * @example With a stand-in kernel API that records what it is asked to display
 * ```ts
 * const shown: unknown[] = [];
 * const api = { display: (obj: unknown) => Promise.resolve(void shown.push(obj)) };
 * await showBundle({ "text/markdown": "**done**", "text/plain": "done" }, { api });
 * await showBundle({ "text/plain": "nothing" }); // outside Jupyter: a no-op
 * if (shown.length !== 1) throw new Error(`expected 1 display, got ${shown.length}`);
 * ```
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
 * @example
 * ```ts
 * await showPlotlyLibrary(); // in an early cell; outside Jupyter it does nothing
 * ```
 */
export async function showPlotlyLibrary(opts: ShowOptions = {}): Promise<void> {
  const api = opts.api ?? jupyterApi();
  if (api !== undefined) await showBundle(plotlyLibraryBundle(), { ...opts, api });
}

/**
 * Shows a plotly figure as its display bundle (plotly MIME + HTML); nothing outside Jupyter.
 * @example With a stand-in kernel API
 * ```ts
 * import { lineChart } from "../report/charts.ts";
 *
 * const shown: Record<string, unknown>[] = [];
 * const api = {
 *   display: (obj: unknown) => Promise.resolve(void shown.push(obj as Record<string, unknown>)),
 * };
 * await showFigure(lineChart([{ name: "loss", y: [3, 2, 1.5] }]), { api });
 * if (!("text/html" in shown[0])) throw new Error("expected an HTML rendering");
 * ```
 */
export async function showFigure(fig: Figure, opts: ShowOptions = {}): Promise<void> {
  await showBundle(figureBundle(fig), opts);
}
