// One job of the reproduction, run in-process: the SFT evaluation, or one (method, seed) RL run + its
// greedy test evaluation. A job writes <out>/<id>/result.json last, so "has result.json" = done.
import { join } from "node:path";
import { writeFileAtomic } from "../../data/atomic_write.ts";
import type { BackendName } from "../../model/backend_names.ts";
import { readStepRows } from "../../train/run/metrics_log.ts";
import { checkpointDir, checkpointSteps } from "../../train/run/train_checkpoint.ts";
import {
  parseRlRunConfig,
  type RlRunConfig,
  type RlRunConfigInput,
} from "../../train/rl_loop/config.ts";
import { runRl } from "../../train/rl_loop/trainer.ts";
import { evalCheckpoint } from "../../train/eval/eval_checkpoint.ts";
import { type ReproMethod, selectMethods } from "./methods.ts";
import { experimentPreset, type ExperimentPresetName } from "../presets.ts";

/** Inputs and budget shared by every job of a reproduction (what <out>/config.json records). */
export interface ReproSetup {
  /** the SFT checkpoint every method starts from */
  init: string;
  /** RL records (world train split) */
  data: string;
  /** evaluation records (world test split) */
  test: string;
  catalog: string;
  /** output folder, e.g. runs/repro */
  out: string;
  /** experiment preset whose RL settings lie under `rl`: "default" (the built-in model) or "smoke" */
  preset: ExperimentPresetName;
  /** RL settings of every run (the same budget), on top of the preset */
  rl: Partial<RlRunConfigInput>;
  /** first N unique test conversations (null: all) */
  testConversations: number | null;
  /** greedy tokens per test list */
  evalMaxNewTokens: number;
  /** tfjs backend of the test evaluations @default "wasm" */
  evalBackend?: BackendName;
}

/** One unit of work: the SFT evaluation (`method` null) or one RL run. */
export interface ReproJob {
  /** folder name under out: "sft" or "<method id>-s<seed>" */
  id: string;
  method: ReproMethod | null;
  seed: number | null;
}

/** One evaluated job (<out>/<id>/result.json). */
export interface ReproResult {
  method: string;
  label: string;
  seed: number | null;
  run_dir: string | null;
  rl_steps: number;
  /** seconds inside RL steps (generate + score + update), summed over resumes */
  rl_wall_s: number;
  metrics: Record<string, number>;
}

/** The test-metric cut-offs of the table. */
export const REPRO_KS = [5, 10, 15, 20] as const;

/**
 * Every job, in table order: the SFT evaluation, then each method × seed.
 * @example
 * ```ts
 * import { selectMethods } from "./methods.ts";
 *
 * const ids = reproJobs(selectMethods(["grpo"]), [0, 1]).map((j) => j.id);
 * if (ids.join() !== "sft,grpo-s0,grpo-s1") throw new Error(ids.join());
 * ```
 */
export function reproJobs(methods: readonly ReproMethod[], seeds: readonly number[]): ReproJob[] {
  return [
    { id: "sft", method: null, seed: null },
    ...methods.flatMap((m) => seeds.map((seed) => ({ id: `${m.id}-s${seed}`, method: m, seed }))),
  ];
}

/**
 * The job of an id ("sft" or "<method id>-s<seed>"); throws naming what was expected.
 * @example
 * ```ts
 * const job = parseJobId("rank-grpo-log-s2");
 * if (job.seed !== 2 || job.method?.reward !== "log") throw new Error(JSON.stringify(job));
 * ```
 */
export function parseJobId(id: string): ReproJob {
  if (id === "sft") return { id, method: null, seed: null };
  const m = /^(.+)-s(\d+)$/.exec(id);
  if (m === null) {
    throw new Error(
      `lib/experiment/repro/jobs.ts: job "${id}": expected "sft" or "<method>-s<seed>"`,
    );
  }
  return { id, method: selectMethods([m[1]])[0], seed: Number(m[2]) };
}

/**
 * The RL run config of a job (the preset, then the shared budget, then the job's algo and seed).
 * @example
 * ```ts
 * const setup = {
 *   init: "ck",
 *   data: "train.jsonl",
 *   test: "test.jsonl",
 *   catalog: "catalog.csv",
 *   out: "runs/repro",
 *   preset: "smoke" as const,
 *   rl: {},
 *   testConversations: null,
 *   evalMaxNewTokens: 24,
 * };
 * const config = rlJobConfig(setup, parseJobId("grpo-s0"));
 * if (config.run_dir !== "runs/repro/grpo-s0" || config.seed !== 0) {
 *   throw new Error(config.run_dir);
 * }
 * ```
 */
export function rlJobConfig(setup: ReproSetup, job: ReproJob): RlRunConfig {
  if (job.method === null || job.seed === null) {
    throw new Error(`lib/experiment/repro/jobs.ts: rlJobConfig: job "${job.id}" has no RL run`);
  }
  return parseRlRunConfig({
    ...experimentPreset(setup.preset).rl,
    ...setup.rl,
    data: setup.data,
    catalog: setup.catalog,
    init: setup.init,
    run_dir: join(setup.out, job.id),
    algo: job.method.algo,
    ...(job.method.reward === undefined ? {} : { reward: job.method.reward }),
    seed: job.seed,
  }, `repro job ${job.id}`);
}

/** Path of a job's result file. */
export function resultPath(out: string, id: string): string {
  return join(out, id, "result.json");
}

/**
 * The result of a finished job, or null.
 * @example Before the SFT evaluation ran
 * ```ts
 * const out = await Deno.makeTempDir();
 * if (await readJobResult(out, "sft") !== null) throw new Error("expected no result yet");
 * await Deno.remove(out);
 * ```
 */
export async function readJobResult(out: string, id: string): Promise<ReproResult | null> {
  try {
    return JSON.parse(await Deno.readTextFile(resultPath(out, id))) as ReproResult;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`${resultPath(out, id)}: unreadable result (${(e as Error).message})`);
  }
}

async function evaluate(dir: string, setup: ReproSetup): Promise<Record<string, number>> {
  const { metrics } = await evalCheckpoint(dir, {
    val: setup.test,
    catalog: setup.catalog,
    ks: [...REPRO_KS],
    maxNewTokens: setup.evalMaxNewTokens,
    maxPromptTokens: setup.rl.max_prompt_tokens ?? 192,
    conversations: setup.testConversations,
    backend: setup.evalBackend ?? "wasm",
  });
  return metrics;
}

/**
 * Runs one job unless its result exists. An RL run whose folder holds a run resumes from its last
 * checkpoint (`runRl` checks the config is the same); one whose last step is saved only evaluates.
 * `stopAfterStep` stops RL early without a result (simulates an interrupted run; for tests).
 * @example Type-checked only (an RL training run, then its evaluation)
 * ```ts
 * async function _job(setup: ReproSetup): Promise<void> {
 *   await runReproJob(setup, parseJobId("grpo-s0"));
 * }
 * ```
 */
export async function runReproJob(
  setup: ReproSetup,
  job: ReproJob,
  options: { log?: (line: string) => void; stopAfterStep?: number } = {},
): Promise<ReproResult | null> {
  const log = options.log ?? ((l: string) => console.error(l));
  const done = await readJobResult(setup.out, job.id);
  if (done !== null) return done;
  let result: ReproResult;
  if (job.method === null) {
    log(`repro sft: evaluating ${setup.init}`);
    const metrics = await evaluate(setup.init, setup);
    result = {
      method: "sft",
      label: "SFT",
      seed: null,
      run_dir: null,
      rl_steps: 0,
      rl_wall_s: 0,
      metrics,
    };
  } else {
    const config = rlJobConfig(setup, job);
    const saved = await checkpointSteps(config.run_dir);
    if (saved.at(-1) !== config.steps) {
      const started = await Deno.stat(join(config.run_dir, "config.json")).then(
        () => true,
        () => false,
      );
      log(
        `repro ${job.id}: ${
          started ? "resuming" : "starting"
        } ${config.steps} RL steps → ${config.run_dir}`,
      );
      const res = await runRl(config, {
        resume: started,
        stopAfterStep: options.stopAfterStep,
        log: (l) => log(`repro ${job.id}: ${l}`),
        onStep: (row) => {
          log(
            `repro ${job.id} step ${row.step}/${config.steps}: dcg ${row.dcg.toFixed(4)} in_cat ${
              row.in_catalog.toFixed(3)
            } (gen ${row.generate_s.toFixed(1)} s, update ${row.update_s.toFixed(1)} s)`,
          );
          return Promise.resolve();
        },
      });
      if (res.stopped) return null;
    }
    const { rows } = await readStepRows(join(config.run_dir, "metrics.jsonl"));
    log(`repro ${job.id}: evaluating the step-${config.steps} checkpoint`);
    result = {
      method: job.method.id,
      label: job.method.label,
      seed: job.seed,
      run_dir: config.run_dir,
      rl_steps: config.steps,
      rl_wall_s: rows.reduce((s, r) => s + Number(r.step_s), 0),
      metrics: await evaluate(checkpointDir(config.run_dir, config.steps), setup),
    };
  }
  await Deno.mkdir(join(setup.out, job.id), { recursive: true });
  await writeFileAtomic(resultPath(setup.out, job.id), JSON.stringify(result, null, 2) + "\n");
  log(
    `repro ${job.id}: ndcg@20 ${
      result.metrics["ndcg@20"]
    }, in-catalog ${result.metrics.in_catalog}`,
  );
  return result;
}
