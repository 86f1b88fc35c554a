// KV cache: prefill + incremental decode equals full recomputation, token by token; tfjs tensor count
// stays flat across repeated forward / cached-decode / gradient calls.
// Tolerance: cached and full passes sum attention over different key counts and chunk shapes, so they
// differ by float32 rounding of the decoder's chain (decoderChainLength; tests/_assert.ts).
import { assertAllClose, assertEquals, f32Tolerance, maxAbs } from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../lib/model/backend.ts";
import { cacheLength, disposeKvCache, forward, type KvCache } from "../../lib/model/decoder.ts";
import { causalMask } from "../../lib/model/attention.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import { presetConfig } from "../../lib/model/config.ts";
import { disposeWeights, initWeights, tensorSeed } from "../../lib/model/weights.ts";
import { decoderChainLength } from "./_fixtures.ts";

const FIXTURES = new URL("../fixtures/model/", import.meta.url).pathname;
const IDS = [[1, 7, 42, 3, 19, 0, 47, 11, 30], [5, 5, 33, 12, 8, 40, 2, 2, 17]];

Deno.test("causalMask: offsets by the cached length and tiles over query groups", async () => {
  await useBackend("cpu");
  const m = causalMask(1, 2, 2); // groups 2, T 2, S 3
  const N = -1e9;
  assertEquals(Array.from(await m.data()), [0, 0, N, 0, 0, 0, 0, 0, N, 0, 0, 0]);
  m.dispose();
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`kv cache (${backend}): prefill + per-token decode equals full recomputation`, async () => {
    await useBackend(backend);
    for (const name of ["tiny_llama", "tiny_qwen2"]) {
      const { config, weights } = await loadCheckpoint(`${FIXTURES}${name}`);
      const T = IDS[0].length, V = config.vocab_size, prefill = 3;
      const full = await forward(weights, config, IDS).logits.data(); // (B, T, V)
      const n = decoderChainLength(config, { S: T, rows: IDS.length * T }).logits;
      const tol = f32Tolerance(n, maxAbs(full));
      const rows = (t0: number, t1: number) => IDS.map((r) => r.slice(t0, t1));
      const slice = (t0: number, t1: number) =>
        IDS.flatMap((_, b) => Array.from(full.slice((b * T + t0) * V, (b * T + t1) * V)));

      let { logits, kvCache } = forward(weights, config, rows(0, prefill), { returnCache: true });
      assertAllClose(await logits.data(), slice(0, prefill), tol, `${name} prefill`);
      // then a 2-token chunk (mask offset inside a chunk), then one token at a time
      const steps: Array<[number, number]> = [[prefill, prefill + 2]];
      for (let t = prefill + 2; t < T; t++) steps.push([t, t + 1]);
      for (const [t0, t1] of steps) {
        logits.dispose();
        const next = forward(weights, config, rows(t0, t1), { kvCache });
        disposeKvCache(kvCache);
        ({ logits, kvCache } = next);
        assertEquals(cacheLength(kvCache), t1);
        assertAllClose(await logits.data(), slice(t0, t1), tol, `${name} step ${t0}..${t1}`);
      }
      logits.dispose();
      disposeKvCache(kvCache);
      disposeWeights(weights);
    }
    await useBackend("cpu");
  });
}

Deno.test("memory: tensor count is stable across forward, cached decode and grads", async () => {
  await useBackend("cpu");
  const config = { ...presetConfig("builtin-small"), vocab_size: 64, num_hidden_layers: 2 };
  const weights = initWeights(config, { seed: 1 });
  const names = Object.keys(weights);
  const ids = [[1, 2, 3, 4], [5, 6, 7, 8]];
  const once = () => {
    forward(weights, config, ids).logits.dispose();
    const pre = forward(weights, config, ids, { returnCache: true });
    let cache: KvCache | undefined = pre.kvCache;
    pre.logits.dispose();
    for (let i = 0; i < 2; i++) {
      const step = forward(weights, config, [[9], [10]], { kvCache: cache });
      disposeKvCache(cache);
      step.logits.dispose();
      cache = step.kvCache;
    }
    disposeKvCache(cache);
    const f = (...ts: tf.Tensor[]) =>
      tf.mean(
        forward(Object.fromEntries(names.map((n, i) => [n, ts[i]])), config, ids).logits,
      ) as tf.Scalar;
    tf.dispose(tf.grads(f)(names.map((n) => weights[n])));
  };
  once(); // warm-up (backend-internal allocations)
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) once();
  assertEquals(tf.memory().numTensors, before);
  disposeWeights(weights);
  assertEquals(tf.memory().numTensors, before - names.length);
});

Deno.test("initWeights: seeded, HF init statistics, same seed → same weights", async () => {
  await useBackend("cpu");
  const config = presetConfig("builtin-small");
  const a = initWeights(config, { seed: 7 }), b = initWeights(config, { seed: 7 });
  const c = initWeights(config, { seed: 8 });
  const name = "model.layers.1.mlp.up_proj.weight";
  const [va, vb, vc] = await Promise.all(
    [a, b, c].map(async (w) => Array.from(await w[name].data())),
  );
  assertEquals(va, vb);
  assertEquals(tensorSeed(7, name) !== tensorSeed(8, name), true);
  assertEquals(tensorSeed(7, name) !== tensorSeed(7, "model.layers.1.mlp.gate_proj.weight"), true);
  assertEquals(va.some((v, i) => v !== vc[i]), true);
  const mean = va.reduce((s, v) => s + v, 0) / va.length;
  const std = Math.sqrt(va.reduce((s, v) => s + (v - mean) ** 2, 0) / va.length);
  assertEquals(
    Math.abs(mean) < 1e-3 && Math.abs(std - 0.02) < 1e-3,
    true,
    `mean ${mean} std ${std}`,
  );
  assertEquals(Array.from(await a["model.norm.weight"].data()).every((v) => v === 1), true);
  const bias = a["model.layers.0.self_attn.q_proj.bias"];
  assertEquals(Array.from(await bias.data()).every((v) => v === 0), true);
  assertEquals(a["lm_head.weight"], undefined); // preset ties embeddings
  [a, b, c].forEach(disposeWeights);
});
