// The per-step record of an RL run (issue 5 item 5): per-rank hit rates, reward spread, clipping, KL,
// entropy, lengths, in-catalog share, throughput and the generate / score / update time split.
import type { StepRow } from "../run/metrics_log.ts";
import type { RolloutBatch } from "./rollouts.ts";
import type { RlStepOutcome } from "./rl_step.ts";

/** One RL StepRecord (a metrics.jsonl row). */
export interface RlStepRecord extends StepRow {
  phase: "train";
  /** (N) mean rel_k per rank k = 1..N over the batch: the exp∞ per-rank reward, for every algo */
  rank_reward: number[];
  /** mean of the algorithm's own reward (per-rank return or sequence DCG@N) */
  reward_mean: number;
  /** mean over groups of the unbiased within-group std of the reward */
  reward_std: number;
  /** share of groups (prompt × rank, or prompt) whose rewards are all equal */
  zero_std_frac: number;
  /** mean sequence DCG@N of the rollouts (the same quantity for every algo) */
  dcg: number;
  loss: number;
  clip_low: number;
  clip_high: number;
  kl: number;
  entropy: number;
  /** mean generated tokens per rollout (EOS included) */
  completion_len: number;
  /** mean items per rollout (itemSegments' count of newline-separated items) */
  items: number;
  /** share of rollouts that ended with EOS */
  eos_rate: number;
  /** of the first N non-empty lines of all rollouts, the exact catalog share */
  in_catalog: number;
  lr: number;
  grad_norm: number;
  /** generated tokens / generation seconds */
  gen_tokens_per_s: number;
  /** (prompt+completion) tokens through the update per update second */
  train_tokens_per_s: number;
  generate_s: number;
  score_s: number;
  update_s: number;
  step_s: number;
  wall_s: number;
}

/**
 * Build the record of one step from its rollouts and its update.
 * @example Needs a step's rollouts and its update (rlStep's example builds both)
 * ```ts ignore
 * const row = rlStepRecord(step, { batch, outcome, lr, updateS, trainTokens, wallS });
 * row.rank_reward.length; // 20
 * ```
 */
export function rlStepRecord(
  step: number,
  parts: {
    batch: RolloutBatch;
    outcome: RlStepOutcome;
    lr: number;
    updateS: number;
    trainTokens: number;
    wallS: number;
  },
): RlStepRecord {
  const { batch, outcome } = parts;
  const b = batch.dims.b;
  const n = batch.segments.n;
  let inCat = 0, slots = 0, items = 0, dcg = 0;
  for (let r = 0; r < b; r++) {
    inCat += batch.scored.inCatalog[r];
    slots += batch.scored.slots[r];
    items += batch.segments.itemsEmitted[r];
    for (let k = 0; k < n; k++) dcg += batch.scored.hits[r * n + k] / Math.log2(k + 2) / b;
  }
  const rewards = outcome.advantages.rewards;
  const generateS = batch.generateMs / 1000, scoreS = batch.scoreMs / 1000;
  return {
    step,
    phase: "train",
    rank_reward: Array.from(outcome.advantages.hitRateByRank),
    reward_mean: rewards.reduce((s, x) => s + x, 0) / Math.max(1, rewards.length),
    reward_std: outcome.advantages.rewardStd,
    zero_std_frac: outcome.advantages.zeroStdFraction,
    dcg,
    loss: outcome.loss,
    clip_low: outcome.stats.clipLowFraction,
    clip_high: outcome.stats.clipHighFraction,
    kl: outcome.stats.meanKl,
    entropy: outcome.entropy,
    completion_len: batch.newTokens / Math.max(1, b),
    items: items / Math.max(1, b),
    eos_rate: batch.endedEos.reduce((s, x) => s + x, 0) / Math.max(1, b),
    in_catalog: slots === 0 ? 0 : inCat / slots,
    lr: parts.lr,
    grad_norm: outcome.gradNorms.at(-1) ?? NaN,
    gen_tokens_per_s: batch.newTokens / Math.max(1e-9, generateS),
    train_tokens_per_s: parts.trainTokens / Math.max(1e-9, parts.updateS),
    generate_s: generateS,
    score_s: scoreS,
    update_s: parts.updateS,
    step_s: generateS + scoreS + parts.updateS,
    wall_s: parts.wallS,
  };
}

/**
 * The record fields a one-line progress report shows (the per-rank array shortened to ranks 1, 5, 20).
 * @example
 * ```ts
 * const rank_reward = Array.from({ length: 20 }, (_, k) => 1 / (k + 1));
 * const row = { step: 3, phase: "train", rank_reward, loss: 0.2 } as RlStepRecord; // part of a record
 * const p = progressFields(row);
 * if (p.r1 !== 1 || p.r5 !== 0.2 || p.r20 !== 0.05) throw new Error("ranks 1, 5 and 20");
 * ```
 */
export function progressFields(row: RlStepRecord): Record<string, unknown> & { step: number } {
  return {
    step: row.step,
    loss: row.loss,
    dcg: row.dcg,
    r1: row.rank_reward[0],
    r5: row.rank_reward[4],
    r20: row.rank_reward[19],
    zero_std: row.zero_std_frac,
    clip: row.clip_low + row.clip_high,
    kl: row.kl,
    ent: row.entropy,
    len: row.completion_len,
    in_cat: row.in_catalog,
    gen_s: row.generate_s,
    upd_s: row.update_s,
  };
}
