// The SFT loop: data order from (seed, step), one sftStep per optimizer step, StepRecords to
// runs/<name>/metrics.jsonl and onStep, periodic eval and atomic checkpoints; resumes exactly from the last one.
// With unlikelihood_weight > 0 training adds the item-level UL term (val loss stays plain CE).
import type * as tf from "@tensorflow/tfjs";
import { loadCatalog } from "../../catalog/catalog.ts";
import { type LocatedRecord, readRecords } from "../../data/read_records.ts";
import { useBackend } from "../../model/backend.ts";
import { loadCheckpoint } from "../../model/checkpoint.ts";
import { type ModelConfig, readModelConfig } from "../../model/config.ts";
import {
  assertSameVocabulary,
  loadTokenizer,
  readTokenizerFiles,
} from "../../model/tokenizer/load.ts";
import { initWeights } from "../../model/weights.ts";
import { adamwSettings } from "../optim/adamw.ts";
import { cosineWithWarmup, warmupStepsFor } from "../optim/schedule.ts";
import { dataPosition, stepIndices, stepsPerEpoch } from "../run/data_order.ts";
import type { StepRow } from "../run/metrics_log.ts";
import { runTrainingLoop } from "../run/training_loop.ts";
import { evalGeneration, evalLoss } from "../eval/evaluate.ts";
import type { SftConfig } from "./config.ts";
import { buildExamples } from "./examples.ts";
import { padBatch } from "./loss.ts";
import { sftModelConfig } from "./presets.ts";
import { decoderLoss, type MicroLoss, sftStep } from "./train_step.ts";
import { itemCloser } from "./unlikelihood.ts";

/** Options of {@link runSft}. */
export interface RunSftOptions {
  /** continue from the run's last checkpoint (metrics rows after it are removed) @default false */
  resume?: boolean;
  /** called with every StepRecord (e.g. lib/notebook reporter) @default none */
  onStep?: (record: StepRow) => Promise<void>;
  /** return right after this step is recorded (simulates a crash; for tests) @default never */
  stopAfterStep?: number;
  /**
   * replaces the decoder loss of training and val (tests inject NaN here; unlikelihood_weight is then not
   * applied) @default decoderLoss(modelConfig)
   */
  lossFn?: (config: ModelConfig) => MicroLoss;
  /** log lines (skipped steps, checkpoints) @default console.error */
  log?: (line: string) => void;
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

async function collect(path: string): Promise<LocatedRecord[]> {
  const out: LocatedRecord[] = [];
  for await (const r of readRecords(path)) out.push(r);
  return out;
}

/**
 * Run (or resume) SFT as configured. Writes runs/<name>/config.json, metrics.jsonl and checkpoints.
 *
 * @example
 * ```ts
 * const cfg = parseSftConfig({ ...sftPreset("smoke"), data, val, catalog, tokenizer, run_dir: "runs/smoke" });
 * const result = await runSft(cfg, { onStep: reporter({ label: "sft" }) });
 * ```
 */
export async function runSft(config: SftConfig, options: RunSftOptions = {}): Promise<SftResult> {
  const t0 = performance.now();
  await useBackend(config.backend);
  const tokenizer = await loadTokenizer(config.tokenizer);
  const tokFiles = await readTokenizerFiles(config.tokenizer);
  const catalog = await loadCatalog(config.catalog);
  const train = buildExamples(await collect(config.data), tokenizer, {
    maxSeqLen: config.max_seq_len,
  });
  const valRows = await collect(config.val);
  const val = buildExamples(valRows.filter((r) => r.record.completion !== undefined), tokenizer, {
    maxSeqLen: config.max_seq_len,
  });
  if (train.examples.length === 0) throw new Error(`${config.data}: no usable training records`);
  const padId = tokenizer.padId ?? tokenizer.eosId;
  const perStep = config.batch_size * config.grad_accum;
  const perEpoch = stepsPerEpoch(train.examples.length, perStep);
  const totalSteps = config.max_steps ?? Math.ceil(config.epochs * perEpoch);
  const warmupSteps = warmupStepsFor(config.warmup_ratio, totalSteps);
  const modelConfig = config.init !== null
    ? await readModelConfig(`${config.init}/config.json`)
    : sftModelConfig(config.model, tokenizer);
  if (config.init !== null) await assertSameVocabulary(config.init, config.tokenizer, tokFiles);
  if (tokenizer.vocabSize > modelConfig.vocab_size) {
    throw new Error(
      `${config.tokenizer}: tokenizer has ${tokenizer.vocabSize} ids, model vocab_size is ${modelConfig.vocab_size}`,
    );
  }
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
    saveEvery: config.save_every,
    keepCheckpoints: config.keep_checkpoints,
    maxBadSteps: config.max_bad_steps,
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
      const lr = cosineWithWarmup(step, {
        peakLr: config.lr,
        totalSteps,
        warmupSteps,
        minLrRatio: config.min_lr_ratio,
      });
      const out = await sftStep(ctx.params, ctx.optimizer, micro, {
        lossFn: trainLossFn,
        lr,
        ...adamwSettings(config),
      });
      const stepS = (performance.now() - ts) / 1000;
      await ctx.record({
        step,
        phase: out.skipped ? "skipped" : "train",
        epoch: dataPosition(step, perEpoch).epoch,
        loss: out.loss,
        ...out.terms, // ce_loss, ul_loss (token means) when unlikelihood_weight > 0
        lr,
        grad_norm: out.gradNorm,
        loss_tokens: out.lossTokens,
        tokens_per_s: out.inputTokens / stepS,
        step_s: stepS,
        wall_s: (performance.now() - t0) / 1000,
      });
      return out;
    },
    async afterStep(step, ctx) {
      if ((config.eval_every > 0 && step % config.eval_every === 0) || step === totalSteps) {
        lastEval = await evaluate(step, ctx.params);
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

  async function evaluate(at: number, params: Record<string, tf.Variable>): Promise<StepRow> {
    const te = performance.now();
    const loss = await evalLoss(params, val.examples, {
      lossFn,
      batchSize: config.batch_size,
      padId,
    });
    const { metrics } = await evalGeneration(
      params,
      modelConfig,
      tokenizer,
      valRows.map((r) => r.record),
      {
        catalog,
        ks: config.ks,
        maxNewTokens: config.eval_max_new_tokens,
        maxPromptTokens: Math.max(1, config.max_seq_len - config.eval_max_new_tokens),
        batchSize: config.eval_batch_size,
        conversations: config.eval_conversations,
      },
    );
    return { step: at, phase: "eval", loss, ...metrics, eval_s: (performance.now() - te) / 1000 };
  }
}
