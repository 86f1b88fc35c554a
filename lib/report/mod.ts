// Public surface of lib/report: plotly figure specs, tables, figure HTML and static export.

export { axisTitle, type Figure, figureTitle, type PlotlyTrace } from "./figure.ts";
export {
  barChart,
  type BarSeries,
  type ChartOptions,
  lineChart,
  type LineSeries,
  meanStd,
} from "./charts.ts";
export {
  formatCell,
  formatTable,
  type Row,
  table,
  tableColumns,
  type TableOptions,
} from "./table.ts";
export {
  type DisplayBundle,
  figureBundle,
  figureDiv,
  figureHtml,
  type FigureHtmlOptions,
  fnv1a,
  inlineScript,
  plotlyJsPath,
  plotlyLibraryBundle,
  readPlotlyJs,
  scriptJson,
} from "./figure_html.ts";
export { CHROMIUM_ARGS, chromiumUnavailable, DEFAULT_CHROMIUM, withChromium } from "./chromium.ts";
export { inspectHtml, type InspectOptions, runBrowserJob } from "./browser.ts";
export {
  type BrowserJob,
  decodeDataUrl,
  type ImagesAnswer,
  type ImagesJob,
  type InspectAnswer,
  type InspectJob,
} from "./browser_worker.ts";
export {
  exportFigures,
  type ExportFormat,
  type ExportOptions,
  type ExportResult,
  type NamedFigure,
} from "./export_figures.ts";
export * from "./catalog_figures.ts";
export * from "./record_figures.ts";
export * from "./world_overview.ts";
export * from "./reference_points.ts";
export * from "./list_explain.ts";
export * from "./distill_figures.ts";
export * from "./distill_drafts.ts";
export * from "./distill_trace.ts";
export * from "./training_figures.ts";
export * from "./ablation_figures.ts";
export * from "./paper_figures.ts";
