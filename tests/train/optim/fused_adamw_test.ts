// Parity of the typed-array AdamW update and global norm (fused_adamw.ts) with the tf-op chain they replace
// (compute path optimLegacy), on the tfjs cpu backend and on cpu-blas, over several steps: equal up to
// float32 rounding (the fused pass rounds once per value, the chain after every op).
import * as tf from "@tensorflow/tfjs";
import {
  assert,
  assertAllClose,
  assertEquals,
  assertThrows,
  type CloseTolerance,
  f32SumTol,
  f32Tolerance,
  maxAbs,
} from "../../_assert.ts";
import { adamwInit, adamwUpdate, disposeAdamW } from "../../../lib/train/optim/adamw.ts";
import { globalNorm } from "../../../lib/train/optim/clip.ts";
import {
  adamwValues,
  fusedOptimActive,
  sumOfSquares,
} from "../../../lib/train/optim/fused_adamw.ts";
import { BLAS_BACKEND_NAME, registerBlasBackend } from "../../../lib/model/blas/blas_backend.ts";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { seededFloats } from "../../_seeded.ts";
import { setComputePaths } from "../../../lib/model/compute_paths.ts";

const blasState = openBlasAvailable();
if (blasState.ok) registerBlasBackend(openBlas({ threads: 1 }));

const SHAPES: Record<string, number[]> = { "a.weight": [37, 53], "b.bias": [53], "c.norm": [11] };

function setLegacy(on: boolean): void {
  setComputePaths({ optimLegacy: on });
}

/** Gradient entries per step: the length of the global norm's sum of squares. */
const N = Object.values(SHAPES).reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
const STEPS = 4;

/**
 * Bounds of the two paths after STEPS steps. The norm is a sum of N positive squares (no cancellation):
 * relative f32SumTol(N). Its error enters gradScale and so m and v relatively, plus ~4 roundings a step;
 * m changes sign across steps, hence an absolute part at max|m|. Adam's step m̂/(√v̂ + eps) does not
 * depend on gradScale (eps aside), so p carries only the ~10 roundings a step of the update itself.
 */
const TOL: Record<"norm" | "moment" | "p", (want: number[]) => CloseTolerance> = {
  norm: () => ({ atol: 0, rtol: f32SumTol(N) }),
  moment: (want) => f32Tolerance(N + 4 * STEPS, maxAbs(want)),
  p: (want) => f32Tolerance(10 * STEPS, maxAbs(want)),
};

/** Run 4 AdamW steps (decay on rank ≥ 2, clipping scale, a large lr) on the path chosen; return p, m, v. */
async function run(legacy: boolean) {
  setLegacy(legacy);
  const params = Object.fromEntries(
    Object.entries(SHAPES).map(([k, s], i) => [
      k,
      tf.tidy(() => tf.variable(tf.tensor(seededFloats(s.reduce((a, b) => a * b, 1), 11 + i), s))),
    ]),
  );
  const state = adamwInit(params);
  const norms: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const grads = Object.fromEntries(
      Object.entries(SHAPES).map(([k, s], i) => [
        k,
        tf.tensor(seededFloats(s.reduce((a, b) => a * b, 1), 100 * step + i, 10 ** (i - 2)), s),
      ]),
    );
    const norm = await globalNorm(grads);
    norms.push(norm);
    adamwUpdate(params, grads, state, {
      lr: 3e-2,
      weightDecay: 0.1,
      beta2: 0.99,
      gradScale: Math.min(1, 0.5 / (norm + 1e-6)),
    });
    tf.dispose(Object.values(grads));
  }
  const read = (r: Record<string, tf.Tensor>) =>
    Object.keys(SHAPES).map((k) => Array.from(r[k].dataSync()));
  const out = { p: read(params), m: read(state.m), v: read(state.v), norms, step: state.step };
  disposeAdamW(state);
  tf.dispose(Object.values(params));
  setLegacy(false);
  return out;
}

for (const backend of ["cpu", BLAS_BACKEND_NAME]) {
  const skip = backend === BLAS_BACKEND_NAME && !blasState.ok;
  Deno.test({
    name: `fused AdamW + global norm = tf-op chain, up to rounding, 4 steps (${backend})${
      skip ? ` (skipped: ${blasState.reason})` : ""
    }`,
    ignore: skip,
    fn: async () => {
      await tf.setBackend(backend);
      setLegacy(false);
      assert(fusedOptimActive([]), "fused path should be active");
      const before = tf.memory().numTensors;
      const fused = await run(false);
      const legacy = await run(true);
      assertEquals(tf.memory().numTensors, before);
      assertEquals(fused.step, 4);
      assertAllClose(fused.norms, legacy.norms, TOL.norm(legacy.norms), "norm");
      fused.m.forEach((x, i) => assertAllClose(x, legacy.m[i], TOL.moment(legacy.m[i]), `m${i}`));
      fused.v.forEach((x, i) => assertAllClose(x, legacy.v[i], TOL.moment(legacy.v[i]), `v${i}`));
      fused.p.forEach((x, i) => assertAllClose(x, legacy.p[i], TOL.p(legacy.p[i]), `p${i}`));
      // the update moved every parameter (the test can fail)
      assert(fused.p[0][0] !== seededFloats(1, 11)[0], "parameter did not move");
      // the bound still rejects a 1e-3 relative error in one parameter or moment
      for (
        const [what, xs, tol] of [["p", fused.p[0], TOL.p], ["m", fused.m[0], TOL.moment]] as const
      ) {
        const bad = xs.slice(), m = maxAbs(bad), at = bad.findIndex((x) => Math.abs(x) === m);
        bad[at] *= 1 + 1e-3;
        assertThrows(() => assertAllClose(bad, xs, tol(xs), `1e-3 error in ${what}`), "the bound");
      }
    },
  });
}

Deno.test("fusedOptimActive: off on the legacy flag and for non-float32 tensors", async () => {
  await tf.setBackend("cpu");
  const i = tf.tensor([1], [1], "int32");
  assertEquals(fusedOptimActive([i]), false);
  setLegacy(true);
  assertEquals(fusedOptimActive([]), false);
  setLegacy(false);
  assertEquals(fusedOptimActive([]), true);
  i.dispose();
});

Deno.test("adamwValues: hand values of a first step, inputs untouched; length mismatch names the file", () => {
  const p = new Float32Array([1, -2]), g = new Float32Array([0.5, -0.25]);
  const m = new Float32Array(2), v = new Float32Array(2);
  const out = adamwValues(p, g, m, v, {
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    lr: 0.1,
    weightDecay: 0.01,
    gradScale: 1,
    biasCorrection1: 0.1,
    biasCorrection2: 0.001,
  });
  // m̂ = g, v̂ = g²: step ≈ lr·sign(g) after decay p·(1 − 0.001)
  assert(Math.abs(out.p[0] - (0.999 - 0.1)) < 1e-6, `p[0] = ${out.p[0]}`);
  assert(Math.abs(out.p[1] - (-1.998 + 0.1)) < 1e-6, `p[1] = ${out.p[1]}`);
  assertEquals(Array.from(out.m), [Math.fround(0.05), Math.fround(-0.025)]);
  assertEquals(Array.from(out.v), [Math.fround(0.00025), Math.fround(0.0000625)]);
  assertEquals(Array.from(p), [1, -2]);
  assertEquals(Array.from(m), [0, 0]);
  assertEquals(sumOfSquares(new Float32Array([3, 4])), 25);
  let msg = "";
  try {
    adamwValues(p, new Float32Array(1), m, v, {} as never);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("fused_adamw.ts") && msg.includes("g 1"), msg);
});
