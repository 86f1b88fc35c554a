// Gate for the fused typed-array ops (fused_cross_entropy.ts, fused_attention.ts): they run only when the
// active tfjs backend is cpu-blas, so cpu and wasm keep the stock tfjs compositions bit for bit.
import * as tf from "@tensorflow/tfjs";
import { BLAS_BACKEND_NAME } from "./blas_backend.ts";

/**
 * True when the active tfjs backend is the cpu-blas backend, whose tensors live in JS typed arrays and
 * where the fused ops are faster than the stock compositions they replace.
 *
 * @example
 * ```ts
 * const probs = fusedOpsActive() ? fusedCausalSoftmax(s, layout) : tf.softmax(masked);
 * ```
 */
export function fusedOpsActive(): boolean {
  return tf.getBackend() === BLAS_BACKEND_NAME;
}
