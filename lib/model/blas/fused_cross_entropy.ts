// Fused weighted cross-entropy for the cpu-blas backend: Σ w·(lse(row) − row[target]) and its logits
// gradient w·(softmax − onehot) in one pass over (N, V) typed arrays (one exp per element, no mask matrix).
import * as tf from "@tensorflow/tfjs";
import { fastExp } from "./fast_exp.ts";
import { legacyBlasPath } from "./fused_kernels.ts";

/**
 * Σ_n w_n·(logsumexp(x_n) − x_n[t_n]) over rows of `logits` (N·V values, row-major) and the gradient
 * of that sum w.r.t. the logits (N·V). Rows with weight 0 cost nothing and get a zero gradient.
 *
 * @example
 * ```ts
 * const { loss, grad } = weightedNllValues(Float32Array.of(0, 0), { V: 2, targets: Int32Array.of(1), weights: Float32Array.of(1) });
 * // loss = ln 2, grad = [0.5, -0.5]
 * if (Math.abs(loss - Math.LN2) > 1e-6 || Math.abs(grad[1] + 0.5) > 1e-6) throw new Error(`${loss}`);
 * ```
 */
export function weightedNllValues(
  logits: Float32Array,
  options: {
    V: number;
    targets: Int32Array;
    weights: Float32Array;
    /** "math": Math.exp (the legacy path) @default "fast" (fast_exp.ts) */
    exp?: "fast" | "math";
  },
): { loss: number; grad: Float32Array } {
  const { V, targets, weights } = options;
  const fast = options.exp !== "math";
  const N = targets.length;
  if (logits.length !== N * V || weights.length !== N) {
    throw new Error(
      `fused_cross_entropy.ts: weightedNllValues: ${logits.length} logits, ${N} targets, ` +
        `${weights.length} weights; expected N·V = ${N}·${V}`,
    );
  }
  const grad = new Float32Array(N * V);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const w = weights[n];
    if (w === 0) continue;
    const o = n * V, end = o + V;
    let max = -Infinity;
    for (let j = o; j < end; j++) if (logits[j] > max) max = logits[j];
    let sum = 0;
    if (fast) {
      for (let j = o; j < end; j++) {
        const e = fastExp(logits[j] - max);
        grad[j] = e;
        sum += e;
      }
    } else {
      for (let j = o; j < end; j++) {
        const e = Math.exp(logits[j] - max);
        grad[j] = e;
        sum += e;
      }
    }
    loss += w * (max + Math.log(sum) - logits[o + targets[n]]);
    const scale = w / sum;
    for (let j = o; j < end; j++) grad[j] *= scale;
    grad[o + targets[n]] -= w;
  }
  return { loss, grad };
}

/**
 * The weighted NLL sum of `logits` (B, T, V) as a scalar with a custom gradient (computed in the forward
 * pass, scaled by dy in the backward pass). Reads values synchronously: meant for cpu-like backends.
 * Same value as lib/train/sft/loss.ts weightedNll up to float rounding (sums here are float64).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const logits = tf.zeros([1, 1, 2]) as tf.Tensor3D; // (B, T, V)
 * const nll = fusedWeightedNll(logits, Int32Array.of(1), Float32Array.of(1)); // scalar, differentiable
 * if (Math.abs(nll.dataSync()[0] - Math.LN2) > 1e-6) throw new Error(`${nll}`);
 * ```
 */
export function fusedWeightedNll(
  logits: tf.Tensor3D,
  targets: Int32Array,
  weights: Float32Array,
): tf.Scalar {
  const [B, T, V] = logits.shape;
  const legacy = legacyBlasPath();
  const op = tf.customGrad<tf.Scalar>(
    ((x: tf.Tensor, save: tf.GradSaveFunc) => {
      const out = weightedNllValues(x.dataSync() as Float32Array, {
        V,
        targets,
        weights,
        exp: legacy ? "math" : "fast",
      });
      if (legacy) save([tf.tensor3d(out.grad, [B, T, V])]);
      // the (B, T, V) gradient stays a plain array until the backward pass scales it in place by dy
      let grad: Float32Array | null = legacy ? null : out.grad;
      return {
        value: tf.scalar(out.loss),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          if (legacy) return tf.mul(saved[0], dy);
          if (grad === null) {
            throw new Error("fused_cross_entropy.ts: fusedWeightedNll gradient taken twice");
          }
          const g = grad, s = dy.dataSync()[0];
          grad = null;
          if (s !== 1) {
            for (let n = 0; n < targets.length; n++) { // zero-weight rows are zero: skip them
              if (weights[n] === 0) continue;
              for (let j = n * V, end = j + V; j < end; j++) g[j] *= s;
            }
          }
          return tf.tensor3d(g, [B, T, V]); // (B, T, V): dy · d loss / d logits
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad<tf.Scalar>>[0],
  );
  return op(logits) as tf.Scalar;
}
