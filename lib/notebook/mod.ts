// Public surface of lib/notebook: the only place that knows Jupyter (display, progress, execution).
// Importing it (every notebook's first cell does) tells tfjs it runs on Deno, not Node: no banner.
import { tfjsOnDeno } from "../runtime/tfjs_env.ts";

await tfjsOnDeno();

export {
  inJupyter,
  type JupyterApi,
  jupyterApi,
  showBundle,
  showFigure,
  type ShowOptions,
  showPlotlyLibrary,
} from "./display.ts";
export {
  formatProgressLine,
  formatValue,
  nullReporter,
  progressBundle,
  type Reporter,
  reporter,
  type ReporterOptions,
  type StepLike,
  type StepRecordLike,
} from "./progress.ts";
export {
  DEFAULT_PYTHON,
  executeNotebook,
  type ExecuteOptions,
  type ExecuteResult,
  headlessUnavailable,
  jupyterDataDir,
  jupyterEnv,
  KERNEL_NAME,
  kernelspecDir,
  NOTEBOOK_PACKAGE,
  type NotebookServer,
  type NotebookServerOptions,
  pythonHas,
  rerunArgs,
  type RerunCell,
  type RerunResult,
  runnerPath,
  startNotebookServer,
} from "./jupyter.ts";
export { exportNotebookFigures, type NotebookFigureOptions } from "./figure_export.ts";
export { declaredDefaults, type DeclaredKnob, declaredKnobs } from "./parameters_cell.ts";
