// Token embedding lookup with a gradient that works on every tfjs backend: forward is tf.gather,
// backward is a one-hot matmul (tf.gather's own gradient needs UnsortedSegmentSum, missing on wasm).
import * as tf from "@tensorflow/tfjs";

/**
 * Rows `ids` of `table` (V, D) → (N, D), differentiable w.r.t. `table` on cpu, wasm and webgpu.
 * The backward pass builds the (V, N) one-hot matrix in JS (uploaded masks are correct on every
 * backend; tfjs' float oneHot is not on wasm) and returns onehot @ dy: V·N floats of scratch.
 *
 * @example
 * ```ts
 * const x = embedTokens(tf.eye(4), Int32Array.from([3, 1])); // [[0,0,0,1],[0,1,0,0]]
 * ```
 */
export function embedTokens(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const [V] = table.shape;
  for (const id of ids) {
    if (!(id >= 0 && id < V)) {
      throw new Error(`embedTokens: token id ${id} outside vocab [0, ${V})`);
    }
  }
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor2D; // (V, D)
    const value = tf.tidy(() => tf.gather(t, tf.tensor1d(ids, "int32"))); // (N, D)
    const gradFunc = (dy: tf.Tensor) => {
      const N = ids.length;
      const oneHot = new Float32Array(V * N); // (V, N)
      ids.forEach((id, n) => (oneHot[id * N + n] = 1));
      return tf.tidy(() => tf.matMul(tf.tensor2d(oneHot, [V, N]), dy as tf.Tensor2D)); // (V, D)
    };
    return { value, gradFunc };
  });
  return lookup(table) as tf.Tensor2D;
}
