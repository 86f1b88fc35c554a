// Completion-only loss and batching by hand; the NaN/Inf guard (skip, then stop after K); tensor count
// stable across training steps; the plain-matMul gradient equals the stock one.
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../_assert.ts";
import { adamwInit, disposeAdamW } from "../../../lib/train/optim/adamw.ts";
import { readStepRows } from "../../../lib/train/run/metrics_log.ts";
import { leftTruncate } from "../../../lib/train/sft/examples.ts";
import { padBatch, weightedNll } from "../../../lib/train/sft/loss.ts";
import { withPlainMatMulGrad } from "../../../lib/model/plain_matmul_grad.ts";
import { decoderLoss, type MicroLoss, sftStep } from "../../../lib/train/sft/train_step.ts";
import { runSft } from "../../../lib/train/sft/trainer.ts";
import { smokeConfig, writeFixture } from "./fixture.ts";
import { tinyModelConfig, tinyVariables } from "../../_tiny_model.ts";

await tf.setBackend("cpu");

Deno.test("padBatch: right padding, next-token targets, weight only on completion + EOS", () => {
  const b = padBatch([
    { ids: [5, 6, 7, 8], promptLength: 2, where: "a" },
    { ids: [9, 10, 11], promptLength: 1, where: "b" },
  ], 0);
  assertEquals(b.inputIds, [[5, 6, 7], [9, 10, 0]]);
  assertEquals([...b.targets], [6, 7, 8, 10, 11, 0]);
  assertEquals([...b.weights], [0, 1, 1, 1, 1, 0]);
  assertEquals(b.lossTokens, 4);
  assertEquals(b.inputTokens, 5);
  assertEquals(leftTruncate([1, 2, 3, 4], 3), [2, 3, 4]);
});

Deno.test("weightedNll: Σ w·(logsumexp − logit[target]) by hand", () => {
  const logits = tf.tensor3d([[[1, 2, 3], [0, 0, 0]]]); // (1, 2, 3)
  const nll = weightedNll(logits, Int32Array.from([2, 0]), Float32Array.from([1, 0.5]));
  const lse1 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  assertAlmostEquals(nll.dataSync()[0], (lse1 - 3) + 0.5 * Math.log(3), 1e-5);
  tf.dispose([logits, nll]);
});

const tiny = tinyModelConfig(); // vocab 32, hidden 16, 1 layer

function tinySetup() {
  const params = tinyVariables(tiny, 3);
  const batch = padBatch([
    { ids: [1, 4, 5, 6, 7, 2], promptLength: 3, where: "a" },
    { ids: [1, 8, 9, 2], promptLength: 2, where: "b" },
  ], 0);
  return { params, optimizer: adamwInit(params), batch };
}

Deno.test("sftStep: a NaN loss skips the update (weights and optimizer untouched)", async () => {
  const { params, optimizer, batch } = tinySetup();
  const before = params["model.norm.weight"].dataSync().slice();
  const nanLoss: MicroLoss = (p, b) => tf.tidy(() => tf.mul(decoderLoss(tiny)(p, b), NaN));
  const out = await sftStep(params, optimizer, [batch], {
    lossFn: nanLoss,
    lr: 0.1,
    maxGradNorm: 1,
  });
  assert(out.skipped);
  assertEquals(optimizer.step, 0);
  assertEquals(params["model.norm.weight"].dataSync(), before);
  const ok = await sftStep(params, optimizer, [batch], {
    lossFn: decoderLoss(tiny),
    lr: 0.1,
    maxGradNorm: 1,
  });
  assert(!ok.skipped && Number.isFinite(ok.loss));
  assertEquals(optimizer.step, 1);
  disposeAdamW(optimizer);
  tf.dispose(Object.values(params));
});

Deno.test("sftStep: tf tensor count is the same after every training step", async () => {
  const { params, optimizer, batch } = tinySetup();
  const counts: number[] = [];
  for (let i = 0; i < 4; i++) {
    await sftStep(params, optimizer, [batch, batch], {
      lossFn: decoderLoss(tiny),
      lr: 1e-2,
      maxGradNorm: 1,
    });
    counts.push(tf.memory().numTensors);
  }
  assertEquals(new Set(counts).size, 1, `tensor counts ${counts}`);
  disposeAdamW(optimizer);
  tf.dispose(Object.values(params));
});

Deno.test("gradient accumulation: two micro-batches give the gradient of their concatenation", async () => {
  const a = tinySetup(), b = tinySetup();
  const ex = [
    { ids: [1, 4, 5, 6, 7, 2], promptLength: 3, where: "a" },
    { ids: [1, 8, 9, 2, 2, 2], promptLength: 2, where: "b" },
  ];
  const opts = { lossFn: decoderLoss(tiny), lr: 0.05, maxGradNorm: 100 };
  const oa = await sftStep(a.params, a.optimizer, [padBatch(ex, 0)], opts);
  const ob = await sftStep(
    b.params,
    b.optimizer,
    [padBatch([ex[0]], 0), padBatch([ex[1]], 0)],
    opts,
  );
  assertAlmostEquals(ob.loss, oa.loss, 1e-5);
  assertAlmostEquals(ob.gradNorm, oa.gradNorm, 1e-4);
  const wa = a.params["model.layers.0.mlp.up_proj.weight"].dataSync();
  const wb = b.params["model.layers.0.mlp.up_proj.weight"].dataSync();
  wa.forEach((x, i) => assertAlmostEquals(wb[i], x, 1e-5));
  for (const s of [a, b]) {
    disposeAdamW(s.optimizer);
    tf.dispose(Object.values(s.params));
  }
});

Deno.test("withPlainMatMulGrad: same gradients as the stock BatchMatMul gradient; stock restored", async () => {
  const x = tf.randomNormal([2, 3, 5, 4], 0, 1, "float32", 1);
  const y = tf.randomNormal([2, 3, 6, 4], 0, 1, "float32", 2);
  const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b, false, true)));
  const stockGrad = tf.grads(f)([x, y]);
  const stockConfig = tf.getGradient("BatchMatMul");
  const plain = await withPlainMatMulGrad(() => tf.grads(f)([x, y]));
  assertEquals(tf.getGradient("BatchMatMul"), stockConfig);
  for (let i = 0; i < 2; i++) {
    const s = stockGrad[i].dataSync(), p = plain[i].dataSync();
    s.forEach((v, j) => assertAlmostEquals(p[j], v, 1e-4));
  }
  tf.dispose([x, y, ...stockGrad, ...plain]);
});

Deno.test("runSft: NaN at one step is skipped and logged; K consecutive NaN steps stop with a clear error", async () => {
  const f = await writeFixture();
  try {
    let calls = 0;
    const onceNaN = (cfg: typeof tiny): MicroLoss => (p, b) => {
      calls++;
      const loss = decoderLoss(cfg)(p, b);
      return calls === 2 ? tf.tidy(() => tf.mul(loss, NaN)) : loss;
    };
    const logs: string[] = [];
    const cfg = smokeConfig(f, join(f.dir, "once"), { max_steps: 3, save_every: 10 });
    await runSft(cfg, { lossFn: onceNaN, log: (l) => logs.push(l) });
    const rows = (await readStepRows(join(cfg.run_dir, "metrics.jsonl"))).rows;
    assertEquals(rows.filter((r) => r.phase !== "eval").map((r) => r.phase), [
      "train",
      "skipped",
      "train",
    ]);
    assert(logs.some((l) => l.includes("step 2: non-finite loss")), logs.join("\n"));

    const alwaysNaN = (cfg: typeof tiny): MicroLoss => (p, b) =>
      tf.tidy(() => tf.mul(decoderLoss(cfg)(p, b), NaN));
    const stop = smokeConfig(f, join(f.dir, "stop"), { max_bad_steps: 2 });
    await assertRejects(
      () => runSft(stop, { lossFn: alwaysNaN, log: () => {} }),
      "2 consecutive non-finite steps",
    );
    assertEquals((await readStepRows(join(stop.run_dir, "metrics.jsonl"))).rows.length, 2);
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
