// CPU twin of rank_objective{_stats,}.wgsl: an f32 adapter over lib/train/rl policyLossAndGrad (paper
// Eq. 6–7) that also returns each token's loss contribution, recomposed from the same lib functions.

import { clippedObjective, k3Kl } from "../lib/train/rl/clipped_objective.ts";
import {
  binMeans,
  broadcastBins,
  ratioBins,
  tokenLogRatios,
} from "../lib/train/rl/importance_ratios.ts";
import {
  normalisationWeights,
  policyLossAndGrad,
  type PolicyLossConfig,
  type PolicyLossStats,
} from "../lib/train/rl/policy_loss.ts";
import type { TokenDims } from "../lib/train/rl/shapes.ts";

/** (B, T) f32/i32 inputs of one update, as the kernels take them. */
export interface RankObjectiveInputs {
  readonly dims: TokenDims;
  /** (B, T) logπθ of the sampled tokens (what the gradient is for). */
  readonly logpNew: Float32Array;
  /** (B, T) logπθold; `null` = on-policy (μ = 1): every ratio is exactly 1. */
  readonly logpOld: Float32Array | null;
  /** (B, T) logπref; required when β > 0. */
  readonly logpRef: Float32Array | null;
  /** (B, T) token advantages. */
  readonly advantages: Float32Array;
  /** (B, T) natural item index, −1 = padding, ≥ N = overflow (shares bin N). */
  readonly segIds: Int32Array;
  /** (B, T) 0/1 completion mask; a token counts when mask ≠ 0 and segId ≥ 0. */
  readonly mask: Int32Array;
}

/** Result of the twin and the GPU kernel. */
export interface RankObjective {
  /** Σ tokenLoss (f64 sum of the per-row partial sums on the GPU path). */
  readonly loss: number;
  /** (B, T) c_t·(ℓ_t + β·k3_t): each token's contribution to the loss; 0 outside the loss mask. */
  readonly tokenLoss: Float32Array;
  /** (B, T) d loss / d logpNew; 0 outside the loss mask. */
  readonly grad: Float32Array;
  /** (B, T) importance weight w of the token's bin; 0 outside the loss mask. */
  readonly ratio: Float32Array;
  /** Tokens whose clip is active from below / above. */
  readonly clipLow: number;
  readonly clipHigh: number;
  readonly stats: PolicyLossStats;
}

/**
 * Validates lengths and config; errors name the field and what was expected.
 *
 * @example
 * ```ts
 * const inputs = {
 *   dims: { b: 1, t: 2 }, logpNew: Float32Array.of(-1, -2), logpOld: null, logpRef: null,
 *   advantages: Float32Array.of(1, 1), segIds: Int32Array.of(0, 0), mask: Int32Array.of(1, 1),
 * };
 * const config = { level: "item", eps_low: 0.06, eps_high: 0.08, beta: 0, loss_norm: "rank", n: 20 } as const;
 * checkObjectiveInputs(inputs, config); // throws, naming the field, on a bad length or id
 * ```
 */
export function checkObjectiveInputs(inputs: RankObjectiveInputs, config: PolicyLossConfig): void {
  const where = "kernels/rank_objective_ref.ts";
  const { b, t } = inputs.dims;
  if (!Number.isInteger(b) || b < 0 || !Number.isInteger(t) || t < 0) {
    throw new Error(`${where}: dims=${JSON.stringify(inputs.dims)}: expected integers ≥ 0`);
  }
  const size = b * t;
  const fields = ["logpNew", "logpOld", "logpRef", "advantages", "segIds", "mask"] as const;
  for (const f of fields) {
    const arr = inputs[f];
    if (arr !== null && arr.length !== size) {
      throw new Error(`${where}: ${f}.length=${arr.length}: expected B·T = ${size}`);
    }
  }
  if (config.beta > 0 && inputs.logpRef === null) {
    throw new Error(`${where}: logpRef: expected (B, T) log-probs when beta=${config.beta} > 0`);
  }
  if (!Number.isInteger(config.n) || config.n < 1) {
    throw new Error(`${where}: n=${config.n}: expected an integer ≥ 1`);
  }
}

/**
 * Loss, gradient and per-token terms of one update in f64 from the f32 inputs, rounded to f32.
 * loss / grad / stats come from `policyLossAndGrad`; tokenLoss, ratio and the clip counts from the
 * same lib functions it composes (ratioBins, binMeans, clippedObjective, k3Kl, normalisationWeights).
 *
 * @example
 * ```ts
 * const r = rankObjectiveRef({ dims: { b: 1, t: 2 }, logpNew: Float32Array.of(-1, -2), logpOld: null,
 *   logpRef: null, advantages: Float32Array.of(1, 1), segIds: Int32Array.of(0, 0),
 *   mask: Int32Array.of(1, 1) }, { level: "item", eps_low: 0.06, eps_high: 0.08, beta: 0,
 *   loss_norm: "token", n: 20 });
 * // r.loss = -1, r.grad = [-0.5, -0.5], r.tokenLoss = [-0.5, -0.5]
 * if (r.loss !== -1 || r.grad[0] !== -0.5) throw new Error(`loss ${r.loss}, grad ${r.grad}`);
 * ```
 */
export function rankObjectiveRef(
  inputs: RankObjectiveInputs,
  config: PolicyLossConfig,
): RankObjective {
  checkObjectiveInputs(inputs, config);
  const { dims, logpNew, logpOld, logpRef, advantages, segIds, mask } = inputs;
  const policy = policyLossAndGrad(
    { dims, logpNew, logpOld, logpRef, advantages, segIds, mask },
    config,
  );
  // per-token terms, composed as policyLossAndGrad composes them
  const size = dims.b * dims.t;
  const lossSeg = new Int32Array(size); // (B, T), −1 outside the loss mask
  const lossMask = new Uint8Array(size); // (B, T)
  for (let i = 0; i < size; i++) {
    const inLoss = mask[i] !== 0 && segIds[i] >= 0;
    lossMask[i] = inLoss ? 1 : 0;
    lossSeg[i] = inLoss ? segIds[i] : -1;
  }
  const logRatios = tokenLogRatios(logpNew, logpOld, { dims, mask: lossMask }); // (B, T)
  const bins = ratioBins(config.level, lossSeg, { dims, n: config.n });
  const logWeights = broadcastBins(binMeans(logRatios, bins, dims).means, bins, dims); // (B, T)
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
    tokens: policy.stats.tokens,
  }); // (B, T)
  const tokenLoss = new Float32Array(size); // (B, T)
  let clipLow = 0;
  let clipHigh = 0;
  for (let i = 0; i < size; i++) {
    if (lossMask[i] === 0) continue;
    tokenLoss[i] = coef[i] * (clip.loss[i] + (kl === null ? 0 : config.beta * kl.kl[i]));
    clipLow += clip.clippedLow[i];
    clipHigh += clip.clippedHigh[i];
  }
  return {
    loss: policy.loss,
    tokenLoss,
    grad: Float32Array.from(policy.grad),
    ratio: Float32Array.from(clip.ratio),
    clipLow,
    clipHigh,
    stats: policy.stats,
  };
}
