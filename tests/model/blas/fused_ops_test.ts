// Parity of the fused cpu-blas ops (fused_cross_entropy.ts, fused_attention.ts) with the stock tfjs
// compositions on the cpu backend: values and gradients on odd shapes, zero-weight rows, cached keys.
import { ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  fusedWeightedNll,
  weightedNllValues,
} from "../../../lib/model/blas/fused_cross_entropy.ts";
import { fusedCausalSoftmax } from "../../../lib/model/blas/fused_attention.ts";
import { causalMask } from "../../../lib/model/attention.ts";
import { BLAS_BACKEND_NAME, registerBlasBackend } from "../../../lib/model/blas/blas_backend.ts";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { loadCheckpoint } from "../../../lib/model/checkpoint.ts";
import { forward } from "../../../lib/model/decoder.ts";
import { disposeWeights } from "../../../lib/model/weights.ts";
import { weightedNll } from "../../../lib/train/sft/loss.ts";

const blasState = openBlasAvailable();
const skip = blasState.ok ? "" : ` (skipped: ${blasState.reason})`;
const FIXTURES = new URL("../../fixtures/model/", import.meta.url).pathname;
if (blasState.ok) registerBlasBackend(openBlas({ threads: 2 }));

/** Seeded values in [-1, 1) (LCG). */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Assert |a − b| ≤ tol·(|b| + 1e-2·max|b|) elementwise (relative, with a floor for tiny entries). */
function assertRelClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  ok(a.length === b.length, `${what}: length ${a.length} != ${b.length}`);
  let maxAbs = 0;
  for (let i = 0; i < b.length; i++) maxAbs = Math.max(maxAbs, Math.abs(b[i]));
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + 1e-2 * maxAbs + 1e-30);
    if (Number.isNaN(d) || d > worst) [worst, at] = [Number.isNaN(d) ? Infinity : d, i];
  }
  ok(
    worst <= tol,
    `${what}: worst relative diff ${worst} > ${tol} at ${at} (${a[at]} vs ${b[at]})`,
  );
}

Deno.test("weightedNllValues: one row by hand (ln 2, gradient ±0.5)", () => {
  const { loss, grad } = weightedNllValues(Float32Array.of(0, 0, 5, 5), {
    V: 2,
    targets: Int32Array.of(1, 0),
    weights: Float32Array.of(1, 0),
  });
  ok(Math.abs(loss - Math.LN2) < 1e-7, `loss ${loss}`);
  assertRelClose(grad, [0.5, -0.5, 0, 0], 1e-7, "grad");
});

Deno.test("fusedWeightedNll equals stock weightedNll (value and gradient) on odd shapes", async () => {
  await tf.setBackend("cpu");
  for (const [B, T, V, amp, seed] of [[3, 5, 37, 4, 1], [1, 7, 3, 30, 2], [2, 4, 301, 12, 3]]) {
    const N = B * T;
    const targets = Int32Array.from(seeded(N, seed + 10), (u) => Math.floor((u + 1) / 2 * V));
    const weights = Float32Array.from(seeded(N, seed + 20), (u, i) => i % 3 === 0 ? 0 : 1 + u / 2); // zero rows
    const x = tf.mul(tf.tensor3d(seeded(N * V, seed), [B, T, V]), amp) as tf.Tensor3D;
    const stockFn = (l: tf.Tensor) => tf.mul(weightedNll(l as tf.Tensor3D, targets, weights), 0.7);
    const fusedFn = (l: tf.Tensor) =>
      tf.mul(fusedWeightedNll(l as tf.Tensor3D, targets, weights), 0.7);
    const want = tf.valueAndGrad(stockFn)(x), got = tf.valueAndGrad(fusedFn)(x);
    const what = `B=${B} T=${T} V=${V}`;
    assertRelClose(got.value.dataSync(), want.value.dataSync(), 1e-5, `${what} value`);
    assertRelClose(got.grad.dataSync(), want.grad.dataSync(), 1e-5, `${what} gradient`);
    tf.dispose([x, want.value, want.grad, got.value, got.grad]);
  }
});

Deno.test("fusedCausalSoftmax equals softmax(scale·s + causalMask) with its gradient", async () => {
  await tf.setBackend("cpu");
  for (
    const [B, nkv, g, T, past, seed] of [[2, 3, 2, 5, 0, 4], [1, 2, 3, 3, 4, 5], [3, 1, 1, 1, 6, 6]]
  ) {
    const S = past + T, shape = [B, nkv, g * T, S];
    const size = B * nkv * g * T * S;
    const s = tf.mul(tf.tensor4d(seeded(size, seed), shape as [number, number, number, number]), 9);
    const up = tf.tensor4d(seeded(size, seed + 1), shape as [number, number, number, number]);
    const scale = 0.37;
    const stock = (x: tf.Tensor) => tf.softmax(tf.add(tf.mul(x, scale), causalMask(past, T, g)));
    const fused = (x: tf.Tensor) => fusedCausalSoftmax(x, { T, past, scale });
    const what = `[${shape}] past=${past}`;
    const [want, got] = [stock, fused].map((f) =>
      tf.tidy(() => [f(s), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), up)))(s)])
    );
    assertRelClose(got[0].dataSync(), want[0].dataSync(), 1e-5, `${what} probs`);
    assertRelClose(got[1].dataSync(), want[1].dataSync(), 1e-5, `${what} gradient`);
    tf.dispose([s, up, ...want, ...got]);
  }
});

Deno.test("fusedCausalSoftmax rejects scores that do not fit the layout", async () => {
  await tf.setBackend("cpu");
  const s = tf.zeros([1, 1, 3, 4]);
  let msg = "";
  try {
    fusedCausalSoftmax(s, { T: 2, past: 0, scale: 1 });
  } catch (e) {
    msg = (e as Error).message;
  }
  ok(msg.includes("fused_attention.ts"), `expected a layout error, got "${msg}"`);
  s.dispose();
});

/** Completion NLL of a padded tiny-checkpoint batch and its gradient for every weight, on `backend`. */
async function lossAndGrads(name: string, backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const { config, weights } = await loadCheckpoint(`${FIXTURES}${name}`);
  const V = config.vocab_size, B = 3, T = 9;
  const ids = Array.from(
    { length: B },
    (_, b) => Array.from({ length: T }, (_, t) => (b * 7 + t * 5 + 1) % V),
  );
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 11 + 3) % V);
  const weightsN = Float32Array.from({ length: B * T }, (_, i) => (i % T) < 4 ? 0 : 1); // prompt rows 0
  const names = Object.keys(weights).sort();
  const loss = (...ws: tf.Tensor[]) => {
    const w = Object.fromEntries(names.map((n, i) => [n, ws[i]]));
    return weightedNll(forward(w, config, ids).logits, targets, weightsN);
  };
  const { value, grads } = tf.valueAndGrads(loss)(names.map((n) => weights[n]));
  const out = [
    new Float32Array(value.dataSync()),
    ...grads.map((g) => new Float32Array(g.dataSync())),
  ];
  tf.dispose([value, ...grads]);
  disposeWeights(weights);
  return out;
}

for (const name of ["tiny_llama", "tiny_qwen2"]) {
  Deno.test({
    name: `cpu-blas fused ops: ${name} completion loss and weight gradients equal stock cpu${skip}`,
    ignore: !blasState.ok,
    fn: async () => {
      const want = await lossAndGrads(name, "cpu");
      const got = await lossAndGrads(name, BLAS_BACKEND_NAME);
      ok(got.length === want.length, "gradient count");
      got.forEach((g, i) =>
        assertRelClose(g, want[i], 1e-4, `${name} ${i === 0 ? "loss" : `gradient ${i}`}`)
      );
    },
  });
}
