// One-pass AdamW update and gradient sum of squares on typed arrays, for the tfjs cpu and cpu-blas
// backends. Same formula as adamw.ts's tf-op chain, computed in float64 and rounded once per stored value.
import * as tf from "@tensorflow/tfjs";
import { computePaths } from "../../model/compute_paths.ts";

/** Per-step AdamW coefficients, as adamw.ts derives them from its options and the step number. */
export interface AdamWCoefficients {
  beta1: number;
  beta2: number;
  eps: number;
  lr: number;
  /** decoupled decay (0 for a parameter without decay) */
  weightDecay: number;
  /** gradient multiplier (global-norm clipping); 1 = none */
  gradScale: number;
  /** 1 − beta1^t */
  biasCorrection1: number;
  /** 1 − beta2^t */
  biasCorrection2: number;
}

/**
 * AdamW on flat float32 arrays: returns new parameter and moment arrays (inputs are not written). The
 * formula of adamw.ts's tf-op chain, each element in float64 with one float32 rounding per stored value
 * (the chain rounds after every op; results agree to a few float32 ulps):
 * g ← g·s; m ← m·β1 + g·(1−β1); v ← v·β2 + g²·(1−β2); p ← p·(1−lr·wd) − m / (√v / √bc2 + ε) · (lr / bc1).
 *
 * @example
 * ```ts
 * const c = {
 *   beta1: 0.9,
 *   beta2: 0.999,
 *   eps: 1e-8,
 *   lr: 0.1,
 *   weightDecay: 0,
 *   gradScale: 1,
 *   biasCorrection1: 0.1,
 *   biasCorrection2: 0.001,
 * };
 * const z = () => new Float32Array(1);
 * const { p, m, v } = adamwValues(new Float32Array([1]), new Float32Array([0.5]), z(), z(), c);
 * // { p: [≈0.9], m: [0.05], v: [0.00025] }
 * const near = (x: number, want: number) => Math.abs(x - want) < 1e-6;
 * if (!near(p[0], 0.9) || !near(m[0], 0.05) || !near(v[0], 0.00025)) {
 *   throw new Error(`${p} ${m} ${v}`);
 * }
 * ```
 */
export function adamwValues(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  c: AdamWCoefficients,
): { p: Float32Array; m: Float32Array; v: Float32Array } {
  const n = p.length;
  if (g.length !== n || m.length !== n || v.length !== n) {
    throw new Error(
      `lib/train/optim/fused_adamw.ts: adamwValues: lengths p ${n}, g ${g.length}, m ${m.length}, ` +
        `v ${v.length}: expected equal`,
    );
  }
  const s = c.gradScale, b1 = c.beta1, a1 = 1 - c.beta1, b2 = c.beta2, a2 = 1 - c.beta2;
  const invSq2 = 1 / Math.sqrt(c.biasCorrection2), eps = c.eps;
  const step = c.lr / c.biasCorrection1, keep = 1 - c.lr * c.weightDecay;
  const pOut = new Float32Array(n), mOut = new Float32Array(n), vOut = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const gi = g[i] * s;
    const mi = m[i] * b1 + gi * a1;
    const vi = v[i] * b2 + gi * gi * a2;
    pOut[i] = p[i] * keep - step * mi / (Math.sqrt(vi) * invSq2 + eps);
    mOut[i] = mi;
    vOut[i] = vi;
  }
  return { p: pOut, m: mOut, v: vOut };
}

/**
 * Σ g² of a flat float32 array, accumulated in float64 (tf.sum(tf.square(g)) on the tfjs cpu backend
 * rounds each square to float32 first).
 *
 * @example
 * ```ts
 * if (sumOfSquares(new Float32Array([3, 4])) !== 25) throw new Error("3² + 4² = 25");
 * ```
 */
export function sumOfSquares(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

/**
 * True when the typed-array optimizer path applies: the active backend keeps float32 tensors in JS typed
 * arrays (cpu, cpu-blas) and no bench asked for the tf-op chain (setComputePaths `optimLegacy`, for A/B
 * benches). Read on every call.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * await tf.setBackend("cpu");
 * const p = tf.ones([2]);
 * if (!fusedOptimActive([p])) throw new Error("cpu backend: the typed-array path applies");
 * ```
 */
export function fusedOptimActive(tensors: readonly tf.Tensor[]): boolean {
  const backend = tf.getBackend();
  if (backend !== "cpu" && backend !== "cpu-blas") return false;
  if (tensors.some((t) => t.dtype !== "float32")) return false;
  return !computePaths().optimLegacy;
}
