// The two compositions of one RL step, as the algorithm's recipe (algo_config.ts ALGO_RECIPES) says:
// rolloutAdvantages (rewards → group advantages → tokens → length shaping, once per step) and composeLoss
// (one update's loss and d loss/d logπθ at the algo's ratio level; the CPU objective of rlStep calls it).
// As the authors' code: reward rank k = k-th parsed item, token item k = k-th line. Shaping applies to
// every algo.

import { ALGO_RECIPES, type RlAlgoConfig } from "./algo_config.ts";
import type { ItemSegments } from "./item_segments.ts";
import { lengthShaping } from "./length_shaping.ts";
import { type PolicyLoss, policyLossAndGrad } from "./policy_loss.ts";
import { checkLength, type TokenDims } from "./shapes.ts";

/** The scored rollouts of one batch: P prompts × G rollouts, G consecutive rows per prompt. */
export interface ScoredRollouts {
  dims: TokenDims;
  /** G, rollouts per prompt (B must be a multiple of it). */
  groupSize: number;
  /** (B, N) 0/1 aligned hits of each rollout's parsed list (lib/reward/aligned_hits.ts). */
  hits: Uint8Array;
  /** Item segmentation of the completion tokens (padding has segId −1). */
  segments: ItemSegments;
}

/** Result of {@link rolloutAdvantages}. */
export interface RolloutAdvantages {
  /** (B, N) per-rank rewards (rank-grpo) or (B,) sequence DCG@N (grpo, gspo). */
  rewards: Float64Array;
  /** (B, T) token advantages after length shaping. */
  tokenAdvantages: Float64Array;
  /** (N,) mean hit per rank over the batch (the same quantity for every algorithm). */
  hitRateByRank: Float64Array;
  /** Share of (prompt, rank) groups — or prompts, for sequence rewards — with zero reward variance. */
  zeroStdFraction: number;
  /** Mean over groups of the unbiased group std of the reward. */
  rewardStd: number;
  overflowTokens: number;
  earlyEosRows: number;
  exactEosRows: number;
}

/**
 * Rewards and token advantages of a batch, composed from the algorithm's recipe: rank-grpo = per-rank
 * rewards → per-rank group advantages → item broadcast; grpo/gspo = sequence DCG@N → group
 * advantage → all tokens; then length shaping (per `config.shaping`).
 * @example
 * ```ts
 * import { rlAlgoConfig } from "./algo_config.ts";
 * // G = 2 rollouts of one prompt, N = 1, T = 2 tokens each ("item", EOS); only rollout 0 hits
 * const segments = {
 *   segIds: Int32Array.of(0, 0, 0, 0),
 *   itemsEmitted: Int32Array.of(1, 1),
 *   eosPos: Int32Array.of(1, 1),
 *   hasOverflow: Uint8Array.of(0, 0),
 *   n: 1,
 * };
 * const scored = { dims: { b: 2, t: 2 }, groupSize: 2, hits: Uint8Array.of(1, 0), segments };
 * const { tokenAdvantages } = rolloutAdvantages(rlAlgoConfig({ algo: "rank-grpo", n: 1 }), scored);
 * if (tokenAdvantages.length !== 4) throw new Error("want (B, T) = (2, 2)");
 * if (!(tokenAdvantages[0] > 0 && tokenAdvantages[2] < 0)) {
 *   throw new Error("hit row up, miss row down");
 * }
 * ```
 */
export function rolloutAdvantages(config: RlAlgoConfig, scored: ScoredRollouts): RolloutAdvantages {
  const { dims, groupSize: g, hits, segments } = scored;
  const n = config.n;
  if (segments.n !== n) {
    throw new Error(
      `lib/train/rl/compose_loss.ts: rolloutAdvantages: segments.n: expected N = ${n} (config.n), got ${segments.n}`,
    );
  }
  checkLength("rolloutAdvantages", "hits", hits, dims.b * n);
  if (dims.b % g !== 0) {
    throw new Error(
      `lib/train/rl/compose_loss.ts: rolloutAdvantages: groupSize: B = ${dims.b} is not a multiple of G = ${g}`,
    );
  }
  const recipe = ALGO_RECIPES[config.algo];
  const rewards = recipe.rewards(hits, { b: dims.b, n, reward: config.reward }); // (B, N) or (B,)
  const adv = recipe.advantages(rewards, { dims, g, n, segments, std_eps: config.std_eps });
  const shaped = lengthShaping(adv.tokenAdvantages, segments, { dims, config: config.shaping });
  const hitRateByRank = new Float64Array(n);
  for (let i = 0; i < dims.b * n; i++) hitRateByRank[i % n] += hits[i] / Math.max(1, dims.b);
  let stdSum = 0;
  for (const s of adv.std) stdSum += s;
  return {
    rewards,
    tokenAdvantages: shaped.advantages,
    hitRateByRank,
    zeroStdFraction: adv.zeroStdFraction,
    rewardStd: adv.std.length === 0 ? 0 : stdSum / adv.std.length,
    overflowTokens: shaped.overflowTokens,
    earlyEosRows: shaped.earlyEosRows,
    exactEosRows: shaped.exactEosRows,
  };
}

/** One update's inputs: the step's fixed (B, T) arrays and this update's log-probs. */
export interface UpdateInputs {
  dims: TokenDims;
  segments: ItemSegments;
  /** (B, T) 0/1 completion mask. */
  mask: ArrayLike<number>;
  /** (B, T) token advantages of {@link rolloutAdvantages}. */
  tokenAdvantages: ArrayLike<number>;
  /** (B, T) current logπθ of the sampled tokens. */
  logpNew: ArrayLike<number>;
  /** (B, T) logπθold from sampling; ignored when μ = 1 (on-policy: ratio ≡ 1 exactly). */
  logpOld: ArrayLike<number> | null;
  /** (B, T) reference log-probs; ignored when β = 0. */
  logpRef: ArrayLike<number> | null;
}

/**
 * The loss of one update and its gradient w.r.t. logπθ: {@link policyLossAndGrad} at the algorithm's
 * ratio level, with logπθold only when μ > 1 and the reference only when β > 0.
 * @example
 * ```ts
 * import { rlAlgoConfig } from "./algo_config.ts";
 * const segments = {
 *   segIds: Int32Array.of(0, 0),
 *   itemsEmitted: Int32Array.of(1),
 *   eosPos: Int32Array.of(1),
 *   hasOverflow: Uint8Array.of(0),
 *   n: 1,
 * };
 * const { grad } = composeLoss(rlAlgoConfig({ algo: "grpo", n: 1, beta: 0 }), {
 *   dims: { b: 1, t: 2 },
 *   segments,
 *   mask: Uint8Array.of(1, 1),
 *   tokenAdvantages: Float64Array.of(1, 1),
 *   logpNew: Float64Array.of(-1, -2),
 *   logpOld: null, // μ = 1: on-policy
 *   logpRef: null, // β = 0: no KL term
 * });
 * if (grad.length !== 2 || !(grad[0] < 0)) {
 *   throw new Error("(B, T) gradient lowers the loss by raising logπ");
 * }
 * ```
 */
export function composeLoss(config: RlAlgoConfig, update: UpdateInputs): PolicyLoss {
  if (update.logpOld === null && config.mu > 1) {
    throw new Error(
      `lib/train/rl/compose_loss.ts: composeLoss: logpOld: expected sampling-time log-probs when mu = ${config.mu} > 1, got null`,
    );
  }
  return policyLossAndGrad({
    dims: update.dims,
    logpNew: update.logpNew,
    logpOld: config.mu > 1 ? update.logpOld : null,
    logpRef: config.beta > 0 ? update.logpRef : null,
    advantages: update.tokenAdvantages,
    segIds: update.segments.segIds,
    mask: update.mask,
  }, config);
}
