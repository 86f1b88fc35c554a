// Global-norm gradient clipping (as torch.nn.utils.clip_grad_norm_): one L2 norm over every gradient,
// all scaled by min(1, max/norm). The norm is read back once per step (also logged and NaN-checked).
import * as tf from "@tensorflow/tfjs";
import { fusedOptimActive, sumOfSquares } from "./fused_adamw.ts";

/** Gradients keyed like the parameters they belong to. */
export type NamedGrads = Record<string, tf.Tensor>;

/**
 * The L2 norm over all gradients, as a JS number (NaN/Infinity when any gradient is non-finite). On the cpu
 * and cpu-blas backends: one read pass per gradient (fused_adamw.ts), no intermediate tensors.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const norm = await globalNorm({ a: tf.tensor([3]), b: tf.tensor([4]) });
 * if (norm !== 5) throw new Error(`want 5, got ${norm}`);
 * ```
 */
export async function globalNorm(grads: NamedGrads): Promise<number> {
  const names = Object.keys(grads).sort();
  if (fusedOptimActive(names.map((k) => grads[k]))) {
    let total = 0; // float64 over all gradients
    for (const k of names) total += sumOfSquares(grads[k].dataSync() as Float32Array);
    return Math.sqrt(total);
  }
  // stack + sum, not tf.addN: tfjs-webgpu's AddN binds every input in one shader and silently returns
  // garbage past maxStorageBuffersPerShaderStage (8 by default); its Concat splits into chunks
  const total = tf.tidy(() => {
    const squares = names.map((k) => tf.sum(tf.square(grads[k]))); // scalars
    return squares.length === 0 ? tf.scalar(0) : tf.sum(tf.stack(squares)); // ()
  });
  const [value] = await total.data();
  total.dispose();
  return Math.sqrt(value);
}

/**
 * Scale factor that brings a gradient of norm `norm` down to `maxNorm` (1 when already within it,
 * or when maxNorm is Infinity). As torch: `max / (norm + 1e-6)`.
 *
 * @example
 * ```ts
 * if (Math.abs(clipScale(10, 1) - 0.1) > 1e-6) {
 *   throw new Error("norm 10 over max 1 scales by ≈ 0.1");
 * }
 * if (clipScale(0.5, 1) !== 1) throw new Error("a norm under the max is left alone");
 * ```
 */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) {
    throw new Error(`lib/train/optim/clip.ts: maxNorm: expected > 0, got ${maxNorm}`);
  }
  return norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
}
