// Next-token pretraining of the built-in base on the corpus: packed windows in a seeded epoch order, one
// sftStep per optimizer step (every token carries loss), held-out loss, atomic checkpoints with optimizer
// state, exact resume, and the final weights as an HF folder in BF16. Not in the paper.
import { join } from "node:path";
import { writeDirAtomic } from "../../data/atomic_write.ts";
import { useBackend } from "../../model/backend.ts";
import { writeCheckpointFiles } from "../../model/checkpoint.ts";
import { saveTokenizer } from "../../model/tokenizer/save.ts";
import { initWeights } from "../../model/weights.ts";
import { warmupStepsFor } from "../optim/schedule.ts";
import { evalLoss } from "../eval/evaluate.ts";
import { dataPosition, stepIndices, stepsPerEpoch } from "../run/data_order.ts";
import type { StepRow } from "../run/metrics_log.ts";
import { evalDue, runTrainingLoop, type TrainingLoopOptions } from "../run/training_loop.ts";
import { padBatch } from "../sft/loss.ts";
import { decoderLoss, nextTokenRow, scheduledSftStep } from "../sft/train_step.ts";
import { baseModelConfig, type PretrainConfig } from "./config.ts";
import { pretrainCorpus, streamWindow } from "./corpus_tokens.ts";

/** Options of {@link runPretrain}. */
export type RunPretrainOptions = TrainingLoopOptions<StepRow>;

/** What {@link runPretrain} returns. */
export interface PretrainResult {
  runDir: string;
  step: number;
  totalSteps: number;
  resumedFrom: number;
  stopped: boolean;
  /** the HF folder of the final weights (BF16), or null when stopped early */
  finalDir: string | null;
  /** last held-out loss (nats per token), NaN if none ran */
  valLoss: number;
  /** training tokens in the packed stream */
  trainTokens: number;
  wallSeconds: number;
}

/**
 * Run (or resume) pretraining as configured: runs/<name>/config.json, metrics.jsonl, checkpoints/ and,
 * after the last step, final/ (config.json, model.safetensors in BF16, tokenizer files).
 * @example A whole training run that writes its run folder (the smoke preset runs in tests/train/pretrain/)
 * ```ts ignore
 * const r = await runPretrain(
 *   parsePretrainConfig({ ...pretrainPreset("smoke"), run_dir: "runs/p" }),
 * );
 * ```
 */
export async function runPretrain(
  config: PretrainConfig,
  options: RunPretrainOptions = {},
): Promise<PretrainResult> {
  const t0 = performance.now();
  const log = options.log ?? ((l: string) => console.error(l));
  await useBackend(config.backend);
  const { tokFiles, tokenizer, sep, stream, windows: nWin, val, valTokens } = await pretrainCorpus(
    config,
  );
  const docs = config.corpus.documents;
  const perEpoch = stepsPerEpoch(nWin, config.batch_size);
  const totalSteps = config.max_steps ?? perEpoch;
  const warmupSteps = warmupStepsFor(config.warmup_ratio, totalSteps);
  const modelConfig = baseModelConfig(config, tokenizer);
  log(
    `pretrain: ${docs} documents → ${stream.length} tokens (${nWin} windows of ${config.seq_len}); ${totalSteps} steps of ${config.batch_size}`,
  );
  const lossFn = decoderLoss(modelConfig);
  let valLoss = NaN, finalDir: string | null = null;
  const loop = await runTrainingLoop<StepRow>({
    name: "pretrain",
    runDir: config.run_dir,
    record: {
      ...config,
      model_config: modelConfig,
      derived: {
        total_steps: totalSteps,
        warmup_steps: warmupSteps,
        steps_per_epoch: perEpoch,
        train_tokens: stream.length,
        train_windows: nWin,
        val_tokens: valTokens,
        val_windows: val.length,
        tokenizer_vocab: tokenizer.vocabSize,
        data_order:
          'epoch e: Fisher-Yates with createPrng(seed).fork("sft-data").fork(`epoch ${e}`)',
      },
    },
    totalSteps,
    checkpoints: config,
    modelConfig,
    tokenizer: tokFiles,
    freshWeights: () => initWeights(modelConfig, { seed: config.seed }),
  }, {
    trainerState: (step) => ({ seed: config.seed, epoch: dataPosition(step, perEpoch).epoch }),
    async step(step, ctx) {
      const ts = performance.now();
      const idx = stepIndices(step, { seed: config.seed, n: nWin, perStep: config.batch_size });
      const batch = padBatch(idx.map((j) => streamWindow(stream, j, config.seq_len)), sep);
      const out = await scheduledSftStep(ctx.params, ctx.optimizer, [batch], {
        step,
        totalSteps,
        warmupSteps,
        config,
        lossFn,
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
        const te = performance.now();
        valLoss = await evalLoss(ctx.params, val, {
          lossFn,
          batchSize: config.batch_size,
          padId: sep,
        });
        await ctx.record({
          step,
          phase: "eval",
          loss: valLoss,
          eval_s: (performance.now() - te) / 1000,
        });
      }
    },
    async afterLast(params) {
      finalDir = join(config.run_dir, "final");
      await writeDirAtomic(finalDir, async (tmp) => {
        await writeCheckpointFiles(tmp, params, modelConfig, { dtype: "BF16" });
        await saveTokenizer(tmp, tokFiles);
      });
    },
  }, options);
  return {
    runDir: config.run_dir,
    step: loop.step,
    totalSteps,
    resumedFrom: loop.resumedFrom,
    stopped: finalDir === null,
    finalDir,
    valLoss,
    trainTokens: stream.length,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
