// Policy loss of one update and its closed-form gradient w.r.t. each token's logπθ (paper Eq. 6–7).
// Ours where the paper is silent: "rank" norm divides by B·N; the overflow bin adds without a slot.

import { clippedObjective, k3Kl } from "./clipped_objective.ts";
import {
  binMeans,
  broadcastBins,
  ratioBins,
  type RatioLevel,
  tokenLogRatios,
} from "./importance_ratios.ts";
import { checkLength, type TokenDims } from "./shapes.ts";

/**
 * How per-token losses are averaged: `token` = Σ over masked tokens / #masked tokens in the batch
 * (authors' code, TRL `bnpo`); `rank` = paper Eq. 6: mean per item, then Σ over items / (B·N).
 */
export type LossNorm = "token" | "rank";

/** What {@link policyLossAndGrad} computes (a slice of the RL algorithm config). */
export interface PolicyLossConfig {
  /** Importance-ratio level: `token` (GRPO), `sequence` (GSPO), `item` (Rank-GRPO). */
  level: RatioLevel;
  /** Clip range below 1. */
  eps_low: number;
  /** Clip range above 1. */
  eps_high: number;
  /** KL coefficient β (0 skips the KL and `logpRef`). */
  beta: number;
  /** Loss normalisation. */
  loss_norm: LossNorm;
  /** List length N (item bins 0..N−1, overflow bin N; rank slots per rollout). */
  n: number;
}

/** Plain (B, T) arrays of one update. */
export interface PolicyLossInputs {
  dims: TokenDims;
  /** (B, T) logπθ of the sampled tokens under the current parameters (what the gradient is for). */
  logpNew: ArrayLike<number>;
  /** (B, T) logπθold at sampling time; `null` = on-policy (μ = 1): ratio ≡ 1 exactly. */
  logpOld: ArrayLike<number> | null;
  /** (B, T) logπref of the reference (SFT) model; required when β > 0. */
  logpRef: ArrayLike<number> | null;
  /** (B, T) token advantages (after shaping). */
  advantages: ArrayLike<number>;
  /** (B, T) natural item index per token, −1 on padding (see `itemSegments`). */
  segIds: ArrayLike<number>;
  /** (B, T) 0/1 completion mask; a token counts when mask ≠ 0 and segId ≥ 0. */
  mask: ArrayLike<number>;
}

/** Batch statistics of one update (token means over the loss mask). */
export interface PolicyLossStats {
  /** Tokens in the loss mask. */
  tokens: number;
  /** Share of tokens whose clip is active from below (w < 1 − ε_low, A < 0). */
  clipLowFraction: number;
  /** Share of tokens whose clip is active from above (w > 1 + ε_high, A > 0). */
  clipHighFraction: number;
  /** clipLowFraction + clipHighFraction. */
  clipFraction: number;
  /** Mean k3 KL to the reference (0 when β = 0). */
  meanKl: number;
  /** Mean importance weight w. */
  meanRatio: number;
  /** Mean token advantage. */
  meanAdvantage: number;
}

/** Result of {@link policyLossAndGrad}. */
export interface PolicyLoss {
  /** The scalar loss (to minimise). */
  loss: number;
  /** (B, T) d loss / d logpNew per token (0 on padding). */
  grad: Float64Array;
  stats: PolicyLossStats;
}

/**
 * Loss and analytic gradient. With ℓ_t = −min(w·A_t, clip(w)·A_t) + β·k3_t and c_t the normalisation
 * weight of token t, loss = Σ c_t ℓ_t and d loss/d logp_s = c_s·β·(1 − e^{ref_s − logp_s})
 * + Σ_{t ∈ bin(s)} c_t·(dℓ_t/d log w)/|bin(s)|, since log w of a bin is the mean of its token log-ratios.
 * @example
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert";
 * const r = policyLossAndGrad({
 *   dims: { b: 1, t: 2 },
 *   logpNew: Float64Array.of(-1, -2),
 *   logpOld: null,
 *   logpRef: null,
 *   advantages: Float64Array.of(1, 1),
 *   segIds: Int32Array.of(0, 0),
 *   mask: Uint8Array.of(1, 1),
 * }, { level: "item", eps_low: 0.06, eps_high: 0.08, beta: 0, loss_norm: "token", n: 20 });
 * strictEqual(r.loss, -1);
 * deepStrictEqual(Array.from(r.grad), [-0.5, -0.5]);
 * ```
 */
export function policyLossAndGrad(inputs: PolicyLossInputs, config: PolicyLossConfig): PolicyLoss {
  const { dims, logpNew, logpRef, advantages, segIds, mask } = inputs;
  const { b: rows, t: cols } = dims;
  const size = rows * cols;
  for (
    const [field, arr] of [["logpNew", logpNew], ["advantages", advantages], ["segIds", segIds], [
      "mask",
      mask,
    ]] as const
  ) {
    checkLength("policyLossAndGrad", field, arr, size);
  }
  if (config.beta > 0 && logpRef === null) {
    throw new Error(
      `lib/train/rl/policy_loss.ts: policyLossAndGrad: logpRef: expected (B, T) reference log-probs when beta = ${config.beta} > 0, got null`,
    );
  }
  // Loss mask: inside the completion mask and assigned to an item (the authors' item_token_mask).
  const lossSeg = new Int32Array(size); // (B, T), −1 outside the loss mask
  const lossMask = new Uint8Array(size); // (B, T)
  let tokens = 0;
  for (let i = 0; i < size; i++) {
    const inLoss = mask[i] !== 0 && segIds[i] >= 0;
    lossMask[i] = inLoss ? 1 : 0;
    lossSeg[i] = inLoss ? segIds[i] : -1;
    if (inLoss) tokens++;
  }

  // Importance weights: mean token log-ratio over each bin of the chosen level, broadcast to tokens.
  const logRatios = tokenLogRatios(logpNew, inputs.logpOld, { dims, mask: lossMask }); // (B, T)
  const bins = ratioBins(config.level, lossSeg, { dims, n: config.n }); // (B, T) → K bins per row
  const ratioMeans = binMeans(logRatios, bins, dims); // (B, K)
  const logWeights = broadcastBins(ratioMeans.means, bins, dims); // (B, T)
  const clip = clippedObjective(logWeights, advantages, {
    mask: lossMask,
    eps_low: config.eps_low,
    eps_high: config.eps_high,
  });
  const kl = config.beta > 0 ? k3Kl(logpNew, logpRef!, lossMask) : null;

  const coef = normalisationWeights(lossSeg, {
    dims,
    n: config.n,
    loss_norm: config.loss_norm,
    tokens,
  }); // (B, T)

  // Loss and the per-bin pooled surrogate gradient S[r, bin] = Σ_{t ∈ bin} c_t · dℓ_t/dlog w.
  let loss = 0;
  const k = bins.numBins;
  const pooled = new Float64Array(rows * k); // (B, K)
  for (let i = 0; i < size; i++) {
    if (lossMask[i] === 0) continue;
    const klTerm = kl === null ? 0 : config.beta * kl.kl[i];
    loss += coef[i] * (clip.loss[i] + klTerm);
    pooled[Math.floor(i / cols) * k + bins.bins[i]] += coef[i] * clip.dLogWeight[i];
  }
  const grad = new Float64Array(size); // (B, T)
  for (let i = 0; i < size; i++) {
    if (lossMask[i] === 0) continue;
    const j = Math.floor(i / cols) * k + bins.bins[i];
    grad[i] = pooled[j] / ratioMeans.counts[j] +
      (kl === null ? 0 : coef[i] * config.beta * kl.dLogp[i]);
  }

  let low = 0;
  let high = 0;
  let klSum = 0;
  let ratioSum = 0;
  let advSum = 0;
  for (let i = 0; i < size; i++) {
    if (lossMask[i] === 0) continue;
    low += clip.clippedLow[i];
    high += clip.clippedHigh[i];
    klSum += kl === null ? 0 : kl.kl[i];
    ratioSum += clip.ratio[i];
    advSum += advantages[i];
  }
  const denom = Math.max(1, tokens);
  return {
    loss,
    grad,
    stats: {
      tokens,
      clipLowFraction: low / denom,
      clipHighFraction: high / denom,
      clipFraction: (low + high) / denom,
      meanKl: klSum / denom,
      meanRatio: ratioSum / denom,
      meanAdvantage: advSum / denom,
    },
  };
}

/**
 * (B, T) weight c_t of each token's loss in the total. `token`: 1 / max(1, #tokens in the batch).
 * `rank` (paper Eq. 6): 1 / (|item bin of t| · B·N) — each of the B·N (rollout, rank) slots weighs 1;
 * an item the rollout never emitted adds 0 to the sum but keeps its slot in B·N; the shared overflow
 * bin (items past N, EOS there included) adds its mean to the sum without a slot of its own.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const w = normalisationWeights(Int32Array.of(0, 0, 1), {
 *   dims: { b: 1, t: 3 },
 *   n: 2,
 *   loss_norm: "rank",
 *   tokens: 3,
 * });
 * deepStrictEqual(Array.from(w), [0.25, 0.25, 0.5]); // each rank weighs 1/2, split over its tokens
 * ```
 */
export function normalisationWeights(
  lossSeg: ArrayLike<number>, // (B, T), −1 outside the loss mask
  options: { dims: TokenDims; n: number; loss_norm: LossNorm; tokens: number },
): Float64Array {
  const { dims, n, loss_norm, tokens } = options;
  const size = dims.b * dims.t;
  const coef = new Float64Array(size); // (B, T)
  if (loss_norm === "token") {
    const w = 1 / Math.max(1, tokens);
    for (let i = 0; i < size; i++) if (lossSeg[i] >= 0) coef[i] = w;
    return coef;
  }
  const itemBins = ratioBins("item", lossSeg, { dims, n }); // bins 0..N
  const counts = binMeans(new Float64Array(size), itemBins, dims).counts; // (B, N + 1)
  const slots = Math.max(1, dims.b * n);
  for (let i = 0; i < size; i++) {
    const bin = itemBins.bins[i];
    if (bin < 0) continue;
    coef[i] = 1 / (counts[Math.floor(i / dims.t) * (n + 1) + bin] * slots);
  }
  return coef;
}
