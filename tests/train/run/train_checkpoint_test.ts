// Training checkpoints appear whole or not at all: a save that throws, or a process that dies mid-save,
// leaves the previous checkpoint byte-identical and loadable; the next save cleans up; SFT resumes.
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../_assert.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { loadCheckpoint } from "../../../lib/model/checkpoint.ts";
import { type DecoderWeights, disposeWeights } from "../../../lib/model/weights.ts";
import type { AdamWState } from "../../../lib/train/optim/adamw.ts";
import { readStepRows } from "../../../lib/train/run/metrics_log.ts";
import {
  checkpointDir,
  checkpointSteps,
  loadTrainCheckpoint,
  pruneCheckpoints,
  saveTrainCheckpoint,
  type TrainCheckpoint,
} from "../../../lib/train/run/train_checkpoint.ts";
import { runSft } from "../../../lib/train/sft/trainer.ts";
import { smokeConfig, withoutTiming, writeFixture } from "../sft/fixture.ts";

const FIXTURE = new URL("../../fixtures/model/tiny_qwen2", import.meta.url).pathname;
const DENO_JSON = new URL("../../../deno.json", import.meta.url).pathname;
const TRAIN_CHECKPOINT =
  new URL("../../../lib/train/run/train_checkpoint.ts", import.meta.url).href;

/** Every file under `dir` (relative path → bytes). */
async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) {
      for (const [k, v] of await snapshot(p)) out.set(`${e.name}/${k}`, v);
    } else out.set(e.name, await Deno.readFile(p));
  }
  return out;
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort();
}

/**
 * Runs a child process that reloads checkpoint `fromStep` of `runDir` and saves it again as `toStep`,
 * but exits (code 3, like a crash) while trainer_state.json — the last file — is being serialised.
 */
async function crashMidSave(runDir: string, fromStep: number, toStep: number): Promise<number> {
  const script = join(runDir, `crash_${toStep}.ts`);
  const from = checkpointDir(runDir, fromStep);
  await Deno.writeTextFile(
    script,
    `import { loadTrainCheckpoint, saveTrainCheckpoint } from ${JSON.stringify(TRAIN_CHECKPOINT)};
const c = await loadTrainCheckpoint(${JSON.stringify(from)});
const read = (f: string) => JSON.parse(Deno.readTextFileSync(${JSON.stringify(from)} + "/" + f));
const tokenizer = { tokenizerJson: read("tokenizer.json"), tokenizerConfigJson: read("tokenizer_config.json") };
const { step: _s, optimizer_step: _o, ...rest } = c.trainerState;
await saveTrainCheckpoint(${JSON.stringify(runDir)}, {
  ...c, step: ${toStep}, tokenizer, trainerState: { ...rest, crash: { toJSON: () => Deno.exit(3) } },
});
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", `--config=${DENO_JSON}`, script],
    stdout: "null",
    stderr: "piped",
  }).output();
  await Deno.remove(script);
  if (out.code !== 3) throw new Error(new TextDecoder().decode(out.stderr));
  return out.code;
}

/** A checkpoint of the tiny fixture model with nonzero AdamW moments. */
async function tinyCheckpoint(step: number): Promise<TrainCheckpoint> {
  const { config, weights } = await loadCheckpoint(FIXTURE);
  const m: Record<string, tf.Tensor> = {}, v: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(weights)) {
    m[k] = tf.mul(t, 0.1);
    v[k] = tf.square(t);
  }
  const optimizer: AdamWState = { step, m, v };
  return {
    step,
    weights,
    modelConfig: config,
    tokenizer: { tokenizerJson: { version: "1.0" }, tokenizerConfigJson: { eos_token: "</s>" } },
    optimizer,
    trainerState: { seed: 7, epoch: 0 },
  };
}

function disposeCheckpoint(c: { weights: DecoderWeights; optimizer: AdamWState }): void {
  disposeWeights(c.weights);
  tf.dispose([...Object.values(c.optimizer.m), ...Object.values(c.optimizer.v)]);
}

Deno.test("train checkpoint: a throw or a process death mid-save keeps the previous checkpoint", async () => {
  await useBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "convrec_ckpt_test_" });
  const ckpt = await tinyCheckpoint(2);
  try {
    const run = join(dir, "run"), ckpts = join(dir, "run", "checkpoints");
    await saveTrainCheckpoint(run, ckpt);
    const before = await snapshot(checkpointDir(run, 2));
    assertEquals([...before.keys()].sort(), [
      "config.json",
      "model.safetensors",
      "optimizer.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
      "trainer_state.json",
    ]);

    // 1. the writer throws while optimizer.safetensors is half written
    const last = Object.keys(ckpt.optimizer.v).at(-1)!;
    const broken = Object.create(ckpt.optimizer.v[last], {
      data: { value: () => Promise.reject(new Error("simulated disk error")) },
    });
    const failing = { ...ckpt.optimizer, v: { ...ckpt.optimizer.v, [last]: broken } };
    await assertRejects(
      () => saveTrainCheckpoint(run, { ...ckpt, step: 4, optimizer: failing }),
      "simulated disk error",
    );
    assertEquals(await names(ckpts), ["step-2"]);

    // 2. the process dies mid-save: its half-built folder stays behind, hidden and ignored
    await crashMidSave(run, 2, 4);
    const left = (await names(ckpts)).filter((n) => n !== "step-2");
    assertEquals(left.length, 1);
    assert(/^\.step-4\.[0-9a-f]+\.tmp$/.test(left[0]), `leftover ${left[0]}`);
    const partial = await names(join(ckpts, left[0]));
    assert(partial.includes("optimizer.safetensors") && !partial.includes("trainer_state.json"));
    assertEquals(await checkpointSteps(run), [2]);
    assertEquals(await snapshot(checkpointDir(run, 2)), before, "step-2 is byte-identical");
    const back = await loadTrainCheckpoint(checkpointDir(run, 2)); // resume reads it
    assertEquals(back.step, 2);
    for (const k of Object.keys(ckpt.weights)) {
      assertEquals(await back.weights[k].data(), await ckpt.weights[k].data(), k);
      assertEquals(await back.optimizer.v[k].data(), await ckpt.optimizer.v[k].data(), k);
    }
    disposeCheckpoint(back);

    // 3. the next save removes the leftover
    await saveTrainCheckpoint(run, { ...ckpt, step: 4 });
    assertEquals(await names(ckpts), ["step-2", "step-4"]);

    // 4. a crash between writeDirAtomic's two renames left only the old copy: restored on next save
    await Deno.rename(
      checkpointDir(run, 4),
      join(ckpts, ".step-4.old-.step-4.0a1b2c3d4e5f6789.tmp"),
    );
    assertEquals(await checkpointSteps(run), [2]);
    await saveTrainCheckpoint(run, { ...ckpt, step: 6 });
    assertEquals(await checkpointSteps(run), [2, 4, 6]);
    assertEquals(await names(ckpts), ["step-2", "step-4", "step-6"]);

    await pruneCheckpoints(run, 1);
    assertEquals(await names(ckpts), ["step-6"]);
  } finally {
    disposeCheckpoint(ckpt);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sft resume after a process died mid-save: resumes from the previous checkpoint, same result", async () => {
  const f = await writeFixture();
  const quiet = { log: () => {} };
  try {
    const full = smokeConfig(f, join(f.dir, "full"));
    await runSft(full, quiet);
    const cut = smokeConfig(f, join(f.dir, "cut"));
    await runSft(cut, { ...quiet, stopAfterStep: 3 });
    assertEquals(await checkpointSteps(cut.run_dir), [2]);
    await crashMidSave(cut.run_dir, 2, 4); // as if the run died while saving step 4
    const resumed = await runSft(cut, { ...quiet, resume: true });
    assertEquals(resumed.resumedFrom, 2);
    const a = (await readStepRows(join(full.run_dir, "metrics.jsonl"))).rows;
    const b = (await readStepRows(join(cut.run_dir, "metrics.jsonl"))).rows;
    assertEquals(withoutTiming(b), withoutTiming(a));
    const final = (run: string) => Deno.readFile(join(checkpointDir(run, 6), "model.safetensors"));
    assertEquals(await final(cut.run_dir), await final(full.run_dir));
    assertEquals(
      (await names(join(cut.run_dir, "checkpoints"))).filter((n) => n.startsWith(".")),
      [],
      "no leftovers after the resumed run saved again",
    );
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
