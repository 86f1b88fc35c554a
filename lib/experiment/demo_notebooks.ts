// The demo's Jupyter path: executes notebooks 02–04 headless through the project runner (nbclient, no
// lost outputs) with the demo's preset, seed, backend and cache, so their cached runs are the demo's.

import { join, resolve } from "node:path";
import { executeNotebook, headlessUnavailable, notebooksDir } from "../notebook/jupyter.ts";

/** How the demo runs its stages: through Jupyter, through the lib functions, or Jupyter when installed. */
export const DEMO_PATHS = ["auto", "jupyter", "lib"] as const;
/** One of {@link DEMO_PATHS}. */
export type DemoPath = typeof DEMO_PATHS[number];

/**
 * The demo's notebooks as chains that run side by side: 02 (the distillation, its own cache keys) next
 * to 03 → 04 (04 reads the SFT run 03 trained). 01 (catalog and records) is inspection, not a stage.
 */
export const DEMO_NOTEBOOK_CHAINS = [["02_distill"], ["03_sft", "04_rank_grpo"]] as const;
/** The demo's notebooks, in workflow order. */
export const DEMO_NOTEBOOKS = ["02_distill", "03_sft", "04_rank_grpo"] as const;

/** What the notebooks share with the demo (absolute paths: the kernel runs in notebooks/). */
export interface DemoNotebookParams {
  /** experiment preset name (the world of 02, the world and training of 03/04) */
  preset: string;
  seed: number;
  /** the resolved training backend, e.g. "cpu-blas" */
  backend: string;
  cacheDir: string;
}

/** One executed notebook. */
export interface ExecutedNotebook {
  name: string;
  notebook: string;
  html: string | null;
  /** the notebook's exported figure folder */
  figures_dir: string;
  wall_s: number;
}

/**
 * The `--set` overrides of each demo notebook: the same world, seed, backend and cache as the lib
 * path, so 03/04 train exactly the runs the demo then reads from the cache; 04 compares GRPO with
 * Rank-GRPO exp∞.
 * @example
 * ```ts
 * const p = { preset: "smoke", seed: 1, backend: "wasm", cacheDir: "runs/cache" };
 * const sft = notebookParams("03_sft", p, "/abs/figs");
 * if (sft.preset !== "smoke" || sft.cache_dir !== "runs/cache") {
 *   throw new Error(JSON.stringify(sft));
 * }
 * if (notebookParams("04_rank_grpo", p, "/abs/figs").algo !== "rank-grpo") throw new Error("04");
 * ```
 */
export function notebookParams(
  name: typeof DEMO_NOTEBOOKS[number],
  p: DemoNotebookParams,
  figuresDir: string,
): Record<string, unknown> {
  const training = {
    seed: p.seed,
    preset: p.preset,
    backend: p.backend,
    demonstrations: "distilled",
    cache_dir: p.cacheDir,
    figures_dir: figuresDir,
  };
  switch (name) {
    case "02_distill":
      return {
        seed: p.seed,
        preset: p.preset,
        cache_dir: p.cacheDir,
        figures_dir: figuresDir,
      };
    case "03_sft":
      return training;
    case "04_rank_grpo":
      return { ...training, baseline: "grpo", algo: "rank-grpo", reward: "exp_inf" };
  }
}

/**
 * Which path runs: "lib" as asked, "jupyter" as asked (fails when Jupyter is missing), "auto" →
 * Jupyter when headless execution works here, else lib; with the reason.
 * @example
 * ```ts
 * const picked = await pickDemoPath("lib"); // "auto" asks python3 whether nbclient is installed
 * if (picked.path !== "lib" || picked.reason !== "--via lib") throw new Error(picked.reason);
 * ```
 */
export async function pickDemoPath(
  via: DemoPath,
): Promise<{ path: "jupyter" | "lib"; reason: string }> {
  if (via === "lib") return { path: "lib", reason: "--via lib" };
  const why = await headlessUnavailable();
  if (via === "jupyter") {
    if (why !== undefined) throw new Error(`--via jupyter: ${why}`);
    return { path: "jupyter", reason: "--via jupyter" };
  }
  return why === undefined
    ? { path: "jupyter", reason: "auto: Jupyter (nbclient) found" }
    : { path: "lib", reason: `auto: ${why}` };
}

/** Per-cell timeout of the demo's notebooks (a training cell runs a whole SFT or RL run). */
export const DEMO_CELL_TIMEOUT_S = 1800;

/**
 * Executes the demo notebooks into `<outDir>/<name>/` (executed .ipynb, HTML, figures/), the chains of
 * {@link DEMO_NOTEBOOK_CHAINS} side by side; the runner's per-cell lines go to `log` prefixed with the
 * notebook's name. Throws naming the failing notebook and cell. Results are in workflow order.
 * @example Type-checked only (it runs Jupyter, and the notebooks train)
 * ```ts
 * async function _notebooks(): Promise<(string | null)[]> {
 *   const params = { preset: "smoke", seed: 1, backend: "wasm", cacheDir: "runs/cache" };
 *   const outDir = await Deno.makeTempDir();
 *   const nbs = await runDemoNotebooks(params, { outDir, log: console.error });
 *   return nbs.map((nb) => nb.html);
 * }
 * ```
 */
export async function runDemoNotebooks(
  p: DemoNotebookParams,
  opts: { outDir: string; log: (line: string) => void; timeoutS?: number },
): Promise<ExecutedNotebook[]> {
  const runOne = async (name: typeof DEMO_NOTEBOOKS[number]): Promise<ExecutedNotebook> => {
    const dir = join(opts.outDir, name);
    const figuresDir = resolve(dir, "figures");
    opts.log(`[${name}] → ${dir}`);
    const r = await executeNotebook(join(notebooksDir(), `${name}.ipynb`), {
      outDir: dir,
      params: notebookParams(name, p, figuresDir),
      // one cell trains a whole SFT or RL run (minutes; more when other jobs share the 2 cores)
      timeoutS: opts.timeoutS ?? DEMO_CELL_TIMEOUT_S,
      onLog: (line) => opts.log(`[${name}] ${line}`),
    });
    return { name, notebook: r.notebook, html: r.html, figures_dir: figuresDir, wall_s: r.wall_s };
  };
  const chains = await Promise.all(DEMO_NOTEBOOK_CHAINS.map(async (chain) => {
    const done: ExecutedNotebook[] = [];
    for (const name of chain) done.push(await runOne(name));
    return done;
  }));
  const all = chains.flat();
  return DEMO_NOTEBOOKS.map((name) => all.find((n) => n.name === name)!);
}
