// Small assertion helpers for the model tests (JSR's @std/assert is unreachable here; node:assert is used).
import { ok, rejects, throws } from "node:assert/strict";
import { assertAllClose } from "../_assert.ts";
import { headDim, type ModelConfig } from "../../lib/model/config.ts";

/** Assert `fn` throws an Error whose message contains every string in `parts`. */
export function assertThrowsWith(fn: () => unknown, ...parts: string[]): void {
  throws(fn, (e: unknown) => e instanceof Error && parts.every((p) => e.message.includes(p)));
}

/** Assert the promise rejects with an Error whose message contains every string in `parts`. */
export async function assertRejectsWith(p: Promise<unknown>, ...parts: string[]): Promise<void> {
  await rejects(p, (e: unknown) => {
    if (!(e instanceof Error)) return false;
    if (!parts.every((s) => e.message.includes(s))) {
      throw new Error(`message ${JSON.stringify(e.message)} lacks one of ${JSON.stringify(parts)}`);
    }
    return true;
  });
}

/** Largest |a - b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  ok(a.length === b.length, `length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}

/**
 * Assert two arrays agree within `tol` (absolute), reporting the worst difference: the shared
 * {@link assertAllClose} with rtol 0. Float parity tests pass a derived {atol, rtol} to assertAllClose.
 */
export function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tol: number,
  what = "",
): void {
  assertAllClose(a, b, { atol: tol }, what);
}

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
