// Exact resume: an uninterrupted smoke run vs one stopped after step 3 (in-process, and a subprocess
// killed with SIGKILL) then resumed from its last checkpoint: same metrics rows and bit-identical weights.
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertEquals } from "../../_assert.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { readStepRows } from "../../../lib/train/run/metrics_log.ts";
import { checkpointSteps } from "../../../lib/train/run/train_checkpoint.ts";
import { evalCheckpoint } from "../../../lib/train/eval/eval_checkpoint.ts";
import { runSft } from "../../../lib/train/sft/trainer.ts";
import { smokeConfig, withoutTiming, writeFixture } from "./fixture.ts";

const quiet = { log: () => {} };

async function finalWeights(runDir: string, step: number): Promise<Uint8Array> {
  return await Deno.readFile(join(runDir, "checkpoints", `step-${step}`, "model.safetensors"));
}

Deno.test("sft resume: stop after step 3, resume to 6 → same metrics and bit-identical weights", async () => {
  const f = await writeFixture();
  try {
    const full = smokeConfig(f, join(f.dir, "full"));
    await useBackend("wasm"); // the backend runSft selects, so counts are of one engine
    const before = tf.memory().numTensors;
    const res = await runSft(full, quiet);
    assertEquals(res.step, 6);
    assertEquals(tf.memory().numTensors, before, "runSft disposes every tensor it made");

    const cut = smokeConfig(f, join(f.dir, "cut"));
    const first = await runSft(cut, { ...quiet, stopAfterStep: 3 });
    assert(first.stopped);
    assertEquals(await checkpointSteps(cut.run_dir), [2]); // step 3's work is lost, as after a crash
    assertEquals((await readStepRows(join(cut.run_dir, "metrics.jsonl"))).rows.length, 3);
    const second = await runSft(cut, { ...quiet, resume: true });
    assertEquals(second.resumedFrom, 2);

    const a = (await readStepRows(join(full.run_dir, "metrics.jsonl"))).rows;
    const b = (await readStepRows(join(cut.run_dir, "metrics.jsonl"))).rows;
    assertEquals(a.map((r) => `${r.step}:${r.phase}`), b.map((r) => `${r.step}:${r.phase}`));
    assertEquals(withoutTiming(b), withoutTiming(a));
    assertEquals(await finalWeights(cut.run_dir, 6), await finalWeights(full.run_dir, 6));

    // the saved checkpoint (with its tokenizer) reproduces the in-run eval
    const { metrics } = await evalCheckpoint(join(full.run_dir, "checkpoints/step-6"), {
      val: f.val,
      catalog: f.catalog,
      maxNewTokens: full.eval_max_new_tokens,
      maxPromptTokens: full.max_seq_len - full.eval_max_new_tokens,
      conversations: full.eval_conversations,
    });
    const inRun = withoutTiming(a.filter((r) => r.phase === "eval"))[0];
    assertEquals(inRun.conversations, 2);
    assert((inRun.rows as number) >= 2, "every row of a conversation is scored");
    for (const k of ["rows", "in_catalog", "recall@20", "ndcg@20"]) {
      assertEquals(metrics[k], inRun[k], k);
    }
    assertEquals(
      await Deno.readFile(join(cut.run_dir, "checkpoints/step-6/optimizer.safetensors")),
      await Deno.readFile(join(full.run_dir, "checkpoints/step-6/optimizer.safetensors")),
    );
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("sft resume: a subprocess killed with SIGKILL mid-run resumes to the same result", async () => {
  const f = await writeFixture();
  try {
    const full = smokeConfig(f, join(f.dir, "full"), { max_steps: 8 });
    await runSft(full, quiet);
    const killed = smokeConfig(f, join(f.dir, "killed"), { max_steps: 8 });
    const script = join(f.dir, "child.ts");
    const trainer = new URL("../../../lib/train/sft/trainer.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { runSft } from ${JSON.stringify(trainer)};\n` +
        `await runSft(${JSON.stringify(killed)}, { log: () => {} });\n`,
    );
    const config = new URL("../../../deno.json", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-A", `--config=${config}`, script],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const metrics = join(killed.run_dir, "metrics.jsonl");
    let seen = 0;
    for (let i = 0; i < 600 && seen < 5; i++) { // wait until step 5 is recorded (checkpoint 4 exists)
      await new Promise((r) => setTimeout(r, 100));
      seen = (await readStepRows(metrics).catch(() => ({ rows: [] }))).rows.length;
    }
    child.kill("SIGKILL");
    const status = await child.status;
    assert(!status.success, "the child must have been killed, not finished");
    assert(seen >= 5, `child recorded ${seen} steps before the kill`);
    const resumed = await runSft(killed, { ...quiet, resume: true });
    assert(
      resumed.resumedFrom >= 4 && resumed.resumedFrom < 8,
      `resumed from ${resumed.resumedFrom}`,
    );
    const a = (await readStepRows(join(full.run_dir, "metrics.jsonl"))).rows;
    const b = (await readStepRows(metrics)).rows;
    assertEquals(withoutTiming(b), withoutTiming(a));
    assertEquals(await finalWeights(killed.run_dir, 8), await finalWeights(full.run_dir, 8));
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
