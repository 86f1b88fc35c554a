// The update objective's one signature, shared by the CPU closed form (cpu_objective.ts) and the WGSL
// kernels (gpu_objective.ts): rlStep calls it the same way whichever path runs. Not in the paper.
import type * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../model/config.ts";
import type { RlAlgoConfig } from "../rl/algo_config.ts";
import type { RolloutAdvantages } from "../rl/compose_loss.ts";
import type { PolicyLossStats } from "../rl/policy_loss.ts";
import type { CompletionLogprobs, PackedSequences } from "./policy_logprobs.ts";
import type { RolloutBatch } from "./rollouts.ts";

/** What an objective is built from: the policy, the step's batch and advantages, the algorithm. */
export interface ObjectiveInputs {
  params: Record<string, tf.Variable>;
  config: ModelConfig;
  batch: RolloutBatch;
  packed: PackedSequences;
  /** (B, T) frozen SFT log-probs; null when β = 0 */
  refLogp: Float64Array | null;
  algo: RlAlgoConfig;
  advantages: RolloutAdvantages;
}

/** What one update's objective gave: loss, batch stats, and (first update) the rollout entropy. */
export interface UpdateResult {
  loss: number;
  stats: PolicyLossStats;
  /** mean token entropy on the completion tokens; null when not computed this update */
  entropy: number | null;
}

/**
 * The policy objective of one step's μ updates. Per update k: `prepare(k)` (says what the taped forward
 * must compute), then inside tf.variableGrads `loss(logprobs)` = the scalar loss whose gradient w.r.t.
 * the log-probs is the objective's d loss/d logπθ, then `read()` its values. logπθold is the first
 * update's logπθ, detached (μ > 1).
 * @example How rlStep drives it (needs a step's rollouts, policy and advantages; see rlStep's example)
 * ```ts ignore
 * const want = await objective.prepare(k);
 * const { grads } = tf.variableGrads(() =>
 *   objective.loss(completionLogprobs(params, cfg, packed, want))
 * );
 * const { loss, stats } = await objective.read();
 * ```
 */
export interface Objective {
  prepare(k: number): Promise<{ entropy: boolean }>;
  loss(logprobs: CompletionLogprobs): tf.Scalar;
  read(): Promise<UpdateResult>;
  dispose(): void;
}

/**
 * Mean of `values` over the positions where `mask` ≠ 0 (NaN when none).
 * @example
 * ```ts
 * if (maskedMean(Float64Array.of(1, 3, 5), Uint8Array.of(1, 1, 0)) !== 2) {
 *   throw new Error("(1 + 3) / 2");
 * }
 * if (!Number.isNaN(maskedMean(Float64Array.of(1), Uint8Array.of(0)))) {
 *   throw new Error("none: NaN");
 * }
 * ```
 */
export function maskedMean(values: Float64Array, mask: Uint8Array): number {
  let s = 0, c = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask[i] !== 0) {
      s += values[i];
      c++;
    }
  }
  return c === 0 ? NaN : s / c;
}
