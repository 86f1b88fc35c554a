// The reproduction driver: the SFT evaluation and every (method, seed) RL run from ONE SFT checkpoint with
// the same budget, each a job process (jobs.ts); <out>/config.json pins inputs and budget across resumes.
import { join } from "node:path";
import { prepareRunFolder } from "../../train/run/run_folder.ts";
import type { RunLock } from "../../train/run/run_lock.ts";
import { readStepRows } from "../../train/run/metrics_log.ts";
import {
  readJobResult,
  type ReproJob,
  reproJobs,
  type ReproResult,
  type ReproSetup,
} from "./jobs.ts";
import { REPRO_METHODS, type ReproMethod } from "./methods.ts";
import { type JobRunSummary, runJobProcesses } from "./processes.ts";

export { REPRO_KS, type ReproResult } from "./jobs.ts";

/**
 * Writes <out>/config.json (inputs, RL budget, evaluation settings) on the first call and checks it on
 * later ones, so a resumed reproduction cannot mix budgets (the error lists the keys that differ).
 * Returns <out>'s run lock, held: one driver per output folder (release it when done).
 * @example A fresh output folder (the input paths are only recorded here)
 * ```ts
 * const out = await Deno.makeTempDir();
 * {
 *   await using _lock = await recordSetup({
 *     init: "ck",
 *     data: "train.jsonl",
 *     test: "test.jsonl",
 *     catalog: "catalog.csv",
 *     out,
 *     preset: "default",
 *     rl: {},
 *     testConversations: null,
 *     evalMaxNewTokens: 220,
 *   });
 * }
 * const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
 * if (config.eval_max_new_tokens !== 220) throw new Error(JSON.stringify(config));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function recordSetup(setup: ReproSetup): Promise<RunLock> {
  const started = await Deno.stat(join(setup.out, "config.json")).then(() => true, () => false);
  return await prepareRunFolder(setup.out, {
    init: setup.init,
    data: setup.data,
    test: setup.test,
    catalog: setup.catalog,
    preset: setup.preset,
    rl: setup.rl,
    test_conversations: setup.testConversations,
    eval_max_new_tokens: setup.evalMaxNewTokens,
    // pinned only when not the default, so folders from before the option still resume
    ...(setup.evalBackend !== undefined && setup.evalBackend !== "wasm"
      ? { eval_backend: setup.evalBackend }
      : {}),
  }, { resume: started });
}

/**
 * The jobs without a result yet (SFT first, then method × seed).
 * @example A fresh folder: SFT, then 4 methods × 3 seeds
 * ```ts
 * import { selectMethods } from "./methods.ts";
 *
 * const out = await Deno.makeTempDir();
 * const pending = await pendingJobs(out, selectMethods([]), [0, 1, 2]);
 * if (pending.length !== 13 || pending[0].id !== "sft") throw new Error(`${pending.length} jobs`);
 * await Deno.remove(out);
 * ```
 */
export async function pendingJobs(
  out: string,
  methods: readonly ReproMethod[],
  seeds: readonly number[],
): Promise<ReproJob[]> {
  const all = reproJobs(methods, seeds);
  const done = await Promise.all(all.map((j) => readJobResult(out, j.id)));
  return all.filter((_, i) => done[i] === null);
}

/**
 * Runs every pending job as its own process (`jobs` at a time, flags = `flags`, options = `args`).
 * A finished job is never redone; an interrupted RL run resumes from its last checkpoint.
 * @example Type-checked only (it starts a training process per job)
 * ```ts
 * import type { ReproSetup } from "./jobs.ts";
 * import { selectMethods } from "./methods.ts";
 * import { reproPermissionFlags } from "./processes.ts";
 *
 * async function _reproduce(setup: ReproSetup, args: string[]): Promise<string[]> {
 *   const flags = reproPermissionFlags({ ...setup, backend: "wasm" }, { run: false });
 *   const plan = { methods: selectMethods([]), seeds: [0, 1, 2], jobs: 2, flags, args };
 *   return (await runReproduction(setup, plan)).ok; // the job ids that finished
 * }
 * ```
 */
export async function runReproduction(
  setup: ReproSetup,
  plan: {
    methods: readonly ReproMethod[];
    seeds: readonly number[];
    jobs: number;
    flags: readonly string[];
    args: readonly string[];
    log?: (line: string) => void;
  },
): Promise<JobRunSummary> {
  const log = plan.log ?? ((l: string) => console.error(l));
  await using _lock = await recordSetup(setup); // the job processes lock their own <out>/<id>/
  const pending = await pendingJobs(setup.out, plan.methods, plan.seeds);
  log(
    `repro: ${pending.length} job(s) to run, ${plan.jobs} at a time: ${
      pending.map((j) => j.id).join(", ")
    }`,
  );
  return await runJobProcesses(pending.map((j) => j.id), plan);
}

/**
 * Every result under `out`, in table order (SFT, then REPRO_METHODS, then seed): <out>/<id>/result.json,
 * plus rows of an older driver's <out>/results.jsonl for runs that have no result.json.
 * @example
 * ```ts
 * const out = await Deno.makeTempDir();
 * const sft = { method: "sft", label: "SFT", seed: null, run_dir: null, metrics: {} };
 * await Deno.mkdir(`${out}/sft`);
 * const result = JSON.stringify({ ...sft, rl_steps: 0, rl_wall_s: 0 });
 * await Deno.writeTextFile(`${out}/sft/result.json`, result);
 * const methods = (await readResults(out)).map((r) => r.method);
 * if (methods.join() !== "sft") throw new Error(methods.join());
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function readResults(out: string): Promise<ReproResult[]> {
  const results: ReproResult[] = [];
  try {
    for await (const e of Deno.readDir(out)) {
      if (!e.isDirectory) continue;
      const r = await readJobResult(out, e.name);
      if (r !== null) results.push(r);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const { rows } = await readStepRows(join(out, "results.jsonl")).catch(() => ({ rows: [] }));
  for (const row of rows as unknown as ReproResult[]) {
    if (!results.some((r) => r.method === row.method && r.seed === row.seed)) results.push(row);
  }
  const order = (r: ReproResult) =>
    r.method === "sft" ? -1 : REPRO_METHODS.findIndex((m) => m.id === r.method);
  return results.sort((a, b) => order(a) - order(b) || (a.seed ?? -1) - (b.seed ?? -1));
}
