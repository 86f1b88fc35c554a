// Item-level unlikelihood (Welleck et al. 2019, token-level UL applied to items): negative candidates are the
// tokens that would continue copying an item already listed in the same completion. Beyond the paper (SFT there is plain CE).
import * as tf from "@tensorflow/tfjs";
import { embedTokens } from "../../model/embedding.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";
import type { PaddedBatch } from "./loss.ts";

/** Floor of 1 − p(c) inside the log (as in Welleck et al.'s code), so a saturated candidate stays finite. */
export const UL_ONE_MINUS_P_FLOOR = 1e-5;

/**
 * Negative candidate ids for every completion position: out[i] is the set (ascending, distinct) of ids c
 * such that, with P the tokens of the current partial item before position i (tokens since the last
 * item-closing token) and S an earlier complete item (ending with its closing token) whose first |P|
 * tokens equal P, c = S[|P|] — except completion[i] itself (the true continuation is never a negative).
 * An item closes at a token for which `closesItem` is true (its text contains "\n"); EOS closes none.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * // items "A\n" "B\n" then A again, then EOS: tokens A=1 B=2 \n=9 EOS=0
 * deepStrictEqual(itemNegatives([1, 9, 2, 9, 1, 9, 0], (id) => id === 9), [
 *   [],
 *   [],
 *   [1],
 *   [],
 *   [2],
 *   [],
 *   [1, 2],
 * ]);
 * ```
 */
export function itemNegatives(
  completion: ArrayLike<number>,
  closesItem: (id: number) => boolean,
): number[][] {
  const items: number[][] = []; // complete items so far, each ending with its closing token
  let partial: number[] = []; // P: tokens of the current item so far
  let alive: number[][] = []; // earlier items whose first |P| tokens equal P
  const out: number[][] = [];
  for (let i = 0; i < completion.length; i++) {
    const target = completion[i];
    const negatives = new Set<number>();
    for (const s of alive) if (s.length > partial.length) negatives.add(s[partial.length]);
    negatives.delete(target);
    out.push([...negatives].sort((a, b) => a - b));
    if (closesItem(target)) {
      items.push([...partial, target]);
      partial = [];
      alive = [...items];
    } else {
      alive = alive.filter((s) => s.length > partial.length && s[partial.length] === target);
      partial.push(target);
    }
  }
  return out;
}

/**
 * "Closes an item" for every token id of `tokenizer`: its text contains "\n" (a completion is one item per
 * line). Computed once over the vocabulary.
 *
 * @example
 * ```ts
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * const files = trainChatTokenizer(["Heat (1995)\nAlien (1979)\n"], { vocabSize: 300, seed: 0 });
 * const tokenizer = tokenizerFromJson(
 *   files.tokenizerJson as never,
 *   files.tokenizerConfigJson as never,
 * );
 * const closes = itemCloser(tokenizer);
 * if (!closes(tokenizer.encode("\n")[0]) || closes(tokenizer.encode("Heat")[0])) {
 *   throw new Error("only pieces with a newline close an item");
 * }
 * ```
 */
export function itemCloser(
  tokenizer: Pick<TextTokenizer, "vocabSize" | "decodeToken">,
): (id: number) => boolean {
  const mask = new Uint8Array(tokenizer.vocabSize); // (V) 1 where the token's text has a newline
  for (let id = 0; id < mask.length; id++) {
    mask[id] = tokenizer.decodeToken(id).includes("\n") ? 1 : 0;
  }
  return (id) => mask[id] === 1;
}

/** The loss rows of a batch that have negative candidates (indices into lossRows order). */
export interface BatchNegatives {
  /** (R) ascending indices m into the M loss rows (lib/train/sft/loss.ts lossRows) */
  rows: Int32Array;
  /** (R) the negative candidate ids of each such row (non-empty, distinct) */
  candidates: number[][];
  /** (R) the loss weight of each such row */
  weights: Float32Array;
}

/**
 * Negatives of a right-padded batch, aligned with its loss rows: each batch row's loss-carrying targets (in
 * order) are its completion + EOS, fed to {@link itemNegatives}; rows without negatives are left out.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * import { padBatch } from "./loss.ts";
 * // prompt 5, completion "A\n" "A" EOS (A=1, \n=9, EOS=0): after the second A, "\n" would repeat item A
 * const batch = padBatch([{ ids: [5, 1, 9, 1, 0], promptLength: 1, where: "a" }], 0);
 * const neg = batchNegatives(batch, (id) => id === 9); // neg.rows.length ≤ lossTokens
 * deepStrictEqual([Array.from(neg.rows), neg.candidates], [[3], [[9]]]); // loss row 3 (the EOS target)
 * ```
 */
export function batchNegatives(
  batch: Pick<PaddedBatch, "inputIds" | "targets" | "weights">,
  closesItem: (id: number) => boolean,
): BatchNegatives {
  const B = batch.inputIds.length;
  const T = B === 0 ? 0 : batch.inputIds[0].length;
  const rows: number[] = [], candidates: number[][] = [], weights: number[] = [];
  let m = 0; // running loss-row index (flat positions with weight ≠ 0, ascending)
  for (let b = 0; b < B; b++) {
    const at: number[] = []; // flat positions of this row's loss targets
    for (let t = 0; t < T; t++) if (batch.weights[b * T + t] !== 0) at.push(b * T + t);
    const negatives = itemNegatives(at.map((n) => batch.targets[n]), closesItem);
    negatives.forEach((c, k) => {
      if (c.length === 0) return;
      rows.push(m + k);
      candidates.push(c);
      weights.push(batch.weights[at[k]]);
    });
    m += at.length;
  }
  return { rows: Int32Array.from(rows), candidates, weights: Float32Array.from(weights) };
}

/**
 * Σ_r w_r Σ_{c ∈ candidates_r} −log(max(1 − softmax(logits[rows_r])[c], floor)) as a scalar, from the
 * logits (M, V) of the loss rows. Only the R rows with negatives are gathered (embedTokens: its scatter-add
 * gradient works on wasm, cpu and cpu-blas). Gradient w.r.t. logits row r, column j (unfloored):
 * w_r Σ_c p_c/(1 − p_c)·(1[j = c] − p_j). Zero (a constant) when no row has negatives.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { padBatch } from "./loss.ts";
 * const batch = padBatch([{ ids: [5, 1, 9, 1, 0], promptLength: 1, where: "a" }], 0);
 * const logits = tf.zeros([4, 10]) as tf.Tensor2D; // (M, V) of the 4 loss rows: p = 0.1 for every id
 * const ul = unlikelihoodSum(logits, batchNegatives(batch, (id) => id === 9)); // scalar
 * // one negative candidate at p = 0.1: −log(1 − 0.1)
 * if (Math.abs(ul.dataSync()[0] + Math.log(0.9)) > 1e-5) throw new Error(`${ul.dataSync()[0]}`);
 * ```
 */
export function unlikelihoodSum(logits: tf.Tensor2D, negatives: BatchNegatives): tf.Scalar {
  const [M, V] = logits.shape;
  const R = negatives.rows.length;
  if (negatives.candidates.length !== R || negatives.weights.length !== R) {
    throw new Error(
      `lib/train/sft/unlikelihood.ts: unlikelihoodSum: ${R} rows, ${negatives.candidates.length} candidate sets, ${negatives.weights.length} weights`,
    );
  }
  if (R === 0) return tf.scalar(0);
  const mask = new Float32Array(R * V); // (R, V): row weight at each candidate column
  negatives.rows.forEach((m, r) => {
    if (!(m >= 0 && m < M)) {
      throw new Error(`lib/train/sft/unlikelihood.ts: unlikelihoodSum: row ${m} outside [0, ${M})`);
    }
    for (const c of negatives.candidates[r]) {
      if (!(Number.isInteger(c) && c >= 0 && c < V)) {
        throw new Error(
          `lib/train/sft/unlikelihood.ts: unlikelihoodSum: candidate ${c} outside vocab [0, ${V})`,
        );
      }
      mask[r * V + c] = negatives.weights[r];
    }
  });
  return tf.tidy(() => {
    const identity = R === M && negatives.rows.every((m, r) => m === r);
    const sub = identity ? logits : embedTokens(logits, negatives.rows); // (R, V)
    const p = tf.softmax(sub); // (R, V)
    const oneMinus = tf.maximum(tf.sub(1, p), UL_ONE_MINUS_P_FLOOR); // (R, V)
    return tf.neg(tf.sum(tf.mul(tf.log(oneMinus), tf.tensor2d(mask, [R, V])))) as tf.Scalar;
  });
}
