// AdamW against hand-computed updates and a plain-JS torch.optim.AdamW twin; cosine schedule and global-norm
// clipping against hand values.
import * as tf from "@tensorflow/tfjs";
import {
  assertAllClose,
  assertAlmostEquals,
  assertEquals,
  assertThrows,
  f32Tolerance,
} from "../../_assert.ts";
import { adamwInit, adamwUpdate, disposeAdamW } from "../../../lib/train/optim/adamw.ts";
import { clipScale, globalNorm } from "../../../lib/train/optim/clip.ts";
import { cosineWithWarmup, warmupStepsFor } from "../../../lib/train/optim/schedule.ts";

await tf.setBackend("cpu");

Deno.test("cosineWithWarmup: linear warm-up, peak, cosine midpoint, floor at the last step", () => {
  const o = { peakLr: 1e-3, totalSteps: 105, warmupSteps: 5, minLrRatio: 0.1 };
  assertAlmostEquals(cosineWithWarmup(1, o), 2e-4, 1e-15);
  assertAlmostEquals(cosineWithWarmup(5, o), 1e-3, 1e-15);
  assertAlmostEquals(cosineWithWarmup(6, o), 1e-3, 1e-15); // first decay step = peak
  assertAlmostEquals(cosineWithWarmup(105, o), 1e-4, 1e-15); // last = floor
  // midpoint of the decay (progress 0.5): floor + half the range
  const mid = cosineWithWarmup(56, { ...o, totalSteps: 106 }); // progress (56 − 6) / 100
  assertAlmostEquals(mid, 1e-4 + 0.5 * 9e-4, 1e-12);
  assertEquals(warmupStepsFor(0.05, 1500), 75);
  assertEquals(warmupStepsFor(0.05, 6), 1);
  assertThrows(() => cosineWithWarmup(0, o), "step");
});

Deno.test("globalNorm and clipScale: norm over all tensors, torch's max/(norm+1e-6)", async () => {
  const g = { a: tf.tensor([3, 0]), b: tf.tensor2d([[4]]) };
  assertAlmostEquals(await globalNorm(g), 5, 1e-6);
  assertEquals(await globalNorm({ a: tf.tensor([NaN]) }), NaN);
  assertAlmostEquals(clipScale(5, 1), 1 / (5 + 1e-6), 1e-12);
  assertEquals(clipScale(0.5, 1), 1);
  tf.dispose(Object.values(g));
});

/** torch.optim.AdamW on plain numbers (bias-corrected, decoupled decay). */
function adamwTwin(
  p: number[],
  grads: number[][],
  o: { lr: number; wd: number; b1: number; b2: number; eps: number },
  bug: { stepOffset?: number } = {},
) {
  let m = p.map(() => 0), v = p.map(() => 0);
  grads.forEach((g, i) => {
    const t = i + 1 + (bug.stepOffset ?? 0); // stepOffset: an injected off-by-one bias correction
    p = p.map((x) => x * (1 - o.lr * o.wd));
    m = m.map((mi, j) => o.b1 * mi + (1 - o.b1) * g[j]);
    v = v.map((vi, j) => o.b2 * vi + (1 - o.b2) * g[j] * g[j]);
    const bc1 = 1 - o.b1 ** t, bc2 = 1 - o.b2 ** t;
    p = p.map((x, j) => x - (o.lr / bc1) * m[j] / (Math.sqrt(v[j]) / Math.sqrt(bc2) + o.eps));
  });
  return p;
}

Deno.test("adamwUpdate: first step by hand; 3 steps equal the torch twin; no decay on 1-D params", () => {
  const w = { w: tf.variable(tf.tensor2d([[1, -2]])), b: tf.variable(tf.tensor1d([1])) };
  const state = adamwInit(w);
  const g1 = { w: tf.tensor2d([[0.5, 0.25]]), b: tf.tensor1d([0.5]) };
  adamwUpdate(w, g1, state, { lr: 0.1, weightDecay: 0.01 });
  // m̂ = g, v̂ = g², step ≈ sign(g): w ← w·(1 − 0.001) − 0.1
  const wv = w.w.dataSync();
  assertAlmostEquals(wv[0], 0.999 - 0.1, 1e-6);
  assertAlmostEquals(wv[1], -2 * 0.999 - 0.1, 1e-6);
  assertAlmostEquals(w.b.dataSync()[0], 0.9, 1e-6); // bias: no weight decay
  assertEquals(state.step, 1);
  const gs = [[0.5, 0.25], [-0.3, 0.1], [0.2, -0.4]];
  adamwUpdate(w, { w: tf.tensor2d([gs[1]]), b: tf.tensor1d([0]) }, state, {
    lr: 0.1,
    weightDecay: 0.01,
  });
  adamwUpdate(w, { w: tf.tensor2d([gs[2]]), b: tf.tensor1d([0]) }, state, {
    lr: 0.1,
    weightDecay: 0.01,
  });
  const o = { lr: 0.1, wd: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8 };
  const twin = adamwTwin([1, -2], gs, o);
  const got = w.w.dataSync();
  // the twin is float64; tfjs rounds ~12 float32 ops per step (moments, corrections, sqrt, divide,
  // decay, subtract) on values of size max|w|
  const tol = f32Tolerance(12 * gs.length, Math.max(...twin.map(Math.abs)));
  assertAllClose(got, twin, tol, "w vs twin");
  // and still rejects an off-by-one step in the bias corrections
  const offByOne = adamwTwin([1, -2], gs, o, { stepOffset: 1 });
  assertThrows(() => assertAllClose(got, offByOne, tol, "bias correction off by one"), "the bound");
  disposeAdamW(state);
  tf.dispose([...Object.values(w), ...Object.values(g1)]);
});

Deno.test("adamwUpdate: gradScale multiplies gradients (clipping) and a missing gradient is an error", () => {
  const a = { w: tf.variable(tf.tensor2d([[0]])) }, b = { w: tf.variable(tf.tensor2d([[0]])) };
  const sa = adamwInit(a), sb = adamwInit(b);
  adamwUpdate(a, { w: tf.tensor2d([[2]]) }, sa, { lr: 0.1, gradScale: 0.5 });
  adamwUpdate(b, { w: tf.tensor2d([[1]]) }, sb, { lr: 0.1 });
  assertEquals(a.w.dataSync()[0], b.w.dataSync()[0]);
  assertAlmostEquals(sa.v.w.dataSync()[0], sb.v.w.dataSync()[0], 1e-12);
  assertThrows(() => adamwUpdate(a, {}, sa, { lr: 0.1 }), 'no gradient for parameter "w"');
  disposeAdamW(sa);
  disposeAdamW(sb);
});
