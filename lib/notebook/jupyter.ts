// Jupyter from Deno: the project kernelspec (found through JUPYTER_PATH), a classic notebook server
// for interactive use, and headless execution through run_notebook.py (no lost outputs, --set params).

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PARENT_PID_ENV } from "../runtime/parent_watch.ts";

/** Debian's python, which has nbclient/nbconvert (a pyenv python3 earlier on PATH may not). */
export const DEFAULT_PYTHON = "/usr/bin/python3";

/** Name of the project kernelspec (notebooks' metadata.kernelspec.name). */
export const KERNEL_NAME = "convrec-deno";

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Folder holding the project kernel.json (`notebooks/.jupyter/kernels/convrec-deno`).
 * @example
 * ```ts
 * if (!kernelspecDir().endsWith("notebooks/.jupyter/kernels/convrec-deno")) {
 *   throw new Error(kernelspecDir());
 * }
 * ```
 */
export function kernelspecDir(): string {
  return join(jupyterDataDir(), "kernels", KERNEL_NAME);
}

/**
 * The Jupyter data folder to put on JUPYTER_PATH (`notebooks/.jupyter`).
 * @example
 * ```ts
 * if (!jupyterDataDir().endsWith("notebooks/.jupyter")) throw new Error(jupyterDataDir());
 * ```
 */
export function jupyterDataDir(): string {
  return resolve(HERE, "..", "..", "notebooks", ".jupyter");
}

/**
 * The environment additions for Jupyter processes: JUPYTER_PATH with the project data folder first
 * (then `current`, by default the inherited JUPYTER_PATH), so Jupyter finds the kernelspec.
 * @example
 * ```ts
 * // { JUPYTER_PATH: "<repo>/notebooks/.jupyter:/opt/jupyter" }
 * const env = jupyterEnv("/opt/jupyter");
 * if (env.JUPYTER_PATH !== `${jupyterDataDir()}:/opt/jupyter`) throw new Error(env.JUPYTER_PATH);
 * ```
 */
export function jupyterEnv(
  current: string | undefined = Deno.env.get("JUPYTER_PATH"),
): { JUPYTER_PATH: string } {
  return { JUPYTER_PATH: current ? `${jupyterDataDir()}:${current}` : jupyterDataDir() };
}

/** Path of the headless runner script. */
export function runnerPath(): string {
  return join(HERE, "run_notebook.py");
}

/** Whether `python` can import every module in `modules` (false when python itself is missing). */
export async function pythonHas(
  modules: readonly string[],
  python = DEFAULT_PYTHON,
): Promise<boolean> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", modules.map((m) => `import ${m}`).join("; ")],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Why headless execution cannot run here, or undefined when it can (python + nbclient + nbconvert).
 * @example Type-checked only (it spawns python3)
 * ```ts
 * async function _whyNot(): Promise<void> {
 *   const why = await headlessUnavailable();
 *   if (why) console.log(why);
 * }
 * ```
 */
export async function headlessUnavailable(python = DEFAULT_PYTHON): Promise<string | undefined> {
  if (await pythonHas(["nbclient", "nbconvert", "jupyter_client"], python)) return undefined;
  return `${python} lacks nbclient/nbconvert/jupyter_client; install: ` +
    `apt-get install --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client`;
}

/** Options of {@link executeNotebook}. */
export interface ExecuteOptions {
  /** Output folder for the executed .ipynb and .html. */
  outDir: string;
  /** Overrides for the `parameters` cell (each becomes `--set key=<JSON>`). */
  params?: Record<string, unknown>;
  /** Per-cell timeout in seconds; @default 600 */
  timeoutS?: number;
  /** Quiet seconds to keep reading outputs after a cell goes idle; @default 0.02 */
  graceS?: number;
  /** Write the HTML export; @default true */
  html?: boolean;
  /** @default "/usr/bin/python3" */
  python?: string;
  /** Receives the runner's progress lines (one per cell); @default console.error */
  onLog?: (line: string) => void;
  /** After the whole notebook ran, re-run one cell, edited, in the same kernel (see {@link RerunCell}). */
  rerun?: RerunCell;
}

/**
 * One cell to re-run after the notebook ran, as a user does after editing it in Jupyter: the saved
 * notebook holds the edited source and the new outputs in that cell, the other cells' outputs as
 * they were.
 */
export interface RerunCell {
  /** The cell's index in the input notebook (0-based, markdown cells counted). */
  cell: number;
  /** Source edits applied in order; every occurrence of `old` becomes `new`, and `old` must occur. */
  replace?: readonly { old: string; new: string }[];
}

/** What the runner reports about a {@link RerunCell} re-run. */
export interface RerunResult {
  input_cell: number;
  /** Index in the executed notebook (after the injected parameters cell); null when not re-run. */
  executed_cell: number | null;
  replacements: number;
  execution_count: number | null;
  wall_s: number | null;
  /** The edited source that was (or would have been) executed. */
  source: string;
}

/**
 * The runner's arguments for a re-run (`--rerun-cell N --rerun-replace OLD=>NEW`…). Throws when an
 * `old` contains "=>" (the runner splits at the first one) or is empty, or the cell is not an index.
 * @example
 * ```ts
 * const args = rerunArgs({ cell: 8, replace: [{ old: "rl.run(algo)", new: 'rl.run("gspo")' }] });
 * const expected = ["--rerun-cell", "8", "--rerun-replace", 'rl.run(algo)=>rl.run("gspo")'];
 * if (args.join(" ") !== expected.join(" ")) throw new Error(args.join(" "));
 * ```
 */
export function rerunArgs(rerun: RerunCell): string[] {
  if (!Number.isInteger(rerun.cell) || rerun.cell < 0) {
    throw new Error(`executeNotebook: rerun.cell: expected a cell index ≥ 0, got ${rerun.cell}`);
  }
  const args = ["--rerun-cell", String(rerun.cell)];
  (rerun.replace ?? []).forEach((r, i) => {
    if (r.old === "" || r.old.includes("=>")) {
      throw new Error(
        `executeNotebook: rerun.replace[${i}].old: expected non-empty text without "=>", got ${
          JSON.stringify(r.old)
        }`,
      );
    }
    args.push("--rerun-replace", `${r.old}=>${r.new}`);
  });
  return args;
}

/** The runner's summary of one execution. */
export interface ExecuteResult {
  notebook: string;
  html: string | null;
  parameters: Record<string, unknown>;
  cells: number;
  outputs: number;
  /** Outputs that arrived after their cell's idle status (kept, not lost). */
  late_outputs: number;
  wall_s: number;
  /** The first failure; `rerun` is true when it was the re-run of {@link ExecuteOptions.rerun}. */
  error: { cell: number; ename: string; evalue: string; rerun?: boolean } | null;
  /** Present when {@link ExecuteOptions.rerun} was given. */
  rerun?: RerunResult;
}

async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<string> {
  let all = "";
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    all += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const l of lines) onLine(l);
  }
  if (pending) onLine(pending);
  return all;
}

/**
 * Executes `input` headless through real Jupyter with the project kernel, writing
 * `<outDir>/<stem>.ipynb` and `.html`; with `rerun`, then re-runs one edited cell in the same kernel.
 * Throws (message names the failing cell and error; the
 * executed notebook is still written) when a cell errors or the runner fails.
 * @example Type-checked only (it runs Jupyter through python3)
 * ```ts
 * async function _smoke(): Promise<void> {
 *   const outDir = await Deno.makeTempDir();
 *   const r = await executeNotebook("notebooks/00_smoke.ipynb", { outDir, params: { scale: 3 } });
 *   console.log(r.html, r.wall_s);
 * }
 * ```
 */
export async function executeNotebook(input: string, opts: ExecuteOptions): Promise<ExecuteResult> {
  const args = [runnerPath(), input, "--out-dir", opts.outDir];
  for (const [key, value] of Object.entries(opts.params ?? {})) {
    const json = JSON.stringify(value);
    if (json === undefined) {
      throw new Error(`executeNotebook: params.${key}: expected a JSON value, got ${typeof value}`);
    }
    args.push("--set", `${key}=${json}`);
  }
  if (opts.timeoutS !== undefined) args.push("--timeout", String(opts.timeoutS));
  if (opts.graceS !== undefined) args.push("--grace", String(opts.graceS));
  if (opts.html === false) args.push("--no-html");
  if (opts.rerun !== undefined) args.push(...rerunArgs(opts.rerun));
  const child = new Deno.Command(opts.python ?? DEFAULT_PYTHON, {
    args,
    // the runner (and its kernel) stop when this process dies, also while they start up
    env: { ...jupyterEnv(), [PARENT_PID_ENV]: String(Deno.pid) },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const onLog = opts.onLog ?? ((line: string) => console.error(line));
  const [stdout, stderr, status] = await Promise.all([
    new Response(child.stdout).text(),
    forwardLines(child.stderr, onLog),
    child.status,
  ]);
  const last = stdout.trim().split("\n").pop() ?? "";
  if (!last.startsWith("{")) {
    throw new Error(
      `executeNotebook: ${input}: runner exited ${status.code} without a summary:\n${stderr.trim()}`,
    );
  }
  const result = JSON.parse(last) as ExecuteResult;
  if (result.error !== null) {
    const e = result.error;
    throw new Error(
      `executeNotebook: ${input}: cell ${e.cell}${
        e.rerun ? " (re-run)" : ""
      } failed: ${e.ename}: ${e.evalue} (executed notebook: ${result.notebook})`,
      { cause: result },
    );
  }
  return result;
}

/** Options of {@link startNotebookServer}. */
export interface NotebookServerOptions {
  /** @default 8888 */
  port?: number;
  /** Folder the server shows; @default the project's notebooks/ */
  notebookDir?: string;
  /** Access token; @default a random UUID */
  token?: string;
  /** @default "/usr/bin/python3" */
  python?: string;
  /** Server log: "inherit" (interactive) or "null"; @default "inherit" */
  log?: "inherit" | "null";
  /** Seconds to wait for the server to answer; @default 60 */
  startTimeoutS?: number;
}

/** A running notebook server. */
export interface NotebookServer {
  /** URL to open, token included. */
  url: string;
  port: number;
  token: string;
  /** Kernelspec names the server offers (includes "convrec-deno"). */
  kernels: string[];
  /** Stops the server and waits for it to exit. */
  close: () => Promise<void>;
}

/** The apt package that provides `python3 -m notebook` on Debian 12. */
export const NOTEBOOK_PACKAGE = "jupyter-notebook";

/**
 * Starts the classic Jupyter Notebook server (Debian `jupyter-notebook`, `python3 -m notebook`) on
 * 127.0.0.1 with the project kernelspec on JUPYTER_PATH; resolves once its API answers.
 * @example Type-checked only (it starts a Jupyter server)
 * ```ts
 * async function _serve(): Promise<void> {
 *   const server = await startNotebookServer({ port: 8888 });
 *   console.log(`open ${server.url}`);
 *   await server.close();
 * }
 * ```
 */
export async function startNotebookServer(
  opts: NotebookServerOptions = {},
): Promise<NotebookServer> {
  const python = opts.python ?? DEFAULT_PYTHON;
  if (!(await pythonHas(["notebook"], python))) {
    throw new Error(
      `startNotebookServer: ${python} has no "notebook" module; install the classic server: ` +
        `apt-get install --no-install-recommends ${NOTEBOOK_PACKAGE}`,
    );
  }
  const port = opts.port ?? 8888;
  const token = opts.token ?? crypto.randomUUID();
  const log = opts.log ?? "inherit";
  const child = new Deno.Command(python, {
    args: [
      "-m",
      "notebook",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--notebook-dir=${opts.notebookDir ?? dirname(jupyterDataDir())}`,
      `--NotebookApp.token=${token}`,
      "--allow-root", // the server refuses to run as root otherwise (CI containers); no effect for others
    ],
    env: jupyterEnv(),
    stdin: "null",
    stdout: log,
    stderr: log === "null" ? "piped" : "inherit",
  }).spawn();
  let tail = ""; // last server log lines, for the error message when log is "null"
  if (log === "null") {
    (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        tail = (tail + chunk).slice(-2000);
      }
    })();
  }
  const close = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already exited */ }
    await child.status;
  };
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutS ?? 60) * 1000;
  let exited = false;
  child.status.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`${base}/api/kernelspecs?token=${token}`);
      if (res.ok) {
        const body = await res.json() as { kernelspecs: Record<string, unknown> };
        return {
          url: `${base}/tree?token=${token}`,
          port,
          token,
          kernels: Object.keys(body.kernelspecs),
          close,
        };
      }
      await res.body?.cancel();
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  await close();
  throw new Error(
    `startNotebookServer: no answer from ${base}/api/kernelspecs ` +
      (exited ? "(the server exited)" : `within ${opts.startTimeoutS ?? 60}s`) +
      (tail ? `:\n${tail.trim()}` : ""),
  );
}

/**
 * The project's notebooks/ folder.
 * @example
 * ```ts
 * if (!notebooksDir().endsWith("/notebooks")) throw new Error(notebooksDir());
 * ```
 */
export function notebooksDir(): string {
  return fileURLToPath(new URL("../../notebooks", import.meta.url));
}
