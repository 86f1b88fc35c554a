// Entry point of the reproduction, least privilege (never -A; `--print-flags` prints the exact flags):
//   DENO=$(npx -y deno@2.9.6 eval 'console.log(Deno.execPath())')
//   "$DENO" run --allow-read=INIT,data/generated/world,OUT,node_modules,/usr/bin/chromium
//     --allow-write=OUT --allow-run="$DENO" lib/cli/repro_main.ts --init INIT --out OUT --jobs 2
// (cpu-blas: + read/FFI of the OpenBLAS paths, --allow-env=OPENBLAS_NUM_THREADS). Re-running finishes
// what is missing; `--job ID` runs one job in this process (what the parent starts per job).
import { z } from "zod";
import { BACKEND_NAMES } from "../model/backend_names.ts";
import { parseOptions, splitArgs, UsageError } from "./args.ts";
import { runReproduction } from "../experiment/repro/driver.ts";
import { parseJobId, type ReproSetup, runReproJob } from "../experiment/repro/jobs.ts";
import { selectMethods } from "../experiment/repro/methods.ts";
import { EXPERIMENT_PRESET_NAMES, renamedPresetMessage } from "../experiment/preset_names.ts";
import { reproPermissionFlags } from "../experiment/repro/processes.ts";
import { watchParent } from "../runtime/parent_watch.ts";
import { tfjsOnDeno } from "../runtime/tfjs_env.ts";
import { writeReproReport } from "../experiment/repro/report.ts";

const WORLD = "data/generated/world";
const list = z.string().transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== ""));
const bool = z.union([z.literal(true), z.enum(["true", "false"])]).optional();

/** Usage of the reproduction entry point. */
export const REPRO_USAGE = `lib/cli/repro_main.ts --init DIR [options]
  --init DIR               SFT checkpoint folder every method starts from (and the SFT row)
  --data F  --test F  --catalog F   (default ${WORLD}/train.jsonl, test.jsonl, catalog.csv)
  --out DIR                output folder (default runs/repro): <id>/ per job, table.md, figures/
  --methods a,b            grpo, gspo, rank-grpo-log, rank-grpo-exp_inf (default all)
  --seeds 0,1,2            RL seeds (default 0,1,2)
  --preset NAME            experiment preset (its RL settings) default (P 4 × G 4 rollouts, 220 new tokens) | smoke (tests)
  --steps N                RL steps per run (default 25)
  --backend B              RL backend wasm | cpu | cpu-blas | webgpu (default wasm; cpu-blas needs
                           --allow-ffi; webgpu a WebGPU adapter)
  --save-every N           RL checkpoint interval, the resume granularity (default 5)
  --test-conversations N   first N unique test conversations (default all)
  --eval-max-new-tokens N  greedy tokens per test list (default 220)
  --eval-backend B         backend of the test evaluations wasm | cpu | cpu-blas | webgpu (default
                           wasm; pinned in OUT/config.json when not wasm)
  --jobs N                 job processes at a time, OPENBLAS_NUM_THREADS=1 each (default 1)
  --report-only            only rewrite table.md and figures/
  --print-flags            print the least-privilege deno flags of this command and exit`;

/** Options of the reproduction entry point (strict). */
export const ReproOptionsSchema = z.strictObject({
  init: z.string().min(1),
  data: z.string().default(`${WORLD}/train.jsonl`),
  test: z.string().default(`${WORLD}/test.jsonl`),
  catalog: z.string().default(`${WORLD}/catalog.csv`),
  out: z.string().default("runs/repro"),
  methods: list.default([]),
  seeds: list.default(["0", "1", "2"]),
  preset: z.enum(EXPERIMENT_PRESET_NAMES, { error: (iss) => renamedPresetMessage(iss.input) })
    .default("default"),
  steps: z.coerce.number().int().positive().default(25),
  backend: z.enum(BACKEND_NAMES).default("wasm"),
  "save-every": z.coerce.number().int().positive().default(5),
  "test-conversations": z.coerce.number().int().positive().optional(),
  "eval-max-new-tokens": z.coerce.number().int().positive().default(220),
  "eval-backend": z.enum(BACKEND_NAMES).default("wasm"),
  jobs: z.coerce.number().int().positive().default(1),
  job: z.string().optional(),
  "report-only": bool,
  "print-flags": bool,
});

/** Parsed options of the reproduction entry point. */
export type ReproCliOptions = z.infer<typeof ReproOptionsSchema>;

const on = (v: true | "true" | "false" | undefined) => v === true || v === "true";

/**
 * The shared setup of a reproduction from its options (paths, the RL budget, evaluation settings).
 * @example
 * ```ts
 * import { parseOptions } from "./args.ts";
 *
 * const setup = reproSetup(parseOptions(ReproOptionsSchema, { init: "ck" }));
 * if (setup.rl.steps !== 25 || setup.init !== "ck") throw new Error(JSON.stringify(setup.rl));
 * ```
 */
export function reproSetup(opts: ReproCliOptions): ReproSetup {
  return {
    init: opts.init,
    data: opts.data,
    test: opts.test,
    catalog: opts.catalog,
    out: opts.out,
    preset: opts.preset,
    rl: { steps: opts.steps, backend: opts.backend, save_every: opts["save-every"] },
    testConversations: opts["test-conversations"] ?? null,
    evalMaxNewTokens: opts["eval-max-new-tokens"],
    evalBackend: opts["eval-backend"],
  };
}

function seedList(seeds: readonly string[]): number[] {
  return seeds.map((s) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n > 0xffffffff) {
      throw new Error(`lib/cli/repro_main.ts: --seeds: "${s}": expected integers ≥ 0`);
    }
    return n;
  });
}

/**
 * Runs the reproduction from parsed and raw options: `--print-flags` logs the driver's least-privilege
 * flags, `--job ID` runs one job in this process, else every pending job as a process and then
 * table.md + figures/ (logged). Throws naming the failed jobs after writing the report of the others.
 * @example Type-checked only (it trains and evaluates every method × seed)
 * ```ts
 * import { parseOptions } from "./args.ts";
 *
 * async function _repro(): Promise<void> {
 *   const raw = { init: "ck", preset: "smoke" };
 *   await runRepro(parseOptions(ReproOptionsSchema, raw), raw);
 * }
 * ```
 */
export async function runRepro(
  opts: ReproCliOptions,
  raw: Record<string, unknown>,
  log: (line: string) => void = console.log,
): Promise<void> {
  const setup = reproSetup(opts);
  if (on(opts["print-flags"])) {
    log(reproPermissionFlags({ ...setup, backend: opts.backend }, { run: true }).join(" "));
    return;
  }
  if (opts.job !== undefined) {
    if (import.meta.main) watchParent(); // a job process stops with its driver
    await tfjsOnDeno();
    await runReproJob(setup, parseJobId(opts.job));
    return;
  }
  let failed: string[] = [];
  if (!on(opts["report-only"])) {
    const { jobs: _j, "report-only": _r, ...childRaw } = raw;
    const summary = await runReproduction(setup, {
      methods: selectMethods(opts.methods),
      seeds: seedList(opts.seeds),
      jobs: opts.jobs,
      flags: reproPermissionFlags({ ...setup, backend: opts.backend }, { run: false }),
      args: Object.entries(childRaw).map(([k, v]) => v === true ? `--${k}` : `--${k}=${v}`),
    });
    failed = summary.failed.map((f) => `${f.id} (exit ${f.code})`);
  }
  log(await writeReproReport(opts.out));
  if (failed.length > 0) throw new ReproJobsFailed(failed);
}

/** Thrown by {@link runRepro} when job processes failed (after the report was written). */
export class ReproJobsFailed extends Error {
  constructor(readonly jobs: string[]) {
    super(`failed jobs: ${jobs.join(", ")}`);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const raw = splitArgs(argv).options;
  try {
    await runRepro(parseOptions(ReproOptionsSchema, raw), raw);
    return 0;
  } catch (e) {
    if (!(e instanceof ReproJobsFailed)) throw e;
    console.error(`repro: ${e.message}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(
    await main(Deno.args).catch((e) => {
      if (!(e instanceof UsageError)) throw e;
      console.error(`${e.message}\n\n${REPRO_USAGE}`);
      return 2;
    }),
  );
}
