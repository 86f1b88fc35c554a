// One GRPO / GSPO / Rank-GRPO update composed from the named functions by `config.algo`. As the authors'
// code: reward rank k = k-th parsed item, token item k = k-th line. Shaping applies to every algo.

import { rankReturnsBatch, sequenceDcg } from "../../reward/rank_rewards.ts";
import type { RlAlgoConfig } from "./algo_config.ts";
import { groupAdvantages, sequenceAdvantages } from "./group_advantages.ts";
import type { ItemSegments } from "./item_segments.ts";
import { lengthShaping } from "./length_shaping.ts";
import { type PolicyLoss, policyLossAndGrad, type PolicyLossStats } from "./policy_loss.ts";
import { checkLength, type TokenDims } from "./shapes.ts";
import { sequenceTokenAdvantages, tokenAdvantages } from "./token_advantages.ts";

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
 * Rewards and token advantages of a batch, as the algorithm composes them: rank-grpo = per-rank
 * rewards → per-rank group advantages → item broadcast; grpo/gspo = sequence DCG@N → group
 * advantage → all tokens; then length shaping (per `config.shaping`).
 * @example rolloutAdvantages(rlAlgoConfig({ algo: "rank-grpo" }), scored).tokenAdvantages // (B, T)
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
  let rewards: Float64Array;
  let base: Float64Array; // (B, T) before shaping
  let zeroStdFraction: number;
  let std: Float64Array;
  if (config.reward !== null) {
    rewards = rankReturnsBatch(hits, n, config.reward); // (B, N)
    const adv = groupAdvantages(rewards, { g, n }, { stdEps: config.stdEps });
    base = tokenAdvantages(adv.advantages, segments, dims);
    ({ zeroStdFraction, std } = adv);
  } else {
    rewards = new Float64Array(dims.b); // (B,)
    for (let r = 0; r < dims.b; r++) rewards[r] = sequenceDcg(hits.subarray(r * n, (r + 1) * n));
    const adv = sequenceAdvantages(rewards, { g }, { stdEps: config.stdEps });
    const mask = Uint8Array.from(segments.segIds, (s) => (s >= 0 ? 1 : 0)); // (B, T)
    base = sequenceTokenAdvantages(adv.advantages, mask, dims);
    ({ zeroStdFraction, std } = adv);
  }
  const shaped = lengthShaping(base, segments, { dims, config: config.shaping });
  const hitRateByRank = new Float64Array(n);
  for (let i = 0; i < dims.b * n; i++) hitRateByRank[i % n] += hits[i] / Math.max(1, dims.b);
  let stdSum = 0;
  for (const s of std) stdSum += s;
  return {
    rewards,
    tokenAdvantages: shaped.advantages,
    hitRateByRank,
    zeroStdFraction,
    rewardStd: std.length === 0 ? 0 : stdSum / std.length,
    overflowTokens: shaped.overflowTokens,
    earlyEosRows: shaped.earlyEosRows,
    exactEosRows: shaped.exactEosRows,
  };
}

/** Log-probs of one update over the scored rollouts. */
export interface UpdateLogps {
  /** (B, T) 0/1 completion mask. */
  mask: ArrayLike<number>;
  /** (B, T) current logπθ of the sampled tokens. */
  logpNew: ArrayLike<number>;
  /** (B, T) logπθold from sampling; `null` only when μ = 1 (on-policy: ratio ≡ 1 exactly). */
  logpOld: ArrayLike<number> | null;
  /** (B, T) reference log-probs; may be `null` when β = 0. */
  logpRef: ArrayLike<number> | null;
}

/** Result of {@link composeLoss}. */
export interface ComposedLoss extends PolicyLoss {
  stats: PolicyLossStats & Omit<RolloutAdvantages, "rewards" | "tokenAdvantages" | "hitRateByRank">;
  advantages: RolloutAdvantages;
}

/**
 * The whole loss of one update for `config.algo`: {@link rolloutAdvantages}, then
 * {@link policyLossAndGrad} at the algorithm's ratio level. A trainer with μ > 1 computes the
 * advantages once and calls `policyLossAndGrad` per update; this composes both for one call.
 * @example composeLoss(rlAlgoConfig({ algo: "grpo" }), { ...scored, ...logps }).grad // (B, T)
 */
export function composeLoss(
  config: RlAlgoConfig,
  batch: ScoredRollouts & UpdateLogps,
): ComposedLoss {
  if (batch.logpOld === null && config.mu > 1) {
    throw new Error(
      `lib/train/rl/compose_loss.ts: composeLoss: logpOld: expected sampling-time log-probs when mu = ${config.mu} > 1, got null`,
    );
  }
  const advantages = rolloutAdvantages(config, batch);
  const policy = policyLossAndGrad({
    dims: batch.dims,
    logpNew: batch.logpNew,
    logpOld: batch.logpOld,
    logpRef: batch.logpRef,
    advantages: advantages.tokenAdvantages,
    segIds: batch.segments.segIds,
    mask: batch.mask,
  }, config);
  const { rewards: _r, tokenAdvantages: _t, hitRateByRank: _h, ...adv } = advantages;
  return { loss: policy.loss, grad: policy.grad, stats: { ...policy.stats, ...adv }, advantages };
}
