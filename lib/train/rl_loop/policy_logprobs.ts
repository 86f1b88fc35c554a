// Per-token log-probs of sampled completions under a decoder: prompt + completion right-padded (causal
// attention never sees a row's padding); logits at completion positions only → log-softmax with a
// closed-form gradient → the sampled token's entry, picked by a mask built in JS (no tf.gather).
// computePaths().fullLogits: the earlier path (logits everywhere, stock autodiff), for A/B timing.
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../model/config.ts";
import { forward, forwardRows, fullLogitsPath } from "../../model/decoder.ts";
import type { DecoderWeights } from "../../model/weights.ts";
import type { TokenDims } from "../rl/shapes.ts";

/** Prompt+completion rows laid out for one forward pass. */
export interface PackedSequences {
  /** B rows of L input ids (prompt ++ completion without its last token, right-padded) */
  inputIds: number[][];
  /** (B, T) flat position b·L + l in the (B·L) outputs of completion token (b, t); −1 on padding */
  positions: Int32Array;
  /** (M) the completion tokens' flat positions b·L + l, in (B, T) order (the logit rows needed) */
  rows: Int32Array;
  /** (M) the sampled token predicted at each of `rows` */
  targets: Int32Array;
  /** (B, T) index into `rows` of completion token (b, t); −1 on padding */
  rowOf: Int32Array;
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
 * import { deepStrictEqual } from "node:assert";
 * const packed = packSequences([[1, 2]], {
 *   tokenIds: Int32Array.of(7, 3),
 *   mask: Uint8Array.of(1, 1),
 *   dims: { b: 1, t: 2 },
 *   groupSize: 1,
 * }, { padId: 0, vocabSize: 8 });
 * deepStrictEqual(packed.inputIds, [[1, 2, 7]]); // prompt ++ completion without its last token
 * deepStrictEqual([Array.from(packed.positions), Array.from(packed.targets)], [[1, 2], [7, 3]]);
 * ```
 */
export function packSequences(
  prompts: readonly (readonly number[])[],
  rollouts: { tokenIds: Int32Array; mask: Uint8Array; dims: TokenDims; groupSize: number },
  options: { padId: number; vocabSize: number },
): PackedSequences {
  const { dims, tokenIds, mask, groupSize } = rollouts;
  const { b: rows, t: cols } = dims;
  const lengths = Array.from({ length: rows }, (_, r) => {
    let c = 0;
    while (c < cols && mask[r * cols + c] !== 0) c++;
    return c;
  });
  const length = Math.max(
    ...lengths.map((c, r) => prompts[Math.floor(r / groupSize)].length + c - 1),
  );
  const positions = new Int32Array(rows * cols).fill(-1); // (B, T)
  const rowOf = new Int32Array(rows * cols).fill(-1); // (B, T)
  const logitRows: number[] = [], targets: number[] = []; // (M), (M)
  const inputIds = lengths.map((c, r) => {
    const p = prompts[Math.floor(r / groupSize)];
    const seq = [...p, ...Array.from(tokenIds.subarray(r * cols, r * cols + c))];
    const row = new Array<number>(length).fill(options.padId);
    for (let l = 0; l < Math.min(length, seq.length - 1); l++) row[l] = seq[l];
    for (let j = 0; j < c; j++) {
      const pos = r * length + p.length + j - 1; // input position predicting completion token j
      positions[r * cols + j] = pos;
      rowOf[r * cols + j] = logitRows.length;
      logitRows.push(pos);
      targets.push(tokenIds[r * cols + j]);
    }
    return row;
  });
  return {
    inputIds,
    positions,
    rows: Int32Array.from(logitRows),
    targets: Int32Array.from(targets),
    rowOf,
    dims,
    length,
    vocabSize: options.vocabSize,
  };
}

/** Per-row policy values of {@link completionLogprobs} and where completion token (b, t) sits in them. */
export interface CompletionLogprobs {
  /** (K) log πθ of the picked token per row (0 on rows without one) */
  logp: tf.Tensor1D;
  /** (K) token entropy per row; null when not asked for */
  entropy: tf.Tensor1D | null;
  /** (B, T) index into the K rows of completion token (b, t); −1 on padding */
  index: Int32Array;
}

/**
 * Per row of `logits` (K, V): column 0 = log softmax at the picked token (`pick` (K·V) holds a 1 there),
 * column 1 (with `entropy`) = the token entropy. One exp pass; the gradient w.r.t. the logits is the closed
 * form dy₀·(pick − softmax) (no autodiff through max/logSumExp, whose Max gradient builds a (K, V) Equal
 * mask); the entropy column is not differentiated (its upstream gradient is ignored).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const out = pickedLogSoftmax(tf.tensor2d([[0, 0]]), Float32Array.of(0, 1), { entropy: true });
 * const [logp, entropy] = out.dataSync(); // [[-ln 2, ln 2]]: log p of the picked id, then the entropy
 * if (Math.abs(logp + Math.LN2) > 1e-6 || Math.abs(entropy - Math.LN2) > 1e-6) {
 *   throw new Error(`${out}`);
 * }
 * ```
 */
export function pickedLogSoftmax(
  logits: tf.Tensor2D,
  pick: Float32Array,
  options: { entropy: boolean },
): tf.Tensor2D {
  const [K, V] = logits.shape;
  if (pick.length !== K * V) {
    throw new Error(
      `lib/train/rl_loop/policy_logprobs.ts: pickedLogSoftmax: pick has ${pick.length} values, ` +
        `expected K·V = ${K}·${V}`,
    );
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor2D; // (K, V)
    const save = args[1] as tf.GradSaveFunc;
    const pickT = tf.tensor2d(pick, [K, V]); // (K, V)
    const max = tf.max(x, 1, true); // (K, 1)
    const e = tf.exp(tf.sub(x, max)); // (K, V)
    const sum = tf.sum(e, 1, true); // (K, 1)
    const lse = tf.add(max, tf.log(sum)); // (K, 1)
    const probs = tf.div(e, sum); // (K, V)
    const logp = tf.sub(tf.sum(tf.mul(x, pickT), 1, true), lse); // (K, 1)
    save([pickT, probs]);
    const value = options.entropy
      ? tf.concat([logp, tf.sub(lse, tf.sum(tf.mul(probs, x), 1, true))], 1) // (K, 2)
      : logp; // (K, 1)
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(tf.slice(dy, [0, 0], [K, 1]), tf.sub(saved[0], saved[1])), // (K, V)
    };
  });
  return op(logits) as tf.Tensor2D;
}

/**
 * Log πθ of the sampled completion tokens and the policy's token entropies there, as K rows: the M
 * completion positions (logits of those rows only, lib/model/decoder.ts forwardRows, then
 * {@link pickedLogSoftmax}), or all B·L input positions under computePaths().fullLogits (the earlier path;
 * 0 where nothing is picked) — `index` says which.
 * Differentiable w.r.t. `weights` (call inside tf.variableGrads).
 * @example
 * ```ts
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { initWeights } from "../../model/weights.ts";
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: 8,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const params = initWeights(cfg, { seed: 0 });
 * const packed = packSequences([[1, 2]], {
 *   tokenIds: Int32Array.of(7, 3),
 *   mask: Uint8Array.of(1, 1),
 *   dims: { b: 1, t: 2 },
 *   groupSize: 1,
 * }, { padId: 0, vocabSize: 8 });
 * const { logp, entropy, index } = completionLogprobs(params, cfg, packed); // (K), (K), (B, T)
 * if (logp.size !== 2 || entropy?.size !== 2 || index.length !== 2) {
 *   throw new Error("K = 2 tokens");
 * }
 * if (logp.dataSync().some((x) => !(x < 0))) throw new Error("log-probs are negative");
 * ```
 */
export function completionLogprobs(
  weights: DecoderWeights,
  config: ModelConfig,
  packed: PackedSequences,
  options: {
    /** also compute token entropies @default true */
    entropy?: boolean;
  } = {},
): CompletionLogprobs {
  const v = packed.vocabSize, full = fullLogitsPath() || packed.rows.length === 0;
  const K = full ? packed.inputIds.length * packed.length : packed.rows.length;
  const pick = new Float32Array(K * v); // (K, V): 1 at the sampled next token of a completion row
  packed.rows.forEach((r, m) => (pick[(full ? r : m) * v + packed.targets[m]] = 1));
  const withEntropy = options.entropy !== false;
  const [logp, entropy] = tf.tidy(() => {
    if (!full) {
      const flat = forwardRows(weights, config, packed.inputIds, packed.rows); // (M, V)
      const cols = pickedLogSoftmax(flat, pick, { entropy: withEntropy }); // (M, 1 or 2)
      const M = packed.rows.length;
      const column = (c: number) => tf.reshape(tf.slice(cols, [0, c], [M, 1]), [M]); // (M)
      return withEntropy ? [column(0), column(1)] : [column(0)];
    }
    // the path before selected rows, unchanged: stock logSumExp and its autodiff gradient
    const flat = tf.reshape(forward(weights, config, packed.inputIds).logits, [K, v]); // (B·L, V)
    const lse = tf.logSumExp(flat, 1); // (K)
    const pickT = tf.tensor2d(pick, [K, v]); // (K, V)
    const picked = tf.sum(tf.mul(flat, pickT), 1); // (K) logit of the sampled token
    const logp = tf.mul(tf.sub(picked, lse), tf.sum(pickT, 1)); // (K)
    if (!withEntropy) return [logp];
    const probs = tf.exp(tf.sub(flat, tf.expandDims(lse, 1))); // (K, V)
    return [logp, tf.sub(lse, tf.sum(tf.mul(probs, flat), 1))]; // (K), (K)
  });
  return {
    logp: logp as tf.Tensor1D,
    entropy: (entropy ?? null) as tf.Tensor1D | null,
    index: full ? packed.positions : packed.rowOf,
  };
}

/**
 * Gather per-row values into the (B, T) completion layout via `index` (B, T) (0 where index is −1).
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(
 *   toCompletionLayout(Float32Array.of(0, -1, -2), Int32Array.of(1, 2, -1)),
 *   Float64Array.of(-1, -2, 0),
 * );
 * ```
 */
export function toCompletionLayout(
  values: ArrayLike<number>,
  index: Int32Array,
): Float64Array {
  const out = new Float64Array(index.length); // (B, T)
  for (let i = 0; i < index.length; i++) if (index[i] >= 0) out[i] = values[index[i]];
  return out;
}

/**
 * (B, T) log-probs of the completion tokens under `weights`, no gradient (reference / old policy).
 * @example
 * ```ts
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { initWeights } from "../../model/weights.ts";
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: 8,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const refWeights = initWeights(cfg, { seed: 0 });
 * const packed = packSequences([[1, 2]], {
 *   tokenIds: Int32Array.of(7, 0),
 *   mask: Uint8Array.of(1, 0), // one sampled token, then padding
 *   dims: { b: 1, t: 2 },
 *   groupSize: 1,
 * }, { padId: 0, vocabSize: 8 });
 * const ref = await frozenLogprobs(refWeights, cfg, packed); // (B, T)
 * if (!(ref[0] < 0 && ref[1] === 0)) throw new Error(`${ref}: padding reads 0`);
 * ```
 */
export async function frozenLogprobs(
  weights: DecoderWeights,
  config: ModelConfig,
  packed: PackedSequences,
): Promise<Float64Array> {
  const { logp, index } = completionLogprobs(weights, config, packed, { entropy: false });
  const values = await logp.data();
  logp.dispose();
  return toCompletionLayout(values, index);
}
