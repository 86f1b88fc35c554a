// The RL loop end to end on the smoke fixture: exact resume (N steps vs k + resume to N), a stable tfjs
// tensor count across steps, and every algorithm running from the same SFT checkpoint.
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertEquals } from "../../_assert.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { readStepRows } from "../../../lib/train/run/metrics_log.ts";
import { checkpointSteps } from "../../../lib/train/run/train_checkpoint.ts";
import { runRl } from "../../../lib/train/rl_loop/trainer.ts";
import { type RlFixture, smokeRlConfig, withoutTiming, writeRlFixture } from "./fixture.ts";

const quiet = { log: () => {} };
let fixture: RlFixture | null = null;
async function getFixture(): Promise<RlFixture> {
  fixture ??= await writeRlFixture();
  return fixture;
}

Deno.test("rl resume: stop after step 3, resume to 4 → same metrics rows and identical weights", async () => {
  const f = await getFixture();
  await useBackend("wasm");
  const before = tf.memory().numTensors;
  const full = smokeRlConfig(f, join(f.dir, "rl-full"));
  const res = await runRl(full, quiet);
  assertEquals(res.step, 4);
  assertEquals(tf.memory().numTensors, before, "runRl disposes every tensor it made");

  const cut = smokeRlConfig(f, join(f.dir, "rl-cut"));
  const first = await runRl(cut, { ...quiet, stopAfterStep: 3 });
  assert(first.stopped);
  assertEquals(await checkpointSteps(cut.run_dir), [2]);
  const second = await runRl(cut, { ...quiet, resume: true });
  assertEquals(second.resumedFrom, 2);

  const a = (await readStepRows(join(full.run_dir, "metrics.jsonl"))).rows;
  const b = (await readStepRows(join(cut.run_dir, "metrics.jsonl"))).rows;
  assertEquals(a.length, 4);
  assertEquals(withoutTiming(b), withoutTiming(a));
  const weights = (dir: string) => Deno.readFile(join(dir, "checkpoints/step-4/model.safetensors"));
  assertEquals(await weights(cut.run_dir), await weights(full.run_dir));
  const opt = (dir: string) => Deno.readFile(join(dir, "checkpoints/step-4/optimizer.safetensors"));
  assertEquals(await opt(cut.run_dir), await opt(full.run_dir));
  // the policy moved away from the SFT init
  assert(
    !bytesEqual(
      await weights(full.run_dir),
      await Deno.readFile(join(f.init, "model.safetensors")),
    ),
    "RL changed the weights",
  );
});

Deno.test("rl step records: every field of issue 5 item 5, finite and in range", async () => {
  const f = await getFixture();
  const cfg = smokeRlConfig(f, join(f.dir, "rl-records"), { steps: 2, algo: "grpo" });
  const seen: number[] = [];
  const tensorsPerStep: number[] = [];
  await runRl(cfg, {
    ...quiet,
    onStep: (row) => {
      seen.push(row.step);
      tensorsPerStep.push(tf.memory().numTensors);
      return Promise.resolve();
    },
  });
  assertEquals(seen, [1, 2]);
  assertEquals(tensorsPerStep[1], tensorsPerStep[0], "tensor count stable across RL steps");
  const { rows } = await readStepRows(join(cfg.run_dir, "metrics.jsonl"));
  for (const row of rows) {
    assertEquals((row.rank_reward as number[]).length, 20);
    for (
      const k of [
        "reward_mean",
        "reward_std",
        "zero_std_frac",
        "clip_low",
        "clip_high",
        "kl",
        "entropy",
        "completion_len",
        "items",
        "in_catalog",
        "gen_tokens_per_s",
        "train_tokens_per_s",
        "generate_s",
        "score_s",
        "update_s",
      ]
    ) {
      assert(Number.isFinite(row[k]), `${k} = ${row[k]}`);
    }
    assert((row.zero_std_frac as number) >= 0 && (row.zero_std_frac as number) <= 1);
    assert((row.in_catalog as number) >= 0 && (row.in_catalog as number) <= 1);
    assert((row.entropy as number) > 0, "a sampled policy has positive entropy");
    assert((row.completion_len as number) >= 1 && (row.completion_len as number) <= 16);
  }
  assertEquals(rows[0].kl, 0, "step 1 policy = the reference: KL exactly 0");
});

Deno.test({
  name: "rl: grpo, gspo and rank-grpo(log, mu 2) all run from the same checkpoint",
  async fn() {
    const f = await getFixture();
    for (
      const over of [{ algo: "gspo" as const }, {
        algo: "rank-grpo" as const,
        reward: "log",
        mu: 2,
        loss_norm: "rank" as const,
      }]
    ) {
      const cfg = smokeRlConfig(f, join(f.dir, `rl-${over.algo}`), { ...over, steps: 1 });
      const r = await runRl(cfg, quiet);
      assertEquals(r.step, 1);
      const { rows } = await readStepRows(join(cfg.run_dir, "metrics.jsonl"));
      assert(Number.isFinite(rows[0].loss), `${over.algo}: loss ${rows[0].loss}`);
    }
    await Deno.remove(f.dir, { recursive: true });
  },
});

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
