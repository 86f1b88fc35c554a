// RMSNorm as in HF Llama/Qwen2: x * rsqrt(mean(x^2) + eps) * weight, computed in float32 (one fused op
// on cpu-blas: lib/model/blas/fused_rmsnorm.ts).
import * as tf from "@tensorflow/tfjs";
import { fusedOpsActive } from "./blas/fused_kernels.ts";
import { fusedRmsNorm } from "./blas/fused_rmsnorm.ts";

/**
 * Normalise the last axis of `x` by its root mean square, then scale by `weight`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const y = rmsNorm(tf.tensor2d([[3, 4]]), tf.ones([2]), 0); // [[0.8485, 1.1314]]
 * if (Math.abs(y.dataSync()[0] - 0.8485) > 1e-4) throw new Error(`${y}`);
 * ```
 */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  if (fusedOpsActive("rmsnorm")) return fusedRmsNorm(x, weight, eps);
  return tf.tidy(() => {
    const variance = tf.mean(tf.square(x), -1, true); // (..., 1)
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), weight); // (..., D)
  });
}
