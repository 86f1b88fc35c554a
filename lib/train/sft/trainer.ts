// The SFT loop: data order from (seed, step), one sftStep per optimizer step, StepRecords to
// runs/<name>/metrics.jsonl and onStep, periodic eval and atomic checkpoints; resumes exactly from the last one.
// With unlikelihood_weight > 0 training adds the item-level UL term (val loss stays plain CE).
import * as tf from "@tensorflow/tfjs";
import { loadCatalog } from "../../catalog/catalog.ts";
import { type LocatedRecord, readRecords } from "../../data/read_records.ts";
import { useBackend } from "../../model/backend.ts";
import { loadCheckpoint } from "../../model/checkpoint.ts";
import { type ModelConfig, readModelConfig } from "../../model/config.ts";
import { loadTokenizer } from "../../model/tokenizer/load.ts";
import type { TokenizerFiles } from "../../model/tokenizer/world_tokenizer.ts";
import { type DecoderWeights, initWeights } from "../../model/weights.ts";
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
import type { SftConfig } from "./config.ts";
import { dataPosition, stepIndices, stepsPerEpoch } from "../run/data_order.ts";
import { evalGeneration, evalLoss } from "../eval/evaluate.ts";
import { buildExamples } from "./examples.ts";
import { padBatch } from "./loss.ts";
import { withPlainMatMulGrad } from "../../model/plain_matmul_grad.ts";
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

async function tokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const read = async (name: string, required: boolean) => {
    try {
      return JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
    } catch (e) {
      if (!required && e instanceof Deno.errors.NotFound) return {};
      throw new Error(`${dir}/${name}: ${(e as Error).message}`);
    }
  };
  return {
    tokenizerJson: await read("tokenizer.json", true),
    tokenizerConfigJson: await read("tokenizer_config.json", false),
  };
}

function toVariables(weights: DecoderWeights): Record<string, tf.Variable> {
  const vars = Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, tf.variable(t)]));
  Object.values(weights).forEach((t) => t.dispose());
  return vars;
}

/**
 * Fail when the init checkpoint ships a tokenizer whose vocabulary differs from the one training
 * reads: ids would mean other strings than the weights learned.
 */
async function checkSameTokenizer(init: string, tokenizerDir: string, files: TokenizerFiles) {
  let initJson: Record<string, unknown>;
  try {
    initJson = JSON.parse(await Deno.readTextFile(`${init}/tokenizer.json`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return; // a bare weights folder: nothing to compare
    throw new Error(`${init}/tokenizer.json: ${(e as Error).message}`);
  }
  const vocab = (j: Record<string, unknown>) =>
    JSON.stringify((j.model as { vocab?: unknown })?.vocab);
  if (vocab(initJson) !== vocab(files.tokenizerJson)) {
    throw new Error(
      `${tokenizerDir}/tokenizer.json: vocabulary differs from the init checkpoint's (${init}/tokenizer.json); train with the checkpoint's tokenizer (--tokenizer ${init})`,
    );
  }
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
  const log = options.log ?? ((l: string) => console.error(l));
  await useBackend(config.backend);
  const tokenizer = await loadTokenizer(config.tokenizer);
  const tokFiles = await tokenizerFiles(config.tokenizer);
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
  if (config.init !== null) await checkSameTokenizer(config.init, config.tokenizer, tokFiles);
  if (tokenizer.vocabSize > modelConfig.vocab_size) {
    throw new Error(
      `${config.tokenizer}: tokenizer has ${tokenizer.vocabSize} ids, model vocab_size is ${modelConfig.vocab_size}`,
    );
  }
  await using _runLock = await prepareRunFolder(config.run_dir, { // one writer; freed on return
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
      data_order: 'epoch e: Fisher-Yates with createPrng(seed).fork("sft-data").fork(`epoch ${e}`)',
    },
  }, { resume: options.resume });
  const metricsPath = `${config.run_dir}/metrics.jsonl`;

  let startStep = 0, badSteps = 0, weights: DecoderWeights, optimizer: AdamWState | null = null;
  const steps = options.resume ? await checkpointSteps(config.run_dir) : [];
  if (steps.length > 0) {
    const ckpt = await loadTrainCheckpoint(checkpointDir(config.run_dir, steps.at(-1)!));
    startStep = ckpt.step;
    badSteps = Number(ckpt.trainerState.bad_steps ?? 0);
    weights = ckpt.weights;
    optimizer = ckpt.optimizer;
    log(`sft: resuming ${config.run_dir} from step ${startStep}`);
  } else {
    weights = config.init !== null
      ? (await loadCheckpoint(config.init)).weights
      : initWeights(modelConfig, { seed: config.seed });
  }
  if (options.resume) {
    const cut = await truncateStepRows(metricsPath, startStep);
    if (cut > 0) log(`sft: removed ${cut} metrics rows after step ${startStep}`);
  }
  const params = toVariables(weights);
  optimizer ??= adamwInit(params);
  const lossFn = (options.lossFn ?? decoderLoss)(modelConfig);
  const trainLossFn = options.lossFn === undefined && config.unlikelihood_weight > 0
    ? decoderLoss(modelConfig, {
      unlikelihood: { weight: config.unlikelihood_weight, closesItem: itemCloser(tokenizer) },
    })
    : lossFn;
  const record = async (row: StepRow) => {
    await appendStepRow(metricsPath, row);
    await options.onStep?.(row);
  };
  let lastEval: StepRow | null = null;
  let step = startStep;
  try {
    await withPlainMatMulGrad(async () => {
      for (step = startStep + 1; step <= totalSteps; step++) {
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
        const out = await sftStep(params, optimizer!, micro, {
          lossFn: trainLossFn,
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
          ...out.terms, // ce_loss, ul_loss (token means) when unlikelihood_weight > 0
          lr,
          grad_norm: out.gradNorm,
          loss_tokens: out.lossTokens,
          tokens_per_s: out.inputTokens / stepS,
          step_s: stepS,
          wall_s: (performance.now() - t0) / 1000,
        });
        if (out.skipped) {
          log(
            `sft: step ${step}: non-finite loss ${out.loss} / grad norm ${out.gradNorm}: update skipped`,
          );
          if (badSteps >= config.max_bad_steps) {
            throw new Error(
              `sft: ${badSteps} consecutive non-finite steps (last: step ${step}, loss ${out.loss}, grad norm ${out.gradNorm}); stopping (max_bad_steps ${config.max_bad_steps})`,
            );
          }
        }
        if ((config.eval_every > 0 && step % config.eval_every === 0) || step === totalSteps) {
          lastEval = await evaluate(step);
          await record(lastEval);
        }
        if (step % config.save_every === 0 || step === totalSteps) {
          const pos = dataPosition(step, perEpoch);
          await saveTrainCheckpoint(config.run_dir, {
            step,
            weights: params,
            modelConfig,
            tokenizer: tokFiles,
            optimizer: optimizer!,
            trainerState: {
              seed: config.seed,
              epoch: pos.epoch,
              batch_in_epoch: pos.batchInEpoch,
              bad_steps: badSteps,
            },
          });
          await pruneCheckpoints(config.run_dir, config.keep_checkpoints);
        }
        if (options.stopAfterStep === step) return;
      }
      step = totalSteps;
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
    stopped: options.stopAfterStep !== undefined && options.stopAfterStep < totalSteps,
    lastEval,
    wallSeconds: (performance.now() - t0) / 1000,
  };

  async function evaluate(at: number): Promise<StepRow> {
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
