// The last cell of every notebook: export its figures to the `figures_dir` knob (`convrec nb` sets it;
// "" in Jupyter = no export) and print one line of what was written.

import {
  exportFigures,
  type ExportFormat,
  type ExportResult,
  type NamedFigure,
} from "../report/export_figures.ts";

/** The figure knobs of a notebook's parameters cell, and where the summary line goes. */
export interface NotebookFigureOptions {
  /** Output folder; "" skips the export. */
  figures_dir: string;
  figure_formats: readonly ExportFormat[];
  /** Receives the summary line; @default console.log */
  log?: (line: string) => void;
}

/**
 * Exports `figures` to `figures_dir` in `figure_formats` and logs
 * `exported N files (svg, png, html)`; does nothing (null) when `figures_dir` is "".
 * @example HTML export into a temporary folder ("" in Jupyter would skip it)
 * ```ts
 * import { lineChart } from "../report/charts.ts";
 *
 * const figure = lineChart([{ name: "loss", y: [3, 2, 1.5] }]);
 * const figures_dir = await Deno.makeTempDir();
 * const lines: string[] = [];
 * const r = await exportNotebookFigures([{ name: "sft_loss", figure }], {
 *   figures_dir,
 *   figure_formats: ["html"],
 *   log: (l) => lines.push(l),
 * });
 * if (r === null || lines[0] !== "exported 2 files (html)") throw new Error(lines[0]);
 * await Deno.remove(figures_dir, { recursive: true });
 * const skipped = await exportNotebookFigures([{ name: "sft_loss", figure }], {
 *   figures_dir: "",
 *   figure_formats: ["html"],
 * });
 * if (skipped !== null) throw new Error("expected no export for figures_dir \"\"");
 * ```
 */
export async function exportNotebookFigures(
  figures: readonly NamedFigure[],
  opts: NotebookFigureOptions,
): Promise<ExportResult | null> {
  if (opts.figures_dir === "") return null;
  const exported = await exportFigures(figures, {
    dir: opts.figures_dir,
    formats: opts.figure_formats,
  });
  (opts.log ?? console.log)(
    `exported ${exported.files.length} files (${opts.figure_formats.join(", ")})`,
  );
  return exported;
}
