// Runs reproduction jobs as separate Deno processes, at most `jobs` at a time, each with exactly the
// least-privilege flags of reproPermissionFlags and OPENBLAS_NUM_THREADS=1 (one core per job).
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { OPENBLAS_CANDIDATE_PATHS } from "../../model/blas/openblas.ts";
import { DEFAULT_CHROMIUM } from "../../report/chromium.ts";

/** Paths a reproduction touches (what its permission flags are made of). */
export interface ReproPaths {
  init: string;
  data: string;
  test: string;
  catalog: string;
  out: string;
  /** RL tfjs backend; "cpu-blas" adds reading and loading (FFI) OpenBLAS */
  backend: string;
  /** evaluation tfjs backend (default wasm); "cpu-blas" adds the same OpenBLAS grants */
  evalBackend?: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * The `deno run` permission flags of a reproduction: read its inputs, the output folder and
 * node_modules (tfjs wasm binaries, plotly.js for the HTML figures); write only the output folder;
 * cpu-blas (RL or evaluation): read + FFI of the OpenBLAS candidate paths and env OPENBLAS_NUM_THREADS. `run` adds --allow-run for this Deno binary (the parent: it starts the
 * job processes and the SVG export's browser worker).
 * @example
 * ```ts
 * const paths = { init: "ck", data: "d", test: "t", catalog: "c", out: "runs/r", backend: "wasm" };
 * const flags = reproPermissionFlags(paths, { run: false });
 * if (flags[1] !== "--allow-write=runs/r") throw new Error(flags.join(" "));
 * if (flags.some((f) => f.startsWith("--allow-run"))) throw new Error("run: false");
 * ```
 */
export function reproPermissionFlags(p: ReproPaths, options: { run: boolean }): string[] {
  const read = [p.init, p.data, p.test, p.catalog, p.out, resolve(ROOT, "node_modules")];
  const flags = [`--allow-read=${[...new Set(read)].join(",")}`, `--allow-write=${p.out}`];
  if (p.backend === "cpu-blas" || p.evalBackend === "cpu-blas") {
    // OpenBLAS: look for (read), load (FFI), thread count from the environment
    flags[0] += `,${OPENBLAS_CANDIDATE_PATHS.join(",")}`;
    flags.push(
      `--allow-ffi=${OPENBLAS_CANDIDATE_PATHS.join(",")}`,
      "--allow-env=OPENBLAS_NUM_THREADS",
    );
  }
  if (options.run) {
    // HTML/SVG export: plotly.js is in node_modules (above); is the browser there?
    flags[0] += `,${DEFAULT_CHROMIUM}`;
    flags.push(`--allow-run=${Deno.execPath()}`);
  }
  return flags;
}

/** What {@link runJobProcesses} did. */
export interface JobRunSummary {
  ok: string[];
  failed: { id: string; code: number }[];
}

/**
 * Runs `main.ts <args> --job=<id>` for every id in this working folder, `jobs` processes at a time
 * (stdout/stderr inherited),
 * each with `flags` and OPENBLAS_NUM_THREADS=1. A failed job is reported, the others go on.
 * @example Type-checked only (it spawns one Deno process per job)
 * ```ts
 * async function _jobs(flags: string[]): Promise<number> {
 *   const args = ["--init", "ck"];
 *   const r = await runJobProcesses(["sft", "grpo-s0"], { jobs: 2, flags, args });
 *   return r.failed.length;
 * }
 * ```
 */
export async function runJobProcesses(
  ids: readonly string[],
  options: { jobs: number; flags: readonly string[]; args: readonly string[] },
): Promise<JobRunSummary> {
  const main = resolve(ROOT, "lib", "cli", "repro_main.ts");
  const config = resolve(ROOT, "deno.json");
  const queue = [...ids];
  const summary: JobRunSummary = { ok: [], failed: [] };
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          `--config=${config}`,
          ...options.flags,
          main,
          ...options.args,
          `--job=${id}`,
        ],
        env: { OPENBLAS_NUM_THREADS: "1" },
        stdin: "null",
      }).spawn();
      const { code } = await child.status;
      if (code === 0) summary.ok.push(id);
      else summary.failed.push({ id, code });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, worker));
  return summary;
}
