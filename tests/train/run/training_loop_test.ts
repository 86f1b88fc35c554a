// The shared training-run scaffold: callback order per step (step → bad-step check → afterStep →
// save), checkpoints every save_every and at the last step, stop/resume with the trainer state and the
// bad-step count carried over, afterLast only after a completed run, the bad-step limit.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects } from "../../_assert.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { loadCheckpoint } from "../../../lib/model/checkpoint.ts";
import { readTokenizerFiles } from "../../../lib/model/tokenizer/load.ts";
import { readStepRows, type StepRow } from "../../../lib/train/run/metrics_log.ts";
import {
  checkpointDir,
  checkpointSteps,
  loadTrainCheckpoint,
} from "../../../lib/train/run/train_checkpoint.ts";
import {
  runTrainingLoop,
  type StepHealth,
  type TrainingLoopOptions,
  type TrainingRun,
  type TrainingSteps,
} from "../../../lib/train/run/training_loop.ts";

const FIXTURE = new URL("../../fixtures/model/tiny_qwen2", import.meta.url).pathname;
const TOKENIZER = new URL("../../fixtures/tokenizer/tiny_qwen2", import.meta.url).pathname;

/** A run of the tiny fixture model whose "update" adds 1 to every weight (so steps are countable). */
async function setup(runDir: string, over: Partial<TrainingRun> = {}) {
  await useBackend("cpu");
  const { config } = await loadCheckpoint(FIXTURE);
  const run: TrainingRun = {
    name: "toy",
    runDir,
    record: { what: "toy" },
    totalSteps: 5,
    checkpoints: { save_every: 2, keep_checkpoints: 10 },
    modelConfig: config,
    tokenizer: await readTokenizerFiles(TOKENIZER),
    freshWeights: async () => (await loadCheckpoint(FIXTURE)).weights,
    ...over,
  };
  return run;
}

function toySteps(events: string[], health: (s: number) => StepHealth | void = () => {}) {
  let counter = 0;
  const steps: TrainingSteps<StepRow> = {
    async step(s, ctx) {
      events.push(`step ${s}`);
      for (const v of Object.values(ctx.params)) v.assign(tf.add(v, 1));
      counter++;
      await ctx.record({ step: s, phase: "train", counter });
      return health(s);
    },
    async afterStep(s, ctx) {
      events.push(`after ${s}`);
      await ctx.record({ step: s, phase: "eval" });
    },
    trainerState: (s) => ({ at: s, counter }),
    restore: (state) => counter = Number(state.counter),
    afterLast() {
      events.push("last");
      return Promise.resolve();
    },
  };
  return steps;
}

async function firstWeight(dir: string): Promise<number> {
  const { weights } = await loadCheckpoint(dir);
  const [name] = Object.keys(weights).sort();
  const first = (await weights[name].data())[0];
  Object.values(weights).forEach((t) => t.dispose());
  return first;
}

Deno.test("runTrainingLoop: step → afterStep per step, checkpoints at save_every and the last, afterLast once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec_loop_" });
  const run = await setup(`${dir}/run`);
  const events: string[] = [];
  const r = await runTrainingLoop(run, toySteps(events));
  assertEquals(events, [
    ...[1, 2, 3, 4, 5].flatMap((s) => [`step ${s}`, `after ${s}`]),
    "last",
  ]);
  assertEquals(r, {
    step: 5,
    resumedFrom: 0,
    stopped: false,
    lastCheckpoint: checkpointDir(run.runDir, 5),
  });
  assertEquals(await checkpointSteps(run.runDir), [2, 4, 5]);
  const ck = await loadTrainCheckpoint(checkpointDir(run.runDir, 4));
  assertEquals(ck.trainerState.at, 4);
  assertEquals(ck.trainerState.counter, 4);
  assert(!("bad_steps" in ck.trainerState), "no bad_steps without max_bad_steps");
  const start = await firstWeight(FIXTURE);
  assert(Math.abs(await firstWeight(checkpointDir(run.runDir, 5)) - (start + 5)) < 1e-4);
  const { rows } = await readStepRows(`${run.runDir}/metrics.jsonl`);
  assertEquals(
    rows.map((x) => `${x.step}${x.phase[0]}`).join(" "),
    "1t 1e 2t 2e 3t 3e 4t 4e 5t 5e",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runTrainingLoop: stopAfterStep, then resume restores state, truncates rows, no afterLast on stop", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec_loop_" });
  const run = await setup(`${dir}/run`);
  const events: string[] = [];
  const stop: TrainingLoopOptions<StepRow> = { stopAfterStep: 3, log: () => {} };
  const first = await runTrainingLoop(run, toySteps(events), stop);
  assertEquals(first.stopped, true);
  assertEquals(first.step, 3);
  assert(!events.includes("last"), "afterLast must not run after a stop");
  const logs: string[] = [];
  const again: string[] = [];
  const second = await runTrainingLoop(run, toySteps(again), {
    resume: true,
    log: (l) => logs.push(l),
  });
  assertEquals(second.resumedFrom, 2); // step 3 was not a save step: resume from step-2
  assertEquals(again, ["step 3", "after 3", "step 4", "after 4", "step 5", "after 5", "last"]);
  assert(logs.some((l) => l === `toy: resuming ${run.runDir} from step 2`), logs.join("\n"));
  assert(logs.some((l) => l.includes("removed 2 metrics rows after step 2")), logs.join("\n"));
  const { rows } = await readStepRows(`${run.runDir}/metrics.jsonl`);
  assertEquals(rows.filter((x) => x.phase === "train").map((x) => x.counter), [1, 2, 3, 4, 5]);
  const start = await firstWeight(FIXTURE);
  assert(Math.abs(await firstWeight(checkpointDir(run.runDir, 5)) - (start + 5)) < 1e-4);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runTrainingLoop: consecutive skipped steps are counted across a resume and stop at max_bad_steps", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec_loop_" });
  const run = await setup(`${dir}/run`, {
    checkpoints: { save_every: 2, keep_checkpoints: 10, max_bad_steps: 3 },
    totalSteps: 8,
  });
  const bad = (s: number): StepHealth => ({ skipped: s >= 2, loss: s >= 2 ? NaN : 1, gradNorm: 1 });
  const logs: string[] = [];
  await runTrainingLoop(run, toySteps([], bad), { stopAfterStep: 2, log: (l) => logs.push(l) });
  assertEquals((await loadTrainCheckpoint(checkpointDir(run.runDir, 2))).trainerState.bad_steps, 1);
  assert(logs.some((l) => l === "toy: step 2: non-finite loss NaN / grad norm 1: update skipped"));
  const events: string[] = [];
  await assertRejects(
    () => runTrainingLoop(run, toySteps(events, bad), { resume: true, log: () => {} }),
    "toy: 3 consecutive non-finite steps (last: step 4, loss NaN, grad norm 1); stopping (max_bad_steps 3)",
  );
  assertEquals(events, ["step 3", "after 3", "step 4"]); // the limit stops before step 4's afterStep
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runTrainingLoop: a healthy step resets the bad-step count", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec_loop_" });
  const run = await setup(`${dir}/run`, {
    checkpoints: { save_every: 2, keep_checkpoints: 10, max_bad_steps: 2 },
    totalSteps: 4,
  });
  const bad = (s: number): StepHealth => ({ skipped: s % 2 === 1, loss: 1, gradNorm: NaN });
  const r = await runTrainingLoop(run, toySteps([], bad), { log: () => {} });
  assertEquals(r.step, 4);
  assertEquals((await loadTrainCheckpoint(checkpointDir(run.runDir, 4))).trainerState.bad_steps, 0);
  await Deno.remove(dir, { recursive: true });
});
