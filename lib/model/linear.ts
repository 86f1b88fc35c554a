// Linear layer in HF layout: y = x W^T + b with W stored [out, in]. On tfjs wasm, matMul with transposeB
// misses XNNPACK (~4x slower here), so with enough rows W is transposed first and a plain matMul used.
import * as tf from "@tensorflow/tfjs";

/** On wasm, the row count from which `linear` transposes W for a plain matMul (else transposeB). */
export const PLAIN_MATMUL_MIN_ROWS = 16;

/**
 * Apply an HF-layout linear layer to rows of `x`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const y = linear(tf.ones([3, 4]), tf.ones([2, 4])); // (3, 2), all 4
 * if (y.shape.join() !== "3,2" || y.dataSync()[0] !== 4) throw new Error(`${y}`);
 * ```
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const w = weight as tf.Tensor2D; // (out, in)
    // wasm's fast path is plain 2D matMul only; elsewhere (cpu-blas: transposes are free in sgemm)
    // transposing W would copy every weight and its gradient on every step
    const y = tf.getBackend() === "wasm" && x.shape[0] >= PLAIN_MATMUL_MIN_ROWS
      ? tf.matMul(x, tf.transpose(w)) // (N, in) @ (in, out) → (N, out)
      : tf.matMul(x, w, false, true); // (N, in) @ (out, in)^T → (N, out)
    return (bias ? tf.add(y, bias) : y) as tf.Tensor2D;
  });
}
