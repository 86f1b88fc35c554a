// Shared by the notebook execution tests: the shape of an executed .ipynb's cells and outputs, output
// text, and the visible skip when headless Jupyter is not installed.
import { headlessUnavailable } from "../../lib/notebook/mod.ts";

/** One cell output of an executed notebook. */
export interface Output {
  output_type: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}

/** One cell of an executed notebook. */
export interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[] };
  outputs?: Output[];
}

/** nbformat multi-line text (string or list of strings) as one string. */
export const text = (
  t: unknown,
) => (Array.isArray(t) ? t.join("") : typeof t === "string" ? t : "");

/**
 * Whether headless Jupyter is missing (the reason, or undefined), warned once under the test file's name,
 * and the suffix test names carry when they skip.
 */
export async function jupyterSkip(
  file: string,
): Promise<{ noJupyter: string | undefined; skipJ: string }> {
  const noJupyter = await headlessUnavailable();
  if (noJupyter) console.warn(`${file}: skipping execution: ${noJupyter}`);
  return { noJupyter, skipJ: noJupyter ? ` (skipped: ${noJupyter})` : "" };
}
