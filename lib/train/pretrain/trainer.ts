// Next-token pretraining of the built-in base on the corpus: packed windows in a seeded epoch order, one
// sftStep per optimizer step (every token carries loss), held-out loss, atomic checkpoints with optimizer
// state, exact resume, and the final weights as an HF folder in BF16. Not in the paper.
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { corpusContext } from "../../data/world/corpus.ts";
import { useBackend } from "../../model/backend.ts";
import { writeCheckpointFiles } from "../../model/checkpoint.ts";
import { type ModelConfig, parseModelConfig, presetConfig } from "../../model/config.ts";
import { saveTokenizer } from "../../model/tokenizer/save.ts";
import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
import { type DecoderWeights, initWeights } from "../../model/weights.ts";
import { writeDirAtomic } from "../../data/atomic_write.ts";
import { adamwInit, type AdamWState, disposeAdamW } from "../optim/adamw.ts";
import { cosineWithWarmup, warmupStepsFor } from "../optim/schedule.ts";
import { appendStepRow, type StepRow, truncateStepRows } from "../run/metrics_log.ts";
import { prepareRunFolder } from "../run/run_folder.ts";
import {
  checkpointDir,
  checkpointSteps,
  loadTrainCheckpoint,
  pruneCheckpoints,
  saveTrainCheckpoint,
} from "../run/train_checkpoint.ts";
import { dataPosition, stepIndices, stepsPerEpoch } from "../run/data_order.ts";
import { evalLoss } from "../eval/evaluate.ts";
import { padBatch } from "../sft/loss.ts";
import { withPlainMatMulGrad } from "../../model/plain_matmul_grad.ts";
import { decoderLoss, sftStep } from "../sft/train_step.ts";
import type { PretrainConfig } from "./config.ts";
import { packDocuments, streamWindow, trainBaseTokenizer, windowCount } from "./corpus_tokens.ts";

/** Options of {@link runPretrain}. */
export interface RunPretrainOptions {
  /** continue from the run's last checkpoint (metrics rows after it are removed) @default false */
  resume?: boolean;
  /** called with every StepRecord @default none */
  onStep?: (record: StepRow) => Promise<void>;
  /** return right after this step is recorded (simulates a crash; for tests) @default never */
  stopAfterStep?: number;
  /** log lines @default console.error */
  log?: (line: string) => void;
}

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
 * The base's decoder config: the builtin presets' Qwen2 layout with `config.model`'s dims and the
 * tokenizer's vocabulary and special ids.
 * @example baseModelConfig(cfg, { vocabSize: 4096, eosId: 4095, padId: 4093, bosId: null });
 */
export function baseModelConfig(
  config: PretrainConfig,
  tok: { vocabSize: number; eosId: number; padId: number | null; bosId: number | null },
): ModelConfig {
  return parseModelConfig({
    ...presetConfig("builtin-small"),
    ...config.model,
    vocab_size: tok.vocabSize,
    eos_token_id: tok.eosId,
    pad_token_id: tok.padId,
    bos_token_id: tok.bosId,
  }, { source: "pretrain model" });
}

function toVariables(weights: DecoderWeights): Record<string, tf.Variable> {
  const vars = Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, tf.variable(t)]));
  Object.values(weights).forEach((t) => t.dispose());
  return vars;
}

/**
 * Run (or resume) pretraining as configured: runs/<name>/config.json, metrics.jsonl, checkpoints/ and,
 * after the last step, final/ (config.json, model.safetensors in BF16, tokenizer files).
 * @example
 * const r = await runPretrain(parsePretrainConfig({ ...pretrainPreset("smoke"), run_dir: "runs/p" }));
 */
export async function runPretrain(
  config: PretrainConfig,
  options: RunPretrainOptions = {},
): Promise<PretrainResult> {
  const t0 = performance.now();
  const log = options.log ?? ((l: string) => console.error(l));
  await useBackend(config.backend);
  const ctx = await corpusContext(config.corpus);
  const tokFiles = trainBaseTokenizer(ctx, {
    vocabSize: config.vocab_size,
    documents: Math.min(config.tokenizer_documents, config.corpus.documents),
    seed: config.seed,
  });
  const tokenizer = tokenizerFromJson(
    tokFiles.tokenizerJson as never,
    tokFiles.tokenizerConfigJson as never,
    { source: "base tokenizer" },
  );
  const sep = tokenizer.padId ?? tokenizer.eosId; // <|endoftext|> between documents
  const docs = config.corpus.documents;
  const stream = packDocuments(ctx, tokenizer, 0, docs, sep); // (n,)
  const valStream = packDocuments(ctx, tokenizer, docs, docs + config.val_documents, sep);
  const nWin = windowCount(stream.length, config.seq_len);
  const val = Array.from(
    { length: windowCount(valStream.length, config.seq_len) },
    (_, j) => streamWindow(valStream, j, config.seq_len),
  );
  if (nWin < config.batch_size) {
    throw new Error(
      `pretrain: the corpus packs into ${nWin} windows of ${config.seq_len}, fewer than batch_size ${config.batch_size}: raise corpus.documents`,
    );
  }
  const perEpoch = stepsPerEpoch(nWin, config.batch_size);
  const totalSteps = config.max_steps ?? perEpoch;
  const warmupSteps = warmupStepsFor(config.warmup_ratio, totalSteps);
  const modelConfig = baseModelConfig(config, tokenizer);
  await using _runLock = await prepareRunFolder(config.run_dir, { // one writer; freed on return
    ...config,
    model_config: modelConfig,
    derived: {
      total_steps: totalSteps,
      warmup_steps: warmupSteps,
      steps_per_epoch: perEpoch,
      train_tokens: stream.length,
      train_windows: nWin,
      val_tokens: valStream.length,
      val_windows: val.length,
      tokenizer_vocab: tokenizer.vocabSize,
      data_order: 'epoch e: Fisher-Yates with createPrng(seed).fork("sft-data").fork(`epoch ${e}`)',
    },
  }, { resume: options.resume });
  log(
    `pretrain: ${docs} documents → ${stream.length} tokens (${nWin} windows of ${config.seq_len}); ${totalSteps} steps of ${config.batch_size}`,
  );
  const metricsPath = `${config.run_dir}/metrics.jsonl`;
  let startStep = 0, badSteps = 0, weights: DecoderWeights, optimizer: AdamWState | null = null;
  const steps = options.resume ? await checkpointSteps(config.run_dir) : [];
  if (steps.length > 0) {
    const ckpt = await loadTrainCheckpoint(checkpointDir(config.run_dir, steps.at(-1)!));
    startStep = ckpt.step;
    badSteps = Number(ckpt.trainerState.bad_steps ?? 0);
    weights = ckpt.weights;
    optimizer = ckpt.optimizer;
    log(`pretrain: resuming ${config.run_dir} from step ${startStep}`);
  } else {
    weights = initWeights(modelConfig, { seed: config.seed });
  }
  if (options.resume) {
    const cut = await truncateStepRows(metricsPath, startStep);
    if (cut > 0) log(`pretrain: removed ${cut} metrics rows after step ${startStep}`);
  }
  const params = toVariables(weights);
  optimizer ??= adamwInit(params);
  const lossFn = decoderLoss(modelConfig);
  const record = async (row: StepRow) => {
    await appendStepRow(metricsPath, row);
    await options.onStep?.(row);
  };
  let step = startStep, valLoss = NaN, finalDir: string | null = null;
  try {
    await withPlainMatMulGrad(async () => {
      for (step = startStep + 1; step <= totalSteps; step++) {
        const ts = performance.now();
        const idx = stepIndices(step, { seed: config.seed, n: nWin, perStep: config.batch_size });
        const batch = padBatch(idx.map((j) => streamWindow(stream, j, config.seq_len)), sep);
        const lr = cosineWithWarmup(step, {
          peakLr: config.lr,
          totalSteps,
          warmupSteps,
          minLrRatio: config.min_lr_ratio,
        });
        const out = await sftStep(params, optimizer!, [batch], {
          lossFn,
          lr,
          beta1: config.beta1,
          beta2: config.beta2,
          eps: config.eps,
          weightDecay: config.weight_decay,
          maxGradNorm: config.max_grad_norm,
        });
        badSteps = out.skipped ? badSteps + 1 : 0;
        const stepS = (performance.now() - ts) / 1000;
        await record({
          step,
          phase: out.skipped ? "skipped" : "train",
          epoch: dataPosition(step, perEpoch).epoch,
          loss: out.loss,
          lr,
          grad_norm: out.gradNorm,
          tokens_per_s: out.inputTokens / stepS,
          step_s: stepS,
          wall_s: (performance.now() - t0) / 1000,
        });
        if (out.skipped && badSteps >= config.max_bad_steps) {
          throw new Error(
            `pretrain: ${badSteps} consecutive non-finite steps (last: step ${step}, loss ${out.loss}); stopping (max_bad_steps ${config.max_bad_steps})`,
          );
        }
        if ((config.eval_every > 0 && step % config.eval_every === 0) || step === totalSteps) {
          const te = performance.now();
          valLoss = await evalLoss(params, val, {
            lossFn,
            batchSize: config.batch_size,
            padId: sep,
          });
          await record({
            step,
            phase: "eval",
            loss: valLoss,
            eval_s: (performance.now() - te) / 1000,
          });
        }
        if (step % config.save_every === 0 || step === totalSteps) {
          const pos = dataPosition(step, perEpoch);
          await saveTrainCheckpoint(config.run_dir, {
            step,
            weights: params,
            modelConfig,
            tokenizer: tokFiles,
            optimizer: optimizer!,
            trainerState: { seed: config.seed, epoch: pos.epoch, bad_steps: badSteps },
          });
          await pruneCheckpoints(config.run_dir, config.keep_checkpoints);
        }
        if (options.stopAfterStep === step) return;
      }
      step = totalSteps;
      finalDir = join(config.run_dir, "final");
      await writeDirAtomic(finalDir, async (tmp) => {
        await writeCheckpointFiles(tmp, params, modelConfig, { dtype: "BF16" });
        await saveTokenizer(tmp, tokFiles);
      });
    });
  } finally {
    disposeAdamW(optimizer!);
    Object.values(params).forEach((v) => v.dispose());
  }
  return {
    runDir: config.run_dir,
    step: Math.min(step, totalSteps),
    totalSteps,
    resumedFrom: startStep,
    stopped: finalDir === null,
    finalDir,
    valLoss,
    trainTokens: stream.length,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
