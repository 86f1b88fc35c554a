// Decoder test fixtures: the float32 accumulation length of a decoder's logits and gradients (for the
// derived tolerances of tests/README-tolerances.md) and a self-removing temp directory.
import { headDim, type ModelConfig } from "../../lib/model/config.ts";

/**
 * Accumulation lengths of a decoder's float32 logits and loss gradients (for f32Tolerance), summed over
 * the chain: per layer the RMSNorm mean (D), the q/k/v projections (D), the hd-term scores, the S-term
 * softmax sum and context, the output projection (heads·hd), the MLP's norm, gate/up (D) and down (I)
 * projections; then the final norm and the lm-head (D each). The backward pass runs the chain again
 * (×2), adds the V-term softmax of the loss, and every weight gradient sums over all `rows` = B·T
 * positions. Scores stay O(1) on these checkpoints, so exp amplifies their rounding by O(1) only.
 */
export function decoderChainLength(
  config: ModelConfig,
  shape: { S: number; rows: number },
): { logits: number; grads: number } {
  const D = config.hidden_size, hd = headDim(config), I = config.intermediate_size;
  const layer = 4 * D + hd + 2 * shape.S + config.num_attention_heads * hd + I;
  const logits = config.num_hidden_layers * layer + 2 * D;
  return { logits, grads: 2 * logits + config.vocab_size + shape.rows };
}

/** A fresh temp directory removed by the returned cleanup function. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "convrec_model_" });
  return { dir, cleanup: () => Deno.remove(dir, { recursive: true }) };
}
