// Figure → HTML: a self-rendering <div>+<script> fragment, a Jupyter display bundle (plotly MIME plus
// that HTML, so nbconvert's HTML export shows figures too) and a standalone offline HTML page.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Figure, figureTitle } from "./figure.ts";

const PLOTLY_FILE = join("node_modules", "plotly.js-dist-min", "plotly.min.js");

/**
 * Whether `path` exists, a path this process may not read counting as absent (existsSync throws
 * NotCapable / PermissionDenied there), so least-privilege callers need read access to the real path only.
 * @example readableExists("/no/such/file") // false
 */
export function readableExists(path: string): boolean {
  try {
    return existsSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return false;
    }
    throw e;
  }
}

/**
 * Path of plotly.js-dist-min's `plotly.min.js`, searched in `node_modules/` upward from this module,
 * then from the current directory; a candidate without read permission is skipped (absent). Throws
 * naming the folders searched when it is absent.
 * @example const path = plotlyJsPath(); // ".../node_modules/plotly.js-dist-min/plotly.min.js"
 */
export function plotlyJsPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // the current directory only when the module's ancestors lack it (Deno.cwd needs read permission)
  const starts = [() => here, () => Deno.cwd()];
  const searched: string[] = [];
  for (const startOf of starts) {
    const start = startOf();
    searched.push(start);
    for (let dir = resolve(start);; dir = dirname(dir)) {
      const candidate = join(dir, PLOTLY_FILE);
      if (readableExists(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(
    `lib/report/figure_html.ts: ${PLOTLY_FILE} not found above ${searched.join(" or ")}; ` +
      `expected deno.json's "plotly.js-dist-min" installed (nodeModulesDir "auto"; run deno install)`,
  );
}

/**
 * The plotly.js library source (≈4.8 MB), read from node_modules.
 * @example const js = readPlotlyJs(); js.includes("Plotly") // true
 */
export function readPlotlyJs(): string {
  return readFileSync(plotlyJsPath(), "utf8");
}

/** JSON safe to place inside a <script> element (no `</script>`, no U+2028/9). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A <script> element holding `js` inline (any `</script` inside is escaped). */
export function inlineScript(js: string): string {
  return `<script>${js.replace(/<\/script/gi, "<\\/script")}</script>`;
}

/**
 * FNV-1a 32-bit hash as 8 hex digits (stable figure ids without randomness).
 * @example fnv1a("abc") // "1a47e90b"
 */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * An HTML fragment that draws `fig` with the page's `window.Plotly` (waiting up to 10 s for it to
 * load). Divs are found by a content hash and marked once drawn, so the same figure shown twice on
 * one page draws twice and no random ids are needed.
 * @example const html = figureDiv({ data: [{ type: "bar", y: [1, 2] }], layout: {} });
 */
export function figureDiv(fig: Figure): string {
  const json = scriptJson({ data: fig.data, layout: fig.layout, config: fig.config ?? {} });
  const key = fnv1a(json);
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 450;
  const script = `(function () {
  var fig = ${json};
  var sel = 'div[data-convrec-figure="${key}"]:not([data-rendered])';
  var tries = 0;
  function draw() {
    var el = document.querySelector(sel);
    if (!el) return;
    if (!window.Plotly) {
      var missing = window.convrecPlotlyMissing;
      if (!missing && ++tries < 200) { setTimeout(draw, 50); return; }
      el.setAttribute("data-rendered", "error");
      el.textContent = missing
        ? "plotly.js did not load from " + missing + ": keep that file beside this page."
        : "plotly.js is not loaded on this page: display it first (lib/notebook showPlotlyLibrary).";
      return;
    }
    el.setAttribute("data-rendered", "1");
    window.Plotly.newPlot(el, fig.data, fig.layout, Object.assign({ responsive: true }, fig.config));
  }
  draw();
})();`;
  return `<div class="convrec-figure" data-convrec-figure="${key}" style="width:100%;height:${height}px"></div>\n` +
    inlineScript(script);
}

/** A Jupyter display bundle (MIME type → data). */
export type DisplayBundle = Record<string, string | object>;

/**
 * The notebook display bundle of a figure: the plotly MIME type (JupyterLab, VS Code) and a
 * `text/html` rendering (classic Notebook, nbconvert HTML export; needs {@link plotlyLibraryBundle}
 * displayed earlier on the page) plus a text/plain fallback.
 * @example const bundle = figureBundle({ data: [{ type: "bar", y: [1] }], layout: {} });
 */
export function figureBundle(fig: Figure): DisplayBundle {
  return {
    "application/vnd.plotly.v1+json": {
      data: fig.data,
      layout: fig.layout,
      config: fig.config ?? {},
    },
    "text/html": figureDiv(fig),
    "text/plain": `<Figure: ${figureTitle(fig)}; ${fig.data.length} trace(s)>`,
  };
}

/**
 * A display bundle that loads plotly.js inline (offline) into the page, once per notebook, so the
 * `text/html` renderings of later figures draw.
 * @example const bundle = plotlyLibraryBundle(readPlotlyJs());
 */
export function plotlyLibraryBundle(plotlyJs: string = readPlotlyJs()): DisplayBundle {
  const version = /plotly\.js v([\d.]+)/.exec(plotlyJs.slice(0, 200))?.[1] ?? "?";
  return {
    "text/html": `${
      inlineScript(plotlyJs)
    }\n<small>plotly.js ${version} loaded (inline, offline)</small>`,
    "text/plain": `plotly.js ${version} loaded`,
  };
}

/** Options of {@link figureHtml}. */
export interface FigureHtmlOptions {
  /** "inline" embeds plotly.js from node_modules (works offline); else a URL or relative path for
   * a <script src>. @default "inline" */
  plotlySrc?: string;
  /** plotly.js source to embed for "inline" (saves re-reading it in a batch); @default read from node_modules */
  plotlyJs?: string;
  /** Page <title>; @default the figure's title */
  title?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/**
 * A standalone HTML page showing `fig`. With a `plotlySrc` file that fails to load, the figure says
 * which file is missing instead of staying blank.
 * @example
 * const page = figureHtml({ data: [{ type: "scatter", y: [1, 3, 2] }], layout: {} });
 * await Deno.writeTextFile("fig.html", page);
 */
export function figureHtml(fig: Figure, opts: FigureHtmlOptions = {}): string {
  const src = opts.plotlySrc ?? "inline";
  const lib = src === "inline"
    ? inlineScript(opts.plotlyJs ?? readPlotlyJs())
    : `<script src="${escapeHtml(src)}" onerror="window.convrecPlotlyMissing = this.src"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(opts.title ?? figureTitle(fig))}</title>
${lib}
</head>
<body style="margin:0">
${figureDiv(fig)}
</body>
</html>
`;
}
