// Completion-only next-token cross-entropy over a right-padded batch: prompt and padding positions get
// weight 0 (and lossRows drops them before the LM head). Targets are selected with a weight matrix built in
// JS (no tf.gather gradient, which wasm lacks).
import * as tf from "@tensorflow/tfjs";
import { fusedWeightedNll } from "../../model/blas/fused_cross_entropy.ts";
import { fusedOpsActive } from "../../model/blas/fused_kernels.ts";
import type { SftExample } from "./examples.ts";

/** A right-padded batch: inputs ids[0..L-2] of each example, next-token targets and loss weights. */
export interface PaddedBatch {
  /** B rows of T ids (T = longest example − 1), padded on the right with padId */
  inputIds: number[][];
  /** (B·T) next-token ids (padId where weight is 0) */
  targets: Int32Array;
  /** (B·T) 1 where the target is a completion or EOS token, else 0 */
  weights: Float32Array;
  /** completion tokens in the batch (= sum of weights) */
  lossTokens: number;
  /** non-padding input tokens in the batch */
  inputTokens: number;
}

/**
 * Pad examples on the right into one batch (causal attention never sees the padding of a row's future,
 * and padded targets have weight 0, so padding changes no loss term).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const b = padBatch([{ ids: [5, 6, 7], promptLength: 2, where: "a" }], 0);
 * deepStrictEqual(b.inputIds, [[5, 6]]);
 * deepStrictEqual([Array.from(b.targets), Array.from(b.weights)], [[6, 7], [0, 1]]);
 * ```
 */
export function padBatch(examples: readonly SftExample[], padId: number): PaddedBatch {
  if (examples.length === 0) throw new Error("lib/train/sft/loss.ts: padBatch: empty batch");
  const T = Math.max(...examples.map((e) => e.ids.length)) - 1;
  const B = examples.length;
  const targets = new Int32Array(B * T).fill(padId);
  const weights = new Float32Array(B * T);
  let lossTokens = 0, inputTokens = 0;
  const inputIds = examples.map((e, b) => {
    const row = new Array<number>(T).fill(padId);
    for (let t = 0; t < e.ids.length - 1; t++) {
      row[t] = e.ids[t];
      targets[b * T + t] = e.ids[t + 1];
      if (t + 1 >= e.promptLength) {
        weights[b * T + t] = 1;
        lossTokens++;
      }
    }
    inputTokens += e.ids.length - 1;
    return row;
  });
  return { inputIds, targets, weights, lossTokens, inputTokens };
}

/** The loss-carrying positions of a batch: flat indices into B·T with their targets and weights. */
export interface LossRows {
  /** (M) flat positions b·T + t with weight ≠ 0, ascending */
  rows: Int32Array;
  /** (M) next-token ids at those positions */
  targets: Int32Array;
  /** (M) their loss weights */
  weights: Float32Array;
}

/**
 * The positions of `batch` that carry loss (weight ≠ 0), in ascending order, for logits of those rows only
 * (lib/model/decoder.ts forwardRows). Σ over them equals Σ over every position: the others weigh 0.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const r = lossRows(padBatch([{ ids: [5, 6, 7], promptLength: 2, where: "a" }], 0));
 * deepStrictEqual([Array.from(r.rows), Array.from(r.targets), Array.from(r.weights)], [[1], [7], [
 *   1,
 * ]]);
 * ```
 */
export function lossRows(batch: Pick<PaddedBatch, "targets" | "weights">): LossRows {
  const { targets, weights } = batch;
  const rows: number[] = [];
  for (let n = 0; n < weights.length; n++) if (weights[n] !== 0) rows.push(n);
  return {
    rows: Int32Array.from(rows),
    targets: Int32Array.from(rows, (n) => targets[n]),
    weights: Float32Array.from(rows, (n) => weights[n]),
  };
}

/**
 * Sum over positions of weight · (−log softmax(logits)[target]) as a scalar (divide by the token count
 * for a mean). logits (B, T, V) or (N, V); targets and weights (B·T) or (N). On cpu-blas this is one
 * fused op (lib/model/blas/fused_cross_entropy.ts, same value and gradient up to float rounding).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const batch = padBatch([{ ids: [1, 0, 1], promptLength: 2, where: "a" }], 0);
 * const logits = tf.zeros([1, 2, 4]) as tf.Tensor3D; // (B, T, V): uniform over 4 ids
 * const nll = weightedNll(logits, batch.targets, batch.weights); // scalar: one target of weight 1
 * if (Math.abs(nll.dataSync()[0] - Math.log(4)) > 1e-5) throw new Error("uniform: ln 4 per token");
 * ```
 */
export function weightedNll(
  logits: tf.Tensor3D | tf.Tensor2D,
  targets: Int32Array,
  weights: Float32Array,
): tf.Scalar {
  const V = logits.shape[logits.rank - 1];
  const N = logits.size / V;
  if (targets.length !== N || weights.length !== N) {
    throw new Error(
      `lib/train/sft/loss.ts: weightedNll: ${targets.length} targets / ${weights.length} weights for ${N} positions`,
    );
  }
  if (fusedOpsActive()) {
    return tf.tidy(() =>
      fusedWeightedNll(
        logits.rank === 3 ? logits as tf.Tensor3D : tf.reshape(logits, [1, N, V]), // (B, T, V)
        targets,
        weights,
      )
    );
  }
  const pick = new Float32Array(N * V); // (N, V): weight at the target column
  for (let n = 0; n < N; n++) if (weights[n] !== 0) pick[n * V + targets[n]] = weights[n];
  return tf.tidy(() => {
    const flat = tf.reshape(logits, [N, V]); // (N, V)
    const lse = tf.logSumExp(flat, 1); // (N,)
    const normTerm = tf.sum(tf.mul(lse, tf.tensor1d(weights))); // Σ w·lse
    const targetTerm = tf.sum(tf.mul(flat, tf.tensor2d(pick, [N, V]))); // Σ w·logit[target]
    return tf.sub(normTerm, targetTerm) as tf.Scalar;
  });
}
