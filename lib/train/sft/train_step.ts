// One SFT optimizer step: token-mean completion loss over micro-batches (gradient accumulation), one
// global-norm clip, one AdamW update; a non-finite loss or gradient norm skips the update (NaN/Inf guard).
// Logits are formed only at loss-carrying positions (computePaths().fullLogits: at all, for A/B timing).
// Optional item-level unlikelihood term (lib/train/sft/unlikelihood.ts; beyond the paper, off by default).
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../model/config.ts";
import { forward, forwardRows, fullLogitsPath } from "../../model/decoder.ts";
import {
  type AdamWOptions,
  type AdamWRunSettings,
  adamwSettings,
  type AdamWState,
  adamwUpdate,
} from "../optim/adamw.ts";
import { cosineWithWarmup } from "../optim/schedule.ts";
import { clipScale, globalNorm } from "../optim/clip.ts";
import { lossRows, type PaddedBatch, weightedNll } from "./loss.ts";
import { batchNegatives, unlikelihoodSum } from "./unlikelihood.ts";

/**
 * Receives a named sum term of a micro-loss (e.g. "ce_loss", "ul_loss": Σ over the micro-batch, not yet
 * divided by tokens); the value is disposed when the loss's tidy ends unless the sink keeps it.
 */
export type TermSink = (name: string, value: tf.Scalar) => void;

/** Σ loss of one micro-batch under `params` (a scalar); optional parts go to `terms`. */
export type MicroLoss = (
  params: Record<string, tf.Variable>,
  batch: PaddedBatch,
  terms?: TermSink,
) => tf.Scalar;

/** Options of {@link decoderLoss}. */
export interface DecoderLossOptions {
  /**
   * Item-level unlikelihood: loss = Σ NLL + weight · Σ UL (lib/train/sft/unlikelihood.ts); terms
   * "ce_loss" and "ul_loss" (unweighted) go to the sink. Weight 0 is plain NLL, bit for bit.
   * @default none
   */
  unlikelihood?: { weight: number; closesItem: (id: number) => boolean };
}

/**
 * The decoder's completion NLL: logits at the loss-carrying positions only ({@link lossRows},
 * forwardRows), then {@link weightedNll}; a batch without such positions, or computePaths().fullLogits,
 * takes logits everywhere (same value and gradient up to float rounding). With `unlikelihood` (weight > 0)
 * the item-level UL term is added from the same loss-row logits.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { padBatch } from "./loss.ts";
 * const modelConfig = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: 16,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const w = initWeights(modelConfig, { seed: 0 });
 * const params = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, tf.variable(t)]));
 * const batch = padBatch([{ ids: [5, 1, 9, 1, 0], promptLength: 1, where: "a" }], 0);
 * const lossFn = decoderLoss(modelConfig);
 * const ulLossFn = decoderLoss(modelConfig, {
 *   unlikelihood: { weight: 0.5, closesItem: (id) => id === 9 },
 * });
 * const ce = lossFn(params, batch).dataSync()[0]; // Σ NLL over the 4 completion tokens
 * const withUl = ulLossFn(params, batch).dataSync()[0];
 * if (!(Math.abs(ce / 4 - Math.log(16)) < 0.1 && withUl > ce)) throw new Error(`${ce} ${withUl}`);
 * ```
 */
export function decoderLoss(config: ModelConfig, options: DecoderLossOptions = {}): MicroLoss {
  const ul = options.unlikelihood;
  if (ul !== undefined && !(Number.isFinite(ul.weight) && ul.weight >= 0)) {
    throw new Error(
      `lib/train/sft/train_step.ts: decoderLoss: unlikelihood weight ${ul.weight}, expected a finite number ≥ 0`,
    );
  }
  if (ul === undefined || ul.weight === 0) {
    return (params, batch) =>
      tf.tidy(() => {
        const sel = lossRows(batch);
        if (sel.rows.length === 0 || fullLogitsPath()) {
          const { logits } = forward(params, config, batch.inputIds); // (B, T, V)
          return weightedNll(logits, batch.targets, batch.weights);
        }
        const logits = forwardRows(params, config, batch.inputIds, sel.rows); // (M, V)
        return weightedNll(logits, sel.targets, sel.weights);
      });
  }
  return (params, batch, terms) =>
    tf.tidy(() => {
      const sel = lossRows(batch);
      if (sel.rows.length === 0) {
        const { logits } = forward(params, config, batch.inputIds); // (B, T, V)
        return weightedNll(logits, batch.targets, batch.weights); // no loss rows: no UL either
      }
      const logits = forwardRows(params, config, batch.inputIds, sel.rows); // (M, V)
      const nll = weightedNll(logits, sel.targets, sel.weights);
      const unlikely = unlikelihoodSum(logits, batchNegatives(batch, ul.closesItem));
      terms?.("ce_loss", nll);
      terms?.("ul_loss", unlikely);
      return tf.add(nll, tf.mul(unlikely, ul.weight)) as tf.Scalar;
    });
}

/** Result of {@link sftStep}. */
export interface StepOutcome {
  /** token-mean loss over the step's completion tokens (NaN/Infinity when skipped for it) */
  loss: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  /** completion tokens the loss averaged over */
  lossTokens: number;
  /** non-padding input tokens processed */
  inputTokens: number;
  /** true when the loss or gradient was non-finite and no update was applied */
  skipped: boolean;
  /** token-means of the named terms the loss reported (e.g. ce_loss, ul_loss); {} when none */
  terms: Record<string, number>;
}

/**
 * Accumulate gradients of Σ NLL / (completion tokens of the whole step) over `microBatches`, then clip to
 * `maxGradNorm` and apply AdamW — unless the loss or the norm is not finite, in which case nothing changes.
 * Every intermediate tensor is disposed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { adamwInit } from "../optim/adamw.ts";
 * import { padBatch } from "./loss.ts";
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: 16,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const w = initWeights(cfg, { seed: 0 });
 * const params = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, tf.variable(t)]));
 * const opt = adamwInit(params);
 * const batch = padBatch([{ ids: [5, 1, 9, 1, 0], promptLength: 1, where: "a" }], 0);
 * const out = await sftStep(params, opt, [batch], {
 *   lossFn: decoderLoss(cfg),
 *   lr: 1e-3,
 *   maxGradNorm: 1,
 * });
 * if (out.skipped || out.lossTokens !== 4 || opt.step !== 1) throw new Error(JSON.stringify(out));
 * ```
 */
export async function sftStep(
  params: Record<string, tf.Variable>,
  optimizer: AdamWState,
  microBatches: readonly PaddedBatch[],
  options: Omit<AdamWOptions, "gradScale"> & { lossFn: MicroLoss; maxGradNorm: number },
): Promise<StepOutcome> {
  const lossTokens = microBatches.reduce((s, b) => s + b.lossTokens, 0);
  const inputTokens = microBatches.reduce((s, b) => s + b.inputTokens, 0);
  if (lossTokens === 0) {
    throw new Error("lib/train/sft/train_step.ts: sftStep: no completion tokens in the step");
  }
  const names = Object.keys(params).sort();
  const varList = names.map((n) => params[n]);
  let acc: Record<string, tf.Tensor> | null = null;
  let lossSum = 0;
  const kept: [string, tf.Scalar][] = []; // terms reported by the loss, read after each micro-batch
  const terms: Record<string, number> = {};
  const sink: TermSink = (name, value) => kept.push([name, tf.keep(value)]);
  try {
    for (const batch of microBatches) {
      const { value, grads: byVarName } = tf.variableGrads(
        () => tf.tidy(() => tf.div(options.lossFn(params, batch, sink), lossTokens) as tf.Scalar),
        varList,
      );
      for (const [name, t] of kept.splice(0)) {
        terms[name] = (terms[name] ?? 0) + (await t.data())[0] / lossTokens;
        t.dispose();
      }
      const grads = Object.fromEntries(names.map((n) => [n, byVarName[params[n].name]])); // tfjs keys by variable name
      lossSum += (await value.data())[0];
      value.dispose();
      if (acc === null) acc = grads;
      else {
        const prev: Record<string, tf.Tensor> = acc;
        acc = Object.fromEntries(names.map((n) => [n, tf.add(prev[n], grads[n])]));
        tf.dispose(prev);
        tf.dispose(grads);
      }
    }
    const gradNorm = await globalNorm(acc!);
    const outcome = { loss: lossSum, gradNorm, lossTokens, inputTokens, terms };
    if (!Number.isFinite(lossSum) || !Number.isFinite(gradNorm)) {
      return { ...outcome, skipped: true };
    }
    adamwUpdate(params, acc!, optimizer, {
      ...options,
      gradScale: clipScale(gradNorm, options.maxGradNorm),
    });
    return { ...outcome, skipped: false };
  } finally {
    if (acc !== null) tf.dispose(acc);
    tf.dispose(kept.map(([, t]) => t));
  }
}

/** The schedule and optimiser keys of an SFT or pretraining run config (snake_case). */
export interface SftStepSettings extends AdamWRunSettings {
  /** peak learning rate */
  lr: number;
  /** cosine floor as a fraction of lr */
  min_lr_ratio: number;
}

/**
 * {@link sftStep} as step `step` of a run: the learning rate from the cosine schedule with warm-up
 * (`config.lr`, `config.min_lr_ratio`, `totalSteps`, `warmupSteps`), AdamW and clipping from `config`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { adamwInit } from "../optim/adamw.ts";
 * import { cosineWithWarmup } from "../optim/schedule.ts";
 * import { padBatch } from "./loss.ts";
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: 16,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const w = initWeights(cfg, { seed: 0 });
 * const params = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, tf.variable(t)]));
 * const opt = adamwInit(params);
 * const batch = padBatch([{ ids: [5, 1, 9, 1, 0], promptLength: 1, where: "a" }], 0);
 * const config = {
 *   lr: 1e-3,
 *   min_lr_ratio: 0.1,
 *   beta1: 0.9,
 *   beta2: 0.99,
 *   eps: 1e-8,
 *   weight_decay: 0,
 *   max_grad_norm: 1,
 * };
 * const out = await scheduledSftStep(params, opt, [batch], {
 *   step: 3,
 *   totalSteps: 10,
 *   warmupSteps: 1,
 *   config,
 *   lossFn: decoderLoss(cfg),
 * });
 * const want = cosineWithWarmup(3, {
 *   peakLr: 1e-3,
 *   totalSteps: 10,
 *   warmupSteps: 1,
 *   minLrRatio: 0.1,
 * });
 * if (out.lr !== want) throw new Error(`the rate this step used: ${out.lr}`);
 * ```
 */
export async function scheduledSftStep(
  params: Record<string, tf.Variable>,
  optimizer: AdamWState,
  microBatches: readonly PaddedBatch[],
  at: {
    step: number;
    totalSteps: number;
    warmupSteps: number;
    config: SftStepSettings;
    lossFn: MicroLoss;
  },
): Promise<StepOutcome & { lr: number }> {
  const lr = cosineWithWarmup(at.step, {
    peakLr: at.config.lr,
    totalSteps: at.totalSteps,
    warmupSteps: at.warmupSteps,
    minLrRatio: at.config.min_lr_ratio,
  });
  const out = await sftStep(params, optimizer, microBatches, {
    lossFn: at.lossFn,
    lr,
    ...adamwSettings(at.config),
  });
  return { ...out, lr };
}

/**
 * The metrics row of a next-token training step (SFT or pretraining): phase "skipped" when the update
 * was, the loss and its named terms, the rate, gradient norm, token counts and timings.
 * @example
 * ```ts
 * const out = { loss: 2, gradNorm: 1, lossTokens: 10, inputTokens: 40, skipped: false, terms: {}, lr: 1e-3 };
 * const row = nextTokenRow(3, out, { epoch: 0, stepS: 2, wallS: 9 });
 * if (row.tokens_per_s !== 20 || row.phase !== "train") throw new Error(JSON.stringify(row));
 * ```
 */
export function nextTokenRow(
  step: number,
  out: StepOutcome & { lr: number },
  at: { epoch: number; stepS: number; wallS: number },
): { step: number; phase: string; [field: string]: unknown } {
  return {
    step,
    phase: out.skipped ? "skipped" : "train",
    epoch: at.epoch,
    loss: out.loss,
    ...out.terms, // ce_loss, ul_loss (token means) when the loss reports them
    lr: out.lr,
    grad_norm: out.gradNorm,
    loss_tokens: out.lossTokens,
    tokens_per_s: out.inputTokens / at.stepS,
    step_s: at.stepS,
    wall_s: at.wallS,
  };
}
