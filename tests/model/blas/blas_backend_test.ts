// Parity of the cpu-blas backend with the stock tfjs cpu backend: every overridden kernel on odd shapes
// (transposes, batched/broadcast 3D-4D, fused bias+activation), and a decoder forward + gradient.
// Tolerances are float32 error bounds (tests/_assert.ts): n·EPS32 for the accumulation length n of each
// kernel (k for a matMul), scaled to the magnitude of the summed terms; kernels that only move data are
// compared exactly.
import { assertAllClose, assertEquals, f32Tolerance, maxAbs } from "../../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { BLAS_BACKEND_NAME, registerBlasBackend } from "../../../lib/model/blas/blas_backend.ts";
import { forward } from "../../../lib/model/decoder.ts";
import { loadCheckpoint } from "../../../lib/model/checkpoint.ts";
import { disposeWeights } from "../../../lib/model/weights.ts";
import { decoderChainLength } from "../_fixtures.ts";
import { seededFloats } from "../../_seeded.ts";

const blasState = openBlasAvailable();
const skip = blasState.ok ? "" : ` (skipped: ${blasState.reason})`;
const FIXTURES = new URL("../../fixtures/model/", import.meta.url).pathname;

/** Run `fn` on `backend` and return every output tensor's values (inputs built inside fn). */
async function valuesOn(
  backend: string,
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const vals = list.map((t) => new Float32Array(t.dataSync()));
  const shapes = list.map((t) => t.shape);
  tf.dispose(list);
  return Object.assign(vals, { shapes });
}

/**
 * fn on cpu and on cpu-blas give equal shapes, and values within the float32 bound of `n` accumulated
 * terms (f32Tolerance) whose magnitudes add to `scale` (default: each output's largest |value|);
 * n = 0 demands equal values.
 */
async function same(
  what: string,
  fn: () => tf.Tensor | tf.Tensor[],
  n: number,
  scale?: number,
): Promise<void> {
  const want = await valuesOn("cpu", fn) as Float32Array[] & { shapes: number[][] };
  const got = await valuesOn(BLAS_BACKEND_NAME, fn) as Float32Array[] & { shapes: number[][] };
  assertEquals(got.shapes, want.shapes, `${what}: shapes`);
  got.forEach((g, i) =>
    assertAllClose(g, want[i], f32Tolerance(n, scale ?? maxAbs(want[i])), `${what} output ${i}`)
  );
}

const t = (shape: number[], seed: number) =>
  tf.tensor(seededFloats(shape.reduce((p, d) => p * d, 1), seed), shape);

if (blasState.ok) registerBlasBackend(openBlas({ threads: 2 }));

Deno.test({
  name: `cpu-blas: matMul kernels equal stock cpu (odd shapes, transposes, batched, fused)${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const [m, k, n] = [7, 13, 5];
        // k products of values in [−1, 1): Σ|a·b| ≤ k, k + 1 roundings
        await same(
          `2D tA=${tA} tB=${tB}`,
          () => tf.matMul(t(tA ? [k, m] : [m, k], 1), t(tB ? [n, k] : [k, n], 2), tA, tB),
          k + 1,
          k,
        );
        await same(
          `3D tA=${tA} tB=${tB}`,
          () =>
            tf.matMul(t(tA ? [3, k, m] : [3, m, k], 3), t(tB ? [3, n, k] : [3, k, n], 4), tA, tB),
          k + 1,
          k,
        );
      }
    }
    // stock cpu mis-broadcasts (2,1,..) x (1,3,..) (it pairs batches by index modulo, giving 3
    // batches); the reference here is the same product on explicitly tiled inputs
    const tiled = await valuesOn(
      "cpu",
      () =>
        tf.matMul(
          tf.tile(t([2, 1, 7, 9], 5), [1, 3, 1, 1]),
          tf.tile(t([1, 3, 9, 4], 6), [2, 1, 1, 1]),
        ),
    );
    const bcast = await valuesOn(
      BLAS_BACKEND_NAME,
      () => tf.matMul(t([2, 1, 7, 9], 5), t([1, 3, 9, 4], 6)),
    );
    assertAllClose(
      bcast[0],
      tiled[0],
      f32Tolerance(10, 9),
      "4D broadcast batch (2,1,..) x (1,3,..)",
    );
    await same("batched vs 2D broadcast", () => tf.matMul(t([4, 6, 9], 7), t([9, 11], 8)), 10, 9);
    await same("vector-like 1 x k", () => tf.matMul(t([1, 33], 9), t([33, 1], 10)), 34, 33);
    await same(
      "fused bias + relu",
      () =>
        tf.fused.matMul({
          a: t([5, 8], 11),
          b: t([6, 8], 12),
          transposeB: true,
          bias: t([6], 13),
          activation: "relu",
        }),
      10, // 8 products + the bias (|bias| ≤ 1)
      9,
    );
    await same(
      "fused prelu",
      () =>
        tf.fused.matMul({
          a: t([3, 4], 14),
          b: t([4, 6], 15),
          activation: "prelu",
          preluActivationWeights: t([6], 16),
        }),
      6, // 4 products, then the prelu product
      4,
    );
    await same("matMul gradients", () => {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b, false, true)));
      return tf.grads(f)([t([2, 5, 7], 17), t([2, 3, 7], 18)]);
    }, 7 + 5 + 2); // a·bᵀ over 7, then 2·(a·bᵀ)·b over 3 or 5 rows; each output scaled to its values
    await same(
      "int32 falls back to stock",
      () =>
        tf.matMul(
          tf.tensor2d([1, 2, 3, 4], [2, 2], "int32"),
          tf.tensor2d([5, 6, 7, 8], [2, 2], "int32"),
        ),
      0, // integers: exact
    );
  },
});

Deno.test({
  name: `cpu-blas: elementwise, softmax, split and transpose kernels equal stock cpu${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    const shapes: [number[], number[]][] = [
      [[3, 5], [3, 5]],
      [[2, 3, 5], [5]],
      [[2, 1, 5], [3, 1]],
      [[1], [4, 3]],
      [[2, 3, 4, 5], [2, 1, 4, 1]],
      [[], [7]],
    ];
    for (const [sa, sb] of shapes) {
      await same(`add/sub/mul/div [${sa}] [${sb}]`, () => {
        const a = t(sa, 1), b = tf.add(t(sb, 2), 2); // b in [1, 3): safe divisor
        return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b), tf.sub(b, a)];
      }, 1); // one rounding each
    }
    await same(
      "softmax (4, 3, 17) and its gradient",
      () => {
        const x = tf.mul(t([4, 3, 17], 3), 20);
        const w = t([4, 3, 17], 4);
        return [tf.softmax(x), tf.grad((y: tf.Tensor) => tf.sum(tf.mul(tf.softmax(y), w)))(x)];
        // x in [−20, 20): the shift by the max rounds at 20·EPS32/2, which exp makes relative (×2 with
        // the normaliser); the 17-term sum; the gradient p·(w − Σp·w) another 17 terms. Probabilities
        // are ≤ 1 and the gradient's terms ≤ 2·max|w| = 2
      },
      2 * 20 + 2 * 17 + 4,
      2,
    );
    await same(
      "split along axes 0..3",
      () =>
        [0, 1, 2, 3].flatMap((ax) => tf.split(t([4, 6, 2, 8], 5), [1, [4, 6, 2, 8][ax] - 1], ax)),
      0, // split and transpose move values: exact
    );
    await same("split with -1 axis and counts", () => tf.split(t([3, 9], 6), 3, -1), 0);
    await same(
      "transpose perms",
      () =>
        [[0, 2, 1, 3], [3, 1, 2, 0], [1, 0, 2, 3]].map((p) => tf.transpose(t([2, 3, 5, 7], 7), p)),
      0,
    );
  },
});

for (const name of ["tiny_llama", "tiny_qwen2"]) {
  Deno.test({
    name: `cpu-blas: ${name} decoder logits and every weight gradient equal stock cpu${skip}`,
    ignore: !blasState.ok,
    fn: async () => {
      const ids = [[1, 7, 42, 3, 19, 0, 47], [5, 5, 33, 12, 8, 40, 2]];
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const { config, weights } = await loadCheckpoint(`${FIXTURES}${name}`);
        const names = Object.keys(weights);
        const T = ids[0].length - 1, V = config.vocab_size;
        const onehot = new Float32Array(ids.length * T * V);
        ids.forEach((r, b) => r.slice(1).forEach((id, s) => (onehot[(b * T + s) * V + id] = 1)));
        const loss = (...ws: tf.Tensor[]) => {
          const w = Object.fromEntries(names.map((n, i) => [n, ws[i]]));
          const { logits } = forward(w, config, ids.map((r) => r.slice(0, T))); // (B, T, V)
          return tf.losses.softmaxCrossEntropy(tf.tensor3d(onehot, [ids.length, T, V]), logits);
        };
        const { logits } = forward(weights, config, ids);
        const out = [new Float32Array(logits.dataSync())];
        const grads = tf.grads(loss)(names.map((n) => weights[n]));
        grads.forEach((g) => out.push(new Float32Array(g.dataSync())));
        tf.dispose([logits, ...grads]);
        disposeWeights(weights);
        return { names, out, config };
      };
      const want = await run("cpu"), got = await run(BLAS_BACKEND_NAME);
      // the decoder's whole chain (decoderChainLength: B=2, 7 positions), each array to its magnitude
      const n = decoderChainLength(want.config, { S: 7, rows: 12 });
      assertAllClose(
        got.out[0],
        want.out[0],
        f32Tolerance(n.logits, maxAbs(want.out[0])),
        `${name} logits`,
      );
      want.names.forEach((w, i) =>
        assertAllClose(
          got.out[i + 1],
          want.out[i + 1],
          f32Tolerance(n.grads, maxAbs(want.out[i + 1])),
          `grad ${w}`,
        )
      );
    },
  });
}
