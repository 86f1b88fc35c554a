// Parity of the fused cpu-blas ops (fused_cross_entropy.ts, fused_attention.ts) with the stock tfjs
// compositions on the cpu backend: values and gradients on odd shapes, zero-weight rows, cached keys.
// Tolerances are float32 error bounds of each computation (n·EPS32 per accumulation length, scaled to
// the values; tests/_assert.ts), and each family shows its bound still rejects a real bug.
import {
  assert,
  assertAllClose,
  assertThrows,
  type CloseTolerance,
  f32Tolerance,
  maxAbs,
} from "../../_assert.ts";
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
import { readModelConfig } from "../../../lib/model/config.ts";
import { forward } from "../../../lib/model/decoder.ts";
import { disposeWeights } from "../../../lib/model/weights.ts";
import { weightedNll } from "../../../lib/train/sft/loss.ts";
import { decoderChainLength } from "../_fixtures.ts";
import { seededFloats } from "../../_seeded.ts";

const blasState = openBlasAvailable();
const skip = blasState.ok ? "" : ` (skipped: ${blasState.reason})`;
const FIXTURES = new URL("../../fixtures/model/", import.meta.url).pathname;
if (blasState.ok) registerBlasBackend(openBlas({ threads: 2 }));

Deno.test("weightedNllValues: one row by hand (ln 2, gradient ±0.5)", () => {
  const { loss, grad } = weightedNllValues(Float32Array.of(0, 0, 5, 5), {
    V: 2,
    targets: Int32Array.of(1, 0),
    weights: Float32Array.of(1, 0),
  });
  // float64 arithmetic on exact inputs: a few roundings of 1e-16 each
  assert(Math.abs(loss - Math.LN2) < 1e-12, `loss ${loss}`);
  assertAllClose(grad, [0.5, -0.5, 0, 0], { atol: 1e-12 }, "grad");
});

/** One cross-entropy case: logits (B, T, V) of amplitude `amp`, targets, weights (every third row 0). */
function nllCase(B: number, T: number, V: number, amp: number, seed: number) {
  const N = B * T;
  const targets = Int32Array.from(seededFloats(N, seed + 10), (u) => Math.floor((u + 1) / 2 * V));
  const weights = Float32Array.from(
    seededFloats(N, seed + 20),
    (u, i) => i % 3 === 0 ? 0 : 1 + u / 2,
  ); // zero rows
  return { B, T, V, amp, targets, weights, logits: seededFloats(N * V, seed) };
}

/** 0.7·loss and its gradient by `nll` (the stock or the fused op) on tfjs cpu. */
function nllValueAndGrad(
  c: ReturnType<typeof nllCase>,
  nll: (logits: tf.Tensor3D, targets: Int32Array, weights: Float32Array) => tf.Scalar,
  targets = c.targets,
  weights = c.weights,
): { value: Float32Array; grad: Float32Array } {
  return tf.tidy(() => {
    const x = tf.mul(tf.tensor3d(c.logits, [c.B, c.T, c.V]), c.amp) as tf.Tensor3D;
    const f = (l: tf.Tensor) => tf.mul(nll(l as tf.Tensor3D, targets, weights), 0.7);
    const { value, grad } = tf.valueAndGrad(f)(x);
    return { value: new Float32Array(value.dataSync()), grad: new Float32Array(grad.dataSync()) };
  });
}

/**
 * Bounds of the weighted NLL: per row log-sum-exp over V logits of magnitude amp (the shift by the max
 * rounds at amp·EPS32, which exp turns into a relative error of the probabilities) and the mean over
 * N = B·T rows: n = V + N + 2·amp + 8; the value's absolute part is scaled to amp (the size of the terms
 * that cancel in lse − x_target), the gradient's to its largest entry.
 */
function nllTolerances(c: ReturnType<typeof nllCase>, wantGrad: Float32Array): CloseTolerance[] {
  const n = c.V + c.B * c.T + 2 * c.amp + 8;
  return [f32Tolerance(n, c.amp), f32Tolerance(n, maxAbs(wantGrad))];
}

const NLL_CASES: [number, number, number, number, number][] = [
  [3, 5, 37, 4, 1],
  [1, 7, 3, 30, 2],
  [2, 4, 301, 12, 3],
];

Deno.test("fusedWeightedNll equals stock weightedNll (value and gradient) on odd shapes", async () => {
  await tf.setBackend("cpu");
  for (const [B, T, V, amp, seed] of NLL_CASES) {
    const c = nllCase(B, T, V, amp, seed);
    const want = nllValueAndGrad(c, weightedNll), got = nllValueAndGrad(c, fusedWeightedNll);
    const what = `B=${B} T=${T} V=${V}`, tol = nllTolerances(c, want.grad);
    assertAllClose(got.value, want.value, tol[0], `${what} value`);
    assertAllClose(got.grad, want.grad, tol[1], `${what} gradient`);
  }
});

Deno.test("fusedWeightedNll's bounds reject an off-by-one target, a counted zero-weight row, a 1e-3 error", async () => {
  await tf.setBackend("cpu");
  const c = nllCase(2, 4, 301, 12, 3);
  const got = nllValueAndGrad(c, fusedWeightedNll);
  const tol = nllTolerances(c, got.grad);
  const offByOne = c.targets.map((t, i) => i === 4 ? (t + 1) % c.V : t); // row 4 has weight > 0
  const counted = c.weights.map((w, i) => i === 3 ? 1 : w); // row 3 had weight 0
  for (
    const [bug, targets, weights] of [["off-by-one target", offByOne, c.weights], [
      "counted row",
      c.targets,
      counted,
    ]] as const
  ) {
    const wrong = nllValueAndGrad(c, weightedNll, targets, weights);
    assertThrows(
      () => assertAllClose(got.value, wrong.value, tol[0], `${bug}: value`),
      "the bound",
    );
    assertThrows(
      () => assertAllClose(got.grad, wrong.grad, tol[1], `${bug}: gradient`),
      "the bound",
    );
  }
  const bad = got.grad.slice();
  const largest = maxAbs(bad);
  bad[bad.findIndex((g) => Math.abs(g) === largest)] *= 1 + 1e-3;
  assertThrows(() => assertAllClose(bad, got.grad, tol[1], "1e-3 error: gradient"), "the bound");
});

/**
 * probs and gradient of softmax(scale·s + mask) by `f` for s = 9·seeded (B, nkv, g·T, S), up = seeded.
 */
function softmaxValueAndGrad(
  shape: [number, number, number, number],
  seed: number,
  f: (x: tf.Tensor) => tf.Tensor,
): Float32Array[] {
  return tf.tidy(() => {
    const size = shape.reduce((p, d) => p * d, 1);
    const s = tf.mul(tf.tensor4d(seededFloats(size, seed), shape), 9);
    const up = tf.tensor4d(seededFloats(size, seed + 1), shape);
    return [f(s), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), up)))(s)].map((t) =>
      new Float32Array(t.dataSync())
    );
  });
}

/** Softmax's scale, and the largest |scale·s| (s in [−9, 9)). */
const SOFTMAX_SCALE = 0.37, SOFTMAX_MAX_SCORE = 9 * SOFTMAX_SCALE;

/**
 * Bounds of the causal softmax: the scaled scores round at SOFTMAX_MAX_SCORE·EPS32/2, which exp makes a
 * relative error of the probabilities (×2: numerator and normaliser), plus the S-term normaliser:
 * n = S + 2·max|score| + 4 on probabilities ≤ 1. The gradient scale·p·(up − Σ p·up) sums S terms
 * and cancels; its terms are ≤ 2·scale·max|up| (|up| ≤ 1).
 */
function softmaxTolerances(S: number): CloseTolerance[] {
  const n = S + 2 * SOFTMAX_MAX_SCORE + 4;
  return [f32Tolerance(n, 1), f32Tolerance(n + S, 2 * SOFTMAX_SCALE)];
}

const stockSoftmax = (past: number, T: number, g: number, mask = causalMask(past, T, g)) =>
(
  x: tf.Tensor,
) => tf.softmax(tf.add(tf.mul(x, SOFTMAX_SCALE), mask));

Deno.test("fusedCausalSoftmax equals softmax(scale·s + causalMask) with its gradient", async () => {
  await tf.setBackend("cpu");
  for (
    const [B, nkv, g, T, past, seed] of [[2, 3, 2, 5, 0, 4], [1, 2, 3, 3, 4, 5], [3, 1, 1, 1, 6, 6]]
  ) {
    const S = past + T, shape: [number, number, number, number] = [B, nkv, g * T, S];
    const fused = (x: tf.Tensor) => fusedCausalSoftmax(x, { T, past, scale: SOFTMAX_SCALE });
    const what = `[${shape}] past=${past}`, tol = softmaxTolerances(S);
    const want = softmaxValueAndGrad(shape, seed, stockSoftmax(past, T, g));
    const got = softmaxValueAndGrad(shape, seed, fused);
    assertAllClose(got[0], want[0], tol[0], `${what} probs`);
    assertAllClose(got[1], want[1], tol[1], `${what} gradient`);
  }
});

Deno.test("fusedCausalSoftmax's bounds reject a dropped mask element and a normaliser missing a term", async () => {
  await tf.setBackend("cpu");
  const [g, T, past] = [2, 5, 0],
    S = past + T,
    shape: [number, number, number, number] = [2, 3, g * T, S];
  const got = softmaxValueAndGrad(
    shape,
    4,
    (x) => fusedCausalSoftmax(x, { T, past, scale: SOFTMAX_SCALE }),
  );
  const tol = softmaxTolerances(S);
  const m = causalMask(past, T, g).arraySync();
  m[1][2] = 0; // query 1 of group 0 also sees key 2
  const leak = softmaxValueAndGrad(shape, 4, stockSoftmax(past, T, g, tf.tensor2d(m)));
  assertThrows(() => assertAllClose(got[0], leak[0], tol[0], "dropped mask: probs"), "the bound");
  assertThrows(
    () => assertAllClose(got[1], leak[1], tol[1], "dropped mask: gradient"),
    "the bound",
  );
  // row 3 (query 3, keys 0..3) normalised without its last key
  const short = got[0].slice(), row = short.subarray(3 * S, 4 * S), last = row[3];
  row.forEach((p, j) => (row[j] = j < 3 ? p / (1 - last) : p));
  assertThrows(() => assertAllClose(short, got[0], tol[0], "short normaliser: probs"), "the bound");
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
  assert(msg.includes("fused_attention.ts"), `expected a layout error, got "${msg}"`);
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
      assert(got.length === want.length, "gradient count");
      // the chain of the whole decoder forward and backward (decoderChainLength; B=3, T=9)
      const config = await readModelConfig(`${FIXTURES}${name}/config.json`);
      const n = decoderChainLength(config, { S: 9, rows: 27 }).grads;
      got.forEach((g, i) =>
        assertAllClose(
          g,
          want[i],
          f32Tolerance(n, maxAbs(want[i])),
          `${name} ${i === 0 ? "loss" : `gradient ${i}`}`,
        )
      );
    },
  });
}
