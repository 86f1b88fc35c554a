// The plain-array decoder (lib/model/generate/array_decode.ts) against its tfjs twin decodeForward: the
// same left-padded prefill and cached steps give the same logits, with the JS sgemm and with OpenBLAS
// (skipped visibly where OpenBLAS is not installed); row copies and dropped rows keep each row's cache.
// Tolerance: both sum the decoder's chain in float32 in other orders (decoderChainLength, n·EPS32 scaled
// to the logits; tests/_assert.ts) — a wrong rotation, mask or cache slot moves logits by O(1).
import { assertAllClose, assertEquals, assertThrows, f32Tolerance, maxAbs } from "../../_assert.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { presetConfig } from "../../../lib/model/config.ts";
import type { ModelConfig } from "../../../lib/model/config.ts";
import { disposeKvCache } from "../../../lib/model/decoder.ts";
import { disposeWeights, initWeights } from "../../../lib/model/weights.ts";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import {
  arrayDecodeForward,
  arrayDecodeWeights,
  copyArrayKvRows,
  createArrayKvCache,
  decodeForward,
  disposeDecodeWeights,
  plainSgemm,
  prepareDecodeWeights,
  type Sgemm,
} from "../../../lib/model/generate/mod.ts";
import { decoderChainLength } from "../_fixtures.ts";

const blasState = openBlasAvailable();
const QWEN = { ...presetConfig("builtin-small"), vocab_size: 80, num_hidden_layers: 2 }; // q/k/v biases
const LLAMA: ModelConfig = { ...QWEN, model_type: "llama", tie_word_embeddings: false };
const PROMPTS = [[3, 9, 27, 4, 60], [7, 1], [11, 12, 13]];

Deno.test("plainSgemm: transposes, strides, alpha and beta", () => {
  const a = Float32Array.of(1, 2, 3, 4, 5, 6); // (2, 3)
  const b = Float32Array.of(1, 0, 2, 1, 0, 3); // (3, 2)
  const c = Float32Array.of(1, 1, 1, 1);
  plainSgemm(a, b, c, { m: 2, n: 2, k: 3, alpha: 2, beta: 1 });
  assertEquals(Array.from(c), [1 + 2 * 5, 1 + 2 * 11, 1 + 2 * 14, 1 + 2 * 23]);
  const at = Float32Array.of(1, 4, 2, 5, 3, 6); // aᵀ stored (3, 2)
  const bt = Float32Array.of(1, 2, 0, 0, 1, 3); // bᵀ stored (2, 3)
  const c2 = new Float32Array(4);
  plainSgemm(at, bt, c2, { m: 2, n: 2, k: 3, transA: true, transB: true });
  assertEquals(Array.from(c2), [5, 11, 14, 23]);
  const wide = new Float32Array(6); // ldc 3: the third column stays untouched
  plainSgemm(a, b, wide, { m: 2, n: 2, k: 3, ldc: 3 });
  assertEquals(Array.from(wide), [5, 11, 0, 14, 23, 0]);
});

/** Logits of the tfjs twin: prefill, then two cached steps (tokens 5+r, then 6+r), per row. */
async function twinLogits(config: ModelConfig, seed: number): Promise<Float32Array[]> {
  const weights = initWeights(config, { seed });
  const dw = prepareDecodeWeights(weights, config);
  const L = 5, pad = PROMPTS.map((p) => L - p.length);
  let keyValid = PROMPTS.map((_, b) => Array.from({ length: L }, (_, t) => t >= pad[b]));
  const pre = decodeForward(dw, PROMPTS.map((p, b) => [...Array(pad[b]).fill(0), ...p]), {
    keyValid,
    positions: PROMPTS.map((_, b) => Array.from({ length: L }, (_, t) => Math.max(0, t - pad[b]))),
  });
  const out = [await pre.logits.data() as Float32Array];
  let cache = pre.cache;
  for (let s = 0; s < 2; s++) {
    keyValid = keyValid.map((k) => [...k, true]);
    const step = decodeForward(dw, PROMPTS.map((_, r) => [5 + s + r]), {
      cache,
      keyValid,
      positions: PROMPTS.map((p) => [p.length + s]),
    });
    out.push(await step.logits.data() as Float32Array);
    step.logits.dispose();
    disposeKvCache(cache);
    cache = step.cache;
  }
  pre.logits.dispose();
  disposeKvCache(cache);
  disposeDecodeWeights(dw);
  disposeWeights(weights);
  return out;
}

/** The same three calls on the array decoder. */
function arrayLogits(config: ModelConfig, seed: number, sgemm: Sgemm): Float32Array[] {
  const weights = initWeights(config, { seed });
  const dw = prepareDecodeWeights(weights, config);
  const aw = arrayDecodeWeights(dw);
  const B = PROMPTS.length, L = 5, pad = PROMPTS.map((p) => L - p.length);
  const cache = createArrayKvCache(config, B, L + 2);
  const rows = Int32Array.from({ length: B }, (_, b) => b);
  const ids = new Int32Array(B * L),
    positions = new Int32Array(B * L),
    valid = new Uint8Array(B * L);
  PROMPTS.forEach((p, b) => {
    for (let t = 0; t < L; t++) {
      ids[b * L + t] = t >= pad[b] ? p[t - pad[b]] : 0;
      positions[b * L + t] = Math.max(0, t - pad[b]);
      valid[b * L + t] = t >= pad[b] ? 1 : 0;
    }
  });
  const out = [arrayDecodeForward(aw, cache, { rows, ids, positions, valid }, sgemm)];
  for (let s = 0; s < 2; s++) {
    out.push(arrayDecodeForward(aw, cache, {
      rows,
      ids: Int32Array.from(PROMPTS, (_, r) => 5 + s + r),
      positions: Int32Array.from(PROMPTS, (p) => p.length + s),
      valid: new Uint8Array(B).fill(1),
    }, sgemm));
  }
  disposeDecodeWeights(dw);
  disposeWeights(weights);
  return out;
}

function assertSameLogits(got: Float32Array[], want: Float32Array[], config: ModelConfig) {
  const tol = f32Tolerance(
    decoderChainLength(config, { S: 7, rows: 1 }).logits,
    Math.max(...want.map(maxAbs)),
  );
  want.forEach((w, i) => assertAllClose(got[i], w, tol, i === 0 ? "prefill" : `step ${i}`));
}

for (
  const [name, config] of [["qwen2 (biases, tied)", QWEN], ["llama (own lm_head)", LLAMA]] as const
) {
  Deno.test(`arrayDecodeForward (JS sgemm), ${name}: = decodeForward on padded prefill + 2 steps`, async () => {
    await useBackend("cpu");
    assertSameLogits(arrayLogits(config, 5, plainSgemm), await twinLogits(config, 5), config);
  });
  Deno.test({
    name: `arrayDecodeForward (OpenBLAS sgemm), ${name}: = decodeForward${
      blasState.ok ? "" : ` — SKIPPED: ${blasState.reason}`
    }`,
    ignore: !blasState.ok,
    fn: async () => {
      await useBackend("cpu");
      const blas = openBlas({ threads: 2 });
      try {
        assertSameLogits(arrayLogits(config, 6, blas.sgemm), await twinLogits(config, 6), config);
      } finally {
        blas.close();
      }
    },
  });
}

Deno.test("array KV cache: copied rows continue like their source; a dropped row leaves the rest intact", async () => {
  await useBackend("cpu");
  const weights = initWeights(QWEN, { seed: 8 });
  const dw = prepareDecodeWeights(weights, QWEN);
  const aw = arrayDecodeWeights(dw);
  const V = QWEN.vocab_size, prompt = [4, 8, 15];
  const prefill = (capacity: number) => {
    const c = createArrayKvCache(QWEN, 1, capacity);
    arrayDecodeForward(aw, c, {
      rows: Int32Array.of(0),
      ids: Int32Array.from(prompt),
      positions: Int32Array.from(prompt, (_, t) => t),
      valid: new Uint8Array(prompt.length).fill(1),
    }, plainSgemm);
    return c;
  };
  const step = (c: ReturnType<typeof prefill>, rows: number[], tok: number, pos: number) =>
    arrayDecodeForward(aw, c, {
      rows: Int32Array.from(rows),
      ids: new Int32Array(rows.length).fill(tok),
      positions: new Int32Array(rows.length).fill(pos),
      valid: new Uint8Array(rows.length).fill(1),
    }, plainSgemm);
  const single = prefill(5);
  step(single, [0], 23, 3);
  const want = step(single, [0], 42, 4); // (1, V)
  const copies = copyArrayKvRows(QWEN, prefill(5), [0, 0, 0]);
  step(copies, [0, 1, 2], 23, 3); // all three advance one slot …
  const two = step(copies, [0, 2], 42, 4); // … then row 1 is dropped
  assertEquals(Array.from(two.subarray(0, V)), Array.from(want), "row 0 after the drop");
  assertEquals(Array.from(two.subarray(V)), Array.from(want), "row 2 after the drop");
  assertThrows(() => step(copies, [0], 1, 5), /5 cached \+ 1 new positions exceed capacity 5/);
  assertThrows(() => step(prefill(8), [1], 1, 3), /rows\[0\] = 1 outside the cache's 0..0/);
  assertThrows(() => copyArrayKvRows(QWEN, copies, [3]), /source row 3 outside 0..2/);
  disposeDecodeWeights(dw);
  disposeWeights(weights);
});
