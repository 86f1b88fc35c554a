// One RL update on a scored rollout batch (paper.md §4): advantages once, then for each of μ updates:
// logπθ by a taped forward → the objective (loss and d loss/d logπθ, fed to the decoder's backward pass by
// tf.customGrad) → global-norm clip → AdamW. GRPO, GSPO and Rank-GRPO differ only in what
// `rolloutAdvantages` and the objective compose (lib/train/rl/algo_config.ts ALGO_RECIPES).
// Where it departs from the paper: the loss normalisation is a setting (`loss_norm`: token = the authors'
// code, the default; rank = Eq. 6); length shaping (±0.1, paper.md §3) is added after the group
// normalisation for every algo; logπθold is the first update's logπθ (detached), not a separate
// sampling-time pass, and μ = 1 uses no logπθold at all (ratio exactly 1); a non-finite loss or gradient
// skips that update; the objective runs on the CPU (closed form, cpu_objective.ts) or in WGSL kernels on
// tfjs's webgpu device (gpu_objective.ts) behind one signature (objective.ts).
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../model/config.ts";
import { type AdamWState, adamwUpdate } from "../optim/adamw.ts";
import { clipScale, globalNorm } from "../optim/clip.ts";
import type { RlAlgoConfig } from "../rl/algo_config.ts";
import { type RolloutAdvantages, rolloutAdvantages } from "../rl/compose_loss.ts";
import type { PolicyLossStats } from "../rl/policy_loss.ts";
import { cpuObjective } from "./cpu_objective.ts";
import { gpuObjective } from "./gpu_objective.ts";
import type { UpdateResult } from "./objective.ts";
import { completionLogprobs, type PackedSequences } from "./policy_logprobs.ts";
import type { RolloutBatch } from "./rollouts.ts";

/** Optimiser settings of {@link rlStep}. */
export interface RlStepOptions {
  algo: RlAlgoConfig;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number;
  /** where the objective runs (objective_path.ts chooseObjectivePath) @default "cpu" */
  objective?: "cpu" | "gpu";
}

/** What one {@link rlStep} did (stats are means over its μ updates; entropy from the first). */
export interface RlStepOutcome {
  advantages: RolloutAdvantages;
  /** mean loss over the μ updates */
  loss: number;
  stats: PolicyLossStats;
  /** mean token entropy of the rollout policy on the completion tokens */
  entropy: number;
  /** global gradient norm before clipping, per update */
  gradNorms: number[];
  /** updates skipped for a non-finite loss or gradient */
  skipped: number;
}

/**
 * The RL step: rewards → advantages ({@link rolloutAdvantages}); for each of μ updates: logπθ by a
 * forward pass, the objective and its gradient w.r.t. logπθ (logπθold = the first update's values,
 * detached; μ = 1 passes none so the ratio is exactly 1), global-norm clip, AdamW. `refLogp` (B, T) is the
 * frozen SFT policy. `options.objective`: "cpu" = the closed form (cpu_objective.ts); "gpu" = the WGSL
 * kernels on tfjs's webgpu device (gpu_objective.ts).
 * @example One Rank-GRPO step of an untrained 1-layer policy on one prompt
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { catalogFromItems } from "../../catalog/catalog.ts";
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { prepareDecodeWeights } from "../../model/generate/decode_weights.ts";
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { adamwInit } from "../optim/adamw.ts";
 * import { rlAlgoConfig } from "../rl/algo_config.ts";
 * import { packSequences } from "./policy_logprobs.ts";
 * import { sampleRollouts, stepSeed, tokenNewlines } from "./rollouts.ts";
 * await tf.setBackend("cpu"); // this module's imports register wasm first; it needs an explicit init
 * const files = trainChatTokenizer(["Heat (1995)\nAlien (1979)\n"], { vocabSize: 300, seed: 0 });
 * const tokenizer = tokenizerFromJson(
 *   files.tokenizerJson as never,
 *   files.tokenizerConfigJson as never,
 * );
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: tokenizer.vocabSize,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const weights = initWeights(cfg, { seed: 0 });
 * const params = Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, tf.variable(t)]));
 * const catalog = catalogFromItems([
 *   { title: "Heat", year: 1995, meta: {} },
 *   { title: "Alien", year: 1979, meta: {} },
 * ]);
 * const records = [{
 *   prompt: [{ role: "user" as const, content: "more like Heat?" }],
 *   seen_titles: ["Heat"],
 *   groundtruth_with_release_year: [["Alien", "1979"]] as [string, string][],
 * }];
 * const batch = await sampleRollouts(prepareDecodeWeights(weights, cfg), records, {
 *   tokenizer,
 *   catalog,
 *   newlines: tokenNewlines(tokenizer),
 *   g: 2,
 *   maxNewTokens: 8,
 *   maxPromptTokens: 192,
 *   seed: stepSeed(0, 1),
 *   promptKeys: [0],
 * });
 * const packed = packSequences(batch.prompts, batch, {
 *   padId: tokenizer.padId ?? tokenizer.eosId,
 *   vocabSize: cfg.vocab_size,
 * });
 * const optimizer = adamwInit(params);
 * const opts = {
 *   algo: rlAlgoConfig({ algo: "rank-grpo", beta: 0 }), // β = 0: no reference log-probs needed
 *   lr: 1e-3,
 *   beta1: 0.9,
 *   beta2: 0.99,
 *   eps: 1e-8,
 *   weightDecay: 0,
 *   maxGradNorm: 1,
 * };
 * const out = await rlStep(params, cfg, { optimizer, batch, packed, refLogp: null }, opts);
 * if (out.gradNorms.length !== 1 || out.skipped !== 0 || !Number.isFinite(out.loss)) {
 *   throw new Error(JSON.stringify(out));
 * }
 * ```
 */
export async function rlStep(
  params: Record<string, tf.Variable>,
  config: ModelConfig,
  state: {
    optimizer: AdamWState;
    batch: RolloutBatch;
    packed: PackedSequences;
    refLogp: Float64Array | null;
  },
  options: RlStepOptions,
): Promise<RlStepOutcome> {
  const { batch, packed, optimizer } = state;
  const { algo, lr, beta1, beta2, eps, weightDecay } = options;
  const { dims, groupSize, segments } = batch;
  const advantages = rolloutAdvantages(algo, {
    dims,
    groupSize,
    hits: batch.scored.hits,
    segments,
  });
  const inputs = { params, config, batch, packed, refLogp: state.refLogp, algo, advantages };
  const objective = options.objective === "gpu" ? await gpuObjective(inputs) : cpuObjective(inputs);
  const names = Object.keys(params).sort();
  const updates: UpdateResult[] = [];
  const gradNorms: number[] = [];
  let skipped = 0;
  try {
    for (let k = 0; k < algo.mu; k++) {
      const want = await objective.prepare(k); // what the taped forward computes besides logπθ
      const { value, grads: byVar } = tf.variableGrads(
        () => objective.loss(completionLogprobs(params, config, packed, want)), // (K) → scalar
        names.map((n) => params[n]),
      );
      value.dispose();
      const grads = Object.fromEntries(names.map((n) => [n, byVar[params[n].name]]));
      try {
        const [update, norm] = await Promise.all([objective.read(), globalNorm(grads)]);
        updates.push(update);
        gradNorms.push(norm);
        if (!Number.isFinite(norm) || !Number.isFinite(update.loss)) {
          skipped++;
          continue;
        }
        const gradScale = clipScale(norm, options.maxGradNorm);
        adamwUpdate(params, grads, optimizer, { lr, beta1, beta2, eps, weightDecay, gradScale });
      } finally {
        tf.dispose(grads);
      }
    }
  } finally {
    objective.dispose();
  }
  return {
    advantages,
    loss: mean(updates.map((u) => u.loss)),
    stats: meanStats(updates.map((u) => u.stats)),
    entropy: updates.findLast((u) => u.entropy !== null)?.entropy ?? NaN,
    gradNorms,
    skipped,
  };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
}

function meanStats(all: readonly PolicyLossStats[]): PolicyLossStats {
  const keys = Object.keys(all[0]) as (keyof PolicyLossStats)[];
  return Object.fromEntries(
    keys.map((k) => [k, mean(all.map((s) => s[k]))]),
  ) as unknown as PolicyLossStats;
}
