// The SFT loop: data order from (seed, step), one sftStep per optimizer step, StepRecords to
// runs/<name>/metrics.jsonl and onStep, periodic eval and atomic checkpoints; resumes exactly from the last one.
// With unlikelihood_weight > 0 training adds the item-level UL term (val loss stays plain CE).
import { useBackend } from "../../model/backend.ts";
import { loadCheckpoint } from "../../model/checkpoint.ts";
import type { ModelConfig } from "../../model/config.ts";
import { initWeights } from "../../model/weights.ts";
import { warmupStepsFor } from "../optim/schedule.ts";
import { dataPosition, stepIndices, stepsPerEpoch } from "../run/data_order.ts";
import type { StepRow } from "../run/metrics_log.ts";
import { evalDue, runTrainingLoop, type TrainingLoopOptions } from "../run/training_loop.ts";
import type { SftConfig } from "./config.ts";
import { padBatch } from "./loss.ts";
import { evaluateSft, loadSftInputs } from "./run_inputs.ts";
import { decoderLoss, type MicroLoss, nextTokenRow, scheduledSftStep } from "./train_step.ts";
import { itemCloser } from "./unlikelihood.ts";

/** Options of {@link runSft}: the loop's (resume, onStep, stopAfterStep, log) and the loss. */
export interface RunSftOptions extends TrainingLoopOptions<StepRow> {
  /**
   * replaces the decoder loss of training and val (tests inject NaN here; unlikelihood_weight is then not
   * applied) @default decoderLoss(modelConfig)
   */
  lossFn?: (config: ModelConfig) => MicroLoss;
}

/** What {@link runSft} returns. */
export interface SftResult {
  runDir: string;
  /** last completed step */
  step: number;
  totalSteps: number;
  /** step resumed from (0 for a fresh run) */
  resumedFrom: number;
  /** true when stopped early by stopAfterStep */
  stopped: boolean;
  /** the last eval record, if any ran */
  lastEval: StepRow | null;
  wallSeconds: number;
}

/**
 * Run (or resume) SFT as configured. Writes runs/<name>/config.json, metrics.jsonl and checkpoints.
 *
 * @example A whole training run on data files, writing its run folder (tests/train/sft/ runs the smoke)
 * ```ts ignore
 * const cfg = parseSftConfig({
 *   ...sftPreset("smoke"),
 *   data,
 *   val,
 *   catalog,
 *   tokenizer,
 *   run_dir: "runs/smoke",
 * });
 * const result = await runSft(cfg, { onStep: reporter({ label: "sft" }) });
 * ```
 */
export async function runSft(config: SftConfig, options: RunSftOptions = {}): Promise<SftResult> {
  const t0 = performance.now();
  await useBackend(config.backend);
  const inputs = await loadSftInputs(config);
  const { tokenizer, tokFiles, train, val, valRows, modelConfig } = inputs;
  const padId = tokenizer.padId ?? tokenizer.eosId;
  const perStep = config.batch_size * config.grad_accum;
  const perEpoch = stepsPerEpoch(train.examples.length, perStep);
  const totalSteps = config.max_steps ?? Math.ceil(config.epochs * perEpoch);
  const warmupSteps = warmupStepsFor(config.warmup_ratio, totalSteps);
  const lossFn = (options.lossFn ?? decoderLoss)(modelConfig);
  const trainLossFn = options.lossFn === undefined && config.unlikelihood_weight > 0
    ? decoderLoss(modelConfig, {
      unlikelihood: { weight: config.unlikelihood_weight, closesItem: itemCloser(tokenizer) },
    })
    : lossFn;
  let lastEval: StepRow | null = null;
  const loop = await runTrainingLoop<StepRow>({
    name: "sft",
    runDir: config.run_dir,
    record: {
      ...config,
      model_config: modelConfig,
      derived: {
        total_steps: totalSteps,
        warmup_steps: warmupSteps,
        steps_per_epoch: perEpoch,
        train_examples: train.examples.length,
        train_length_stats: train.stats,
        val_examples: val.examples.length,
        val_rows: valRows.length,
        tokenizer_vocab: tokenizer.vocabSize,
        data_order:
          'epoch e: Fisher-Yates with createPrng(seed).fork("sft-data").fork(`epoch ${e}`)',
      },
    },
    totalSteps,
    checkpoints: config,
    modelConfig,
    tokenizer: tokFiles,
    freshWeights: async () =>
      config.init !== null
        ? (await loadCheckpoint(config.init)).weights
        : initWeights(modelConfig, { seed: config.seed }),
  }, {
    trainerState: (step) => {
      const pos = dataPosition(step, perEpoch);
      return {
        seed: config.seed,
        epoch: pos.epoch,
        batch_in_epoch: pos.batchInEpoch,
      };
    },
    async step(step, ctx) {
      const ts = performance.now();
      const idx = stepIndices(step, { seed: config.seed, n: train.examples.length, perStep });
      const micro = [];
      for (let i = 0; i < idx.length; i += config.batch_size) {
        micro.push(
          padBatch(idx.slice(i, i + config.batch_size).map((j) => train.examples[j]), padId),
        );
      }
      const out = await scheduledSftStep(ctx.params, ctx.optimizer, micro, {
        step,
        totalSteps,
        warmupSteps,
        config,
        lossFn: trainLossFn,
      });
      const stepS = (performance.now() - ts) / 1000;
      await ctx.record(nextTokenRow(step, out, {
        epoch: dataPosition(step, perEpoch).epoch,
        stepS,
        wallS: (performance.now() - t0) / 1000,
      }));
      return out;
    },
    async afterStep(step, ctx) {
      if (evalDue(step, config.eval_every, totalSteps)) {
        lastEval = await evaluateSft(step, ctx.params, inputs, config, lossFn);
        await ctx.record(lastEval);
      }
    },
  }, options);
  return {
    runDir: config.run_dir,
    step: loop.step,
    totalSteps,
    resumedFrom: loop.resumedFrom,
    stopped: options.stopAfterStep !== undefined && options.stopAfterStep < totalSteps,
    lastEval,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
