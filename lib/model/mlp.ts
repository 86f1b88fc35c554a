// SwiGLU feed-forward (HF LlamaMLP/Qwen2MLP): down(silu(gate(x)) * up(x)); the gate product is one fused
// op on cpu-blas (lib/model/blas/fused_swiglu.ts).
import * as tf from "@tensorflow/tfjs";
import { fusedOpsActive } from "./blas/fused_kernels.ts";
import { fusedSiluMul } from "./blas/fused_swiglu.ts";
import { linear } from "./linear.ts";
import type { DecoderWeights } from "./weights.ts";

/**
 * The MLP of layer `prefix` (e.g. "model.layers.0") on rows `x` (N, D) → (N, D).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { loadCheckpoint } from "./checkpoint.ts";
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const x = tf.ones([3, config.hidden_size]) as tf.Tensor2D; // (N, D)
 * const y = swiGlu(x, weights, "model.layers.0"); // (N, D)
 * ```
 */
export function swiGlu(x: tf.Tensor2D, weights: DecoderWeights, prefix: string): tf.Tensor2D {
  return tf.tidy(() => {
    const p = `${prefix}.mlp`;
    const gate = linear(x, weights[`${p}.gate_proj.weight`], weights[`${p}.gate_proj.bias`]); // (N, F)
    const up = linear(x, weights[`${p}.up_proj.weight`], weights[`${p}.up_proj.bias`]); // (N, F)
    const h = (fusedOpsActive("swiglu")
      ? fusedSiluMul(gate, up)
      : tf.mul(tf.mul(gate, tf.sigmoid(gate)), up)) as tf.Tensor2D; // silu(gate) * up, (N, F)
    return linear(h, weights[`${p}.down_proj.weight`], weights[`${p}.down_proj.bias`]); // (N, D)
  });
}
