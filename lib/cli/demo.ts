// `convrec demo`: the whole workflow on the built-in world (lib/experiment/demo.ts runs it): options,
// least-privilege permissions, and the results table and paired differences on stdout.

import { join } from "node:path";
import { vegaMoviesPath } from "../data/world/mod.ts";
import { OPENBLAS_CANDIDATE_PATHS } from "../model/blas/openblas.ts";
import { BUILTIN_BASE_DIR } from "../model/builtin_base.ts";
import { CODE_DIRS } from "../experiment/cache.ts";
import { DemoOptionsSchema, runDemoFull } from "../experiment/demo.ts";
import { differencesTable, resultsTable } from "../experiment/demo_results.ts";
import { DEFAULT_PYTHON, jupyterDataDir, notebooksDir } from "../notebook/jupyter.ts";
import { chromiumUnavailable, DEFAULT_CHROMIUM } from "../report/chromium.ts";
import { plotlyJsPath } from "../report/figure_html.ts";
import type { RawOptions } from "./args.ts";
import { mayUseOpenBlas, wasmDir } from "./backend_option.ts";
import { type Command, optionsCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";

export { DemoOptionsSchema } from "../experiment/demo.ts";

export const DEMO_USAGE = `convrec demo [--preset default|smoke] [--seed N] [--via auto|jupyter|lib]
             [--backend auto|cpu-blas|wasm|cpu|webgpu] [--out DIR] [--cache DIR]

  --preset P   default (the default: the built-in model, the default world) or smoke (a tiny
               model and world, seconds; for tests); "builtin-small" was renamed "default"
  --seed N     root seed: world, subsample, weight init, data order, rollouts (default 0)
  --via V      auto (default): execute notebooks 02–04 through Jupyter when it is installed, else
               call the same lib functions; jupyter | lib force one path
  --backend B  tfjs training backend; auto (default): cpu-blas when OpenBLAS loads, else wasm
  --out DIR    results, figures and executed notebooks (default runs/demo)
  --cache DIR  cached inputs, runs and evaluations (default <out>/cache): a re-run with the same
               config and code is served from it

Writes <out>/results.json, <out>/summary.md, <out>/figures/ (SVG and PNG need Debian chromium;
HTML always) and, on the Jupyter path, <out>/notebooks/<name>/.`;

/**
 * Least privilege for the demo. Always: read the movies file, lib/ and kernels/ (the cache's code
 * version hashes them), tfjs' wasm binaries and plotly.js; write only `<out>` and `<cache>`. With
 * backend auto/cpu-blas: load OpenBLAS (--allow-ffi on its candidate paths, OPENBLAS_NUM_THREADS).
 * Unless `--via lib`: run Debian's python3 (Jupyter; its Deno kernel has ALL permissions, as every
 * Jupyter kernel) with JUPYTER_PATH. Where chromium exists: run this Deno binary, because the figure
 * export renders in a `deno run -A` subprocess (playwright-core cannot load under narrower permissions).
 * @example Type-checked only (it probes /usr/bin/chromium, and then Deno.execPath())
 * ```ts
 * function _perms(): string[] {
 *   const perms = demoPermissions({ via: "lib", backend: "wasm" });
 *   // ["runs/demo/results.json", "runs/demo/cache/entry.json"]; no python3 with --via lib
 *   return [...perms.write, ...perms.run]; // run: [Deno.execPath()] where chromium exists
 * }
 * ```
 */
export function demoPermissions(raw: RawOptions): {
  read: string[];
  write: string[];
  env: string[];
  ffi: string[];
  run: string[];
} {
  const out = typeof raw.out === "string" ? raw.out : "runs/demo";
  const cache = typeof raw.cache === "string" ? raw.cache : join(out, "cache");
  const blas = mayUseOpenBlas(raw);
  const jupyter = raw.via !== "lib";
  const chromium = chromiumUnavailable() === undefined;
  return {
    read: [
      vegaMoviesPath(),
      BUILTIN_BASE_DIR,
      ...CODE_DIRS,
      wasmDir(),
      plotlyJsPath(),
      DEFAULT_CHROMIUM,
      ...(blas ? OPENBLAS_CANDIDATE_PATHS : []),
      ...(jupyter ? [notebooksDir(), jupyterDataDir()] : []),
    ],
    write: [join(out, "results.json"), join(cache, "entry.json")],
    env: [...(blas ? ["OPENBLAS_NUM_THREADS"] : []), ...(jupyter ? ["JUPYTER_PATH"] : [])],
    ffi: blas ? [...OPENBLAS_CANDIDATE_PATHS] : [],
    run: [...(jupyter ? [DEFAULT_PYTHON] : []), ...(chromium ? [Deno.execPath()] : [])],
  };
}

/** `convrec demo`: the results table and the paired differences on stdout. */
export const command: Command = optionsCommand({
  usage: DEMO_USAGE,
  permissions: demoPermissions,
  schema: DemoOptionsSchema,
  async run(opts) {
    const r = await runDemoFull(opts);
    console.log(resultsTable(r.rows));
    console.log(
      `\npaired differences (95% bootstrap CI over the same test conversations; * excludes 0):\n${
        differencesTable(r.differences)
      }`,
    );
    console.log(`\nresults: ${opts.out}/results.json, ${opts.out}/summary.md`);
  },
});

if (import.meta.main) await runAsChild("demo", command);
