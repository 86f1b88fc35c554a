// Static figure export: SVG and PNG through Plotly.toImage in headless Debian chromium (playwright-core
// in a subprocess; never a browser download), and standalone HTML per figure that loads one shared
// plotly.min.js beside it (offline, ~10 KB a page instead of 4.8 MB). Files are atomic.

import { basename, join, resolve } from "node:path";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { runBrowserJob } from "./browser.ts";
import { chromiumUnavailable, DEFAULT_CHROMIUM } from "./chromium.ts";
import type { Figure } from "./figure.ts";
import { figureHtml, plotlyJsPath, readPlotlyJs } from "./figure_html.ts";

/** File name of the plotly.js copy that standalone HTML figures share (beside them in `dir`). */
export const SHARED_PLOTLY_FILE = "plotly.min.js";

/** A figure with the file stem it is exported under (`[A-Za-z0-9_.-]+`). */
export interface NamedFigure {
  name: string;
  figure: Figure;
}

/** An export format. */
export type ExportFormat = "svg" | "png" | "html";

/** Options of {@link exportFigures}. */
export interface ExportOptions {
  /** Output folder (created). */
  dir: string;
  /** @default ["svg", "png", "html"] */
  formats?: readonly ExportFormat[];
  /** Image width in CSS px; @default 800 */
  width?: number;
  /** Image height in CSS px; @default 500 */
  height?: number;
  /** PNG pixel ratio (PNG is width·scale × height·scale pixels); @default 1 */
  scale?: number;
  /** Browser binary; @default "/usr/bin/chromium" */
  chromiumPath?: string;
  /** How HTML pages get plotly.js: "shared" loads `dir/plotly.min.js` (written once, relative
   * `<script src>`; mail the folder), "inline" embeds it in every page (self-contained, 4.8 MB each).
   * @default "shared" */
  plotly?: "shared" | "inline";
}

/** What {@link exportFigures} wrote and how long it took. */
export interface ExportResult {
  /** Paths written, in order, each `join(dir, file)` (relative when `dir` is); with HTML and
   * `plotly: "shared"`, `dir/plotly.min.js` comes before the pages. */
  files: string[];
  /** Why SVG/PNG were not written (no browser), else undefined. */
  skipped?: string;
  /** ms to start the browser and load plotly.js into its page (0 when not started). */
  browserStartMs: number;
  /** ms per figure for its SVG+PNG renders (empty when skipped). */
  perFigureMs: number[];
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Throws unless every name is a safe, unique file stem. */
function checkNames(figs: readonly NamedFigure[]): void {
  const seen = new Set<string>();
  figs.forEach((f, i) => {
    if (!NAME.test(f.name) || f.name.startsWith(".")) {
      throw new Error(
        `exportFigures: figs[${i}].name "${f.name}": expected [A-Za-z0-9_.-]+ not starting with "."`,
      );
    }
    if (seen.has(f.name)) {
      throw new Error(`exportFigures: figs[${i}].name "${f.name}": duplicate name`);
    }
    seen.add(f.name);
  });
}

/**
 * Writes `<dir>/plotly.min.js` (a copy of node_modules' plotly.js-dist-min) unless it already holds
 * exactly that file; returns its path.
 * @example await writeSharedPlotly("runs/a/figures") // "runs/a/figures/plotly.min.js"
 */
export async function writeSharedPlotly(dir: string): Promise<string> {
  const path = join(dir, SHARED_PLOTLY_FILE);
  const lib = await Deno.readFile(plotlyJsPath());
  const existing = await Deno.readFile(path).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  });
  const same = existing !== null && existing.length === lib.length &&
    existing.every((b, i) => b === lib[i]);
  if (!same) await writeFileAtomic(path, lib);
  return path;
}

/**
 * Writes each figure as `<dir>/<name>.<format>`. The browser starts once per call; SVG/PNG are
 * skipped (reason in `skipped`, also printed) when the chromium binary is absent; HTML is always
 * written, loading the shared `<dir>/plotly.min.js` unless `plotly: "inline"`.
 * @example
 * const r = await exportFigures([{ name: "reward", figure: fig }], { dir: "runs/a/figures" });
 * console.log(r.files);
 * // ["runs/a/figures/reward.svg", "…/reward.png", "…/plotly.min.js", "…/reward.html"]
 */
export async function exportFigures(
  figs: readonly NamedFigure[],
  opts: ExportOptions,
): Promise<ExportResult> {
  checkNames(figs);
  const formats = opts.formats ?? ["svg", "png", "html"];
  const width = opts.width ?? 800;
  const height = opts.height ?? 500;
  const scale = opts.scale ?? 1;
  const chromiumPath = opts.chromiumPath ?? DEFAULT_CHROMIUM;
  await Deno.mkdir(opts.dir, { recursive: true });
  const result: ExportResult = { files: [], browserStartMs: 0, perFigureMs: [] };
  const images = formats.filter((f): f is "svg" | "png" => f !== "html");

  if (images.length > 0 && figs.length > 0) {
    const why = chromiumUnavailable(chromiumPath);
    if (why !== undefined) {
      result.skipped = `SVG/PNG export skipped: ${why}`;
      console.warn(`exportFigures: ${result.skipped}`);
    } else {
      const answer = await runBrowserJob({
        kind: "images",
        figs: figs.map((f) => ({ name: f.name, figure: f.figure })),
        formats: images,
        dir: resolve(opts.dir),
        width,
        height,
        scale,
        chromiumPath,
      });
      // the worker answers absolute paths; report them under `dir` as given, like the HTML below
      result.files.push(...answer.files.map((f) => join(opts.dir, basename(f))));
      result.browserStartMs = answer.browserStartMs;
      result.perFigureMs = answer.perFigureMs;
    }
  }
  if (formats.includes("html") && figs.length > 0) {
    const shared = (opts.plotly ?? "shared") === "shared";
    if (shared) result.files.push(await writeSharedPlotly(opts.dir));
    const page = shared ? { plotlySrc: SHARED_PLOTLY_FILE } : { plotlyJs: readPlotlyJs() };
    for (const f of figs) {
      const path = join(opts.dir, `${f.name}.html`);
      const fig = { ...f.figure, layout: { ...f.figure.layout, width, height } };
      await writeFileAtomic(path, figureHtml(fig, page));
      result.files.push(path);
    }
  }
  return result;
}
