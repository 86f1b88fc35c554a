// Per-token log-probs of sampled completions under a decoder: prompt + completion right-padded (causal
// attention never sees a row's padding), logits → log-softmax → the sampled token's entry (no tf.gather).
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../model/config.ts";
import { forward } from "../../model/decoder.ts";
import type { DecoderWeights } from "../../model/weights.ts";
import type { TokenDims } from "../rl/shapes.ts";

/** Prompt+completion rows laid out for one forward pass. */
export interface PackedSequences {
  /** B rows of L input ids (prompt ++ completion without its last token, right-padded) */
  inputIds: number[][];
  /** (B·L, V) 1 at the sampled next token of each completion position, else 0 */
  pick: Float32Array;
  /** (B, T) flat position b·L + l in the (B·L) outputs of completion token (b, t); −1 on padding */
  positions: Int32Array;
  /** completion dims (B, T) */
  dims: TokenDims;
  /** L, input positions per row */
  length: number;
  vocabSize: number;
}

/**
 * Lay out B rows: row b = prompts[⌊b/G⌋] ++ completion b; completion token t of row b is predicted at
 * input position |prompt| + t − 1.
 * @example
 * ```ts
 * const packed = packSequences([[1, 2]], { tokenIds: Int32Array.of(7, 3), mask: Uint8Array.of(1, 1),
 *   dims: { b: 1, t: 2 }, groupSize: 1 }, { padId: 0, vocabSize: 8 });
 * packed.inputIds; // [[1, 2, 7]]; packed.positions // [1, 2]
 * ```
 */
export function packSequences(
  prompts: readonly (readonly number[])[],
  rollouts: { tokenIds: Int32Array; mask: Uint8Array; dims: TokenDims; groupSize: number },
  options: { padId: number; vocabSize: number },
): PackedSequences {
  const { dims, tokenIds, mask, groupSize } = rollouts;
  const { b: rows, t: cols } = dims;
  const v = options.vocabSize;
  const lengths = Array.from({ length: rows }, (_, r) => {
    let c = 0;
    while (c < cols && mask[r * cols + c] !== 0) c++;
    return c;
  });
  const length = Math.max(
    ...lengths.map((c, r) => prompts[Math.floor(r / groupSize)].length + c - 1),
  );
  const positions = new Int32Array(rows * cols).fill(-1); // (B, T)
  const pick = new Float32Array(rows * length * v); // (B·L, V)
  const inputIds = lengths.map((c, r) => {
    const p = prompts[Math.floor(r / groupSize)];
    const seq = [...p, ...Array.from(tokenIds.subarray(r * cols, r * cols + c))];
    const row = new Array<number>(length).fill(options.padId);
    for (let l = 0; l < Math.min(length, seq.length - 1); l++) row[l] = seq[l];
    for (let j = 0; j < c; j++) {
      const pos = r * length + p.length + j - 1; // input position predicting completion token j
      positions[r * cols + j] = pos;
      pick[pos * v + tokenIds[r * cols + j]] = 1;
    }
    return row;
  });
  return { inputIds, pick, positions, dims, length, vocabSize: v };
}

/**
 * (B·L) log πθ of the picked tokens and (B·L) token entropies of the policy at every input position
 * (0 where nothing is picked; entropy is computed everywhere, read only at completion positions).
 * Differentiable w.r.t. `weights` (call inside tf.variableGrads).
 * @example
 * ```ts
 * const { logp, entropy } = completionLogprobs(params, cfg, packed); // (B·L), (B·L)
 * ```
 */
export function completionLogprobs(
  weights: DecoderWeights,
  config: ModelConfig,
  packed: PackedSequences,
): { logp: tf.Tensor1D; entropy: tf.Tensor1D } {
  return tf.tidy(() => {
    const rows = packed.inputIds.length, v = packed.vocabSize;
    const { logits } = forward(weights, config, packed.inputIds); // (B, L, V)
    const flat = tf.reshape(logits, [rows * packed.length, v]); // (B·L, V)
    const lse = tf.logSumExp(flat, 1); // (B·L)
    const pick = tf.tensor2d(packed.pick, [rows * packed.length, v]); // (B·L, V)
    const picked = tf.sum(tf.mul(flat, pick), 1); // (B·L) logit of the sampled token
    const hasPick = tf.sum(pick, 1); // (B·L) 1 at completion positions
    const logp = tf.mul(tf.sub(picked, lse), hasPick) as tf.Tensor1D; // (B·L)
    const probs = tf.exp(tf.sub(flat, tf.expandDims(lse, 1))); // (B·L, V)
    const entropy = tf.sub(lse, tf.sum(tf.mul(probs, flat), 1)) as tf.Tensor1D; // (B·L)
    return { logp, entropy };
  });
}

/**
 * Gather (B·L) per-position values into the (B, T) completion layout (0 on padding).
 * @example toCompletionLayout(Float32Array.of(0, -1, -2), Int32Array.of(1, 2)) // [-1, -2]
 */
export function toCompletionLayout(
  values: ArrayLike<number>,
  positions: Int32Array,
): Float64Array {
  const out = new Float64Array(positions.length); // (B, T)
  for (let i = 0; i < positions.length; i++) if (positions[i] >= 0) out[i] = values[positions[i]];
  return out;
}

/**
 * (B, T) log-probs of the completion tokens under `weights`, no gradient (reference / old policy).
 * @example
 * ```ts
 * const ref = await frozenLogprobs(refWeights, cfg, packed); // (B, T)
 * ```
 */
export async function frozenLogprobs(
  weights: DecoderWeights,
  config: ModelConfig,
  packed: PackedSequences,
): Promise<Float64Array> {
  const { logp, entropy } = completionLogprobs(weights, config, packed);
  entropy.dispose();
  const values = await logp.data();
  logp.dispose();
  return toCompletionLayout(values, packed.positions);
}
