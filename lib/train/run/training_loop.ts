// The training-run scaffold SFT, RL and pretraining share: the run folder (config.json + one-writer
// lock), resume from the last checkpoint (weights, AdamW moments, trainer state) and truncation of the
// metrics rows after it, the step loop with its callbacks, save → prune every `save_every` steps and at
// the last, dispose. Each trainer supplies only what is its own: the config record, fresh weights, and
// one optimizer step (`TrainingSteps.step`). Not in the paper.
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../model/config.ts";
import { withPlainMatMulGrad } from "../../model/plain_matmul_grad.ts";
import type { TokenizerFiles } from "../../model/tokenizer/world_tokenizer.ts";
import type { DecoderWeights } from "../../model/weights.ts";
import { adamwInit, type AdamWState, disposeAdamW } from "../optim/adamw.ts";
import { appendStepRow, type StepRow, truncateStepRows } from "./metrics_log.ts";
import { prepareRunFolder } from "./run_folder.ts";
import {
  checkpointDir,
  checkpointSteps,
  loadTrainCheckpoint,
  pruneCheckpoints,
  saveTrainCheckpoint,
} from "./train_checkpoint.ts";

/** What a run is: its folder, recorded config, length and checkpoint policy. */
export interface TrainingRun {
  /** log prefix, e.g. "sft" */
  name: string;
  runDir: string;
  /** written whole to runDir/config.json (and compared on resume) */
  record: Record<string, unknown>;
  totalSteps: number;
  /** the run config's checkpoint keys (see {@link CheckpointPolicy}) */
  checkpoints: CheckpointPolicy;
  modelConfig: ModelConfig;
  /** tokenizer files saved into every checkpoint */
  tokenizer: TokenizerFiles;
  /** the weights of a fresh (not resumed) run; the loop owns them afterwards */
  freshWeights: () => Promise<DecoderWeights> | DecoderWeights;
  /** tf variable name of weight `key` @default tfjs's automatic names */
  variableName?: (key: string) => string;
}

/** The checkpoint keys of a run config (snake_case, as config.json records them). */
export interface CheckpointPolicy {
  /** checkpoint every N steps (the last step is always saved) */
  save_every: number;
  /** checkpoints kept (older ones are pruned) */
  keep_checkpoints: number;
  /**
   * stop after this many consecutive skipped (non-finite) steps; the count is checkpointed as
   * trainer state `bad_steps` @default no limit, not counted
   */
  max_bad_steps?: number;
}

/** What a step reports when it may skip its update (non-finite loss or gradient). */
export interface StepHealth {
  skipped: boolean;
  loss: number;
  gradNorm: number;
}

/** What one step works with. */
export interface StepContext<Row extends StepRow> {
  params: Record<string, tf.Variable>;
  optimizer: AdamWState;
  /** append a row to metrics.jsonl and pass it to onStep */
  record: (row: Row) => Promise<void>;
}

/** The trainer's own part: one optimizer step, its checkpointed state, and what follows the last step. */
export interface TrainingSteps<Row extends StepRow> {
  /** step `step` (1-based): update the params, record its rows */
  step: (step: number, ctx: StepContext<Row>) => Promise<StepHealth | void>;
  /** after the step's bad-step check (e.g. a periodic evaluation) @default nothing */
  afterStep?: (step: number, ctx: StepContext<Row>) => Promise<void>;
  /** JSON trainer state saved with the checkpoint of `step` */
  trainerState: (step: number) => Record<string, unknown>;
  /** restore the trainer's counters from a resumed checkpoint's trainer state @default nothing */
  restore?: (state: Record<string, unknown>) => void;
  /** after the last step (not after a stopAfterStep return), with the final params @default nothing */
  afterLast?: (params: Record<string, tf.Variable>) => Promise<void>;
}

/** Options of {@link runTrainingLoop}. */
export interface TrainingLoopOptions<Row extends StepRow> {
  /** continue from the run's last checkpoint (metrics rows after it are removed) @default false */
  resume?: boolean;
  /** called with every recorded row @default none */
  onStep?: (row: Row) => Promise<void>;
  /** return right after this step is done (simulates a crash; for tests) @default never */
  stopAfterStep?: number;
  /** log lines @default console.error */
  log?: (line: string) => void;
}

/** What {@link runTrainingLoop} did. */
export interface TrainingLoopResult {
  /** last completed step */
  step: number;
  /** step resumed from (0 for a fresh run) */
  resumedFrom: number;
  /** true when it returned at stopAfterStep before the last step */
  stopped: boolean;
  /** folder of the last checkpoint written by this call, null if none */
  lastCheckpoint: string | null;
}

/**
 * Run steps resumedFrom+1 … totalSteps of `run` with the trainer's `steps`: run folder and lock,
 * resume → load → truncate, the loop (under withPlainMatMulGrad), save → prune, dispose.
 * @example Needs a model config, tokenizer files and weights (a whole run; see lib/train/sft/trainer.ts)
 * ```ts ignore
 * const r = await runTrainingLoop(run, {
 *   step: async (s, { record }) => await record({ step: s, phase: "train" }),
 *   trainerState: () => ({}),
 * });
 * ```
 */
export async function runTrainingLoop<Row extends StepRow>(
  run: TrainingRun,
  steps: TrainingSteps<Row>,
  options: TrainingLoopOptions<Row> = {},
): Promise<TrainingLoopResult> {
  const log = options.log ?? ((l: string) => console.error(l));
  await using _runLock = await prepareRunFolder(run.runDir, run.record, { // one writer; freed on return
    resume: options.resume,
  });
  const metricsPath = `${run.runDir}/metrics.jsonl`;
  const maxBad = run.checkpoints.max_bad_steps;
  let startStep = 0, badSteps = 0, weights: DecoderWeights, optimizer: AdamWState | null = null;
  const saved = options.resume ? await checkpointSteps(run.runDir) : [];
  if (saved.length > 0) {
    const ckpt = await loadTrainCheckpoint(checkpointDir(run.runDir, saved.at(-1)!));
    startStep = ckpt.step;
    badSteps = Number(ckpt.trainerState.bad_steps ?? 0);
    steps.restore?.(ckpt.trainerState);
    weights = ckpt.weights;
    optimizer = ckpt.optimizer;
    log(`${run.name}: resuming ${run.runDir} from step ${startStep}`);
  } else {
    weights = await run.freshWeights();
  }
  if (options.resume) {
    const cut = await truncateStepRows(metricsPath, startStep);
    if (cut > 0) log(`${run.name}: removed ${cut} metrics rows after step ${startStep}`);
  }
  const params = toVariables(weights, run.variableName);
  optimizer ??= adamwInit(params);
  const ctx: StepContext<Row> = {
    params,
    optimizer,
    record: async (row) => {
      await appendStepRow(metricsPath, row);
      await options.onStep?.(row);
    },
  };
  let step = startStep, lastCheckpoint: string | null = null, stopped = false;
  try {
    await withPlainMatMulGrad(async () => {
      for (step = startStep + 1; step <= run.totalSteps; step++) {
        const health = await steps.step(step, ctx);
        if (health && maxBad !== undefined) badSteps = checkHealth(step, health);
        await steps.afterStep?.(step, ctx);
        if (step % run.checkpoints.save_every === 0 || step === run.totalSteps) {
          lastCheckpoint = await saveTrainCheckpoint(run.runDir, {
            step,
            weights: params,
            modelConfig: run.modelConfig,
            tokenizer: run.tokenizer,
            optimizer: ctx.optimizer,
            trainerState: maxBad === undefined
              ? steps.trainerState(step)
              : { ...steps.trainerState(step), bad_steps: badSteps },
          });
          await pruneCheckpoints(run.runDir, run.checkpoints.keep_checkpoints);
        }
        if (options.stopAfterStep === step) {
          stopped = step < run.totalSteps;
          return;
        }
      }
      step = run.totalSteps;
      await steps.afterLast?.(params);
    });
  } finally {
    disposeAdamW(ctx.optimizer);
    Object.values(params).forEach((v) => v.dispose());
  }
  return { step: Math.min(step, run.totalSteps), resumedFrom: startStep, stopped, lastCheckpoint };

  /** The consecutive skipped-step count after `h`; logs a skip, throws at max_bad_steps. */
  function checkHealth(at: number, h: StepHealth): number {
    if (!h.skipped) return 0;
    log(
      `${run.name}: step ${at}: non-finite loss ${h.loss} / grad norm ${h.gradNorm}: update skipped`,
    );
    if (badSteps + 1 >= maxBad!) {
      throw new Error(
        `${run.name}: ${
          badSteps + 1
        } consecutive non-finite steps (last: step ${at}, loss ${h.loss}, grad norm ${h.gradNorm}); stopping (max_bad_steps ${maxBad})`,
      );
    }
    return badSteps + 1;
  }
}

/**
 * Whether step `step` evaluates: every `every` steps (0: never) and always at the last.
 * @example
 * ```ts
 * if (!evalDue(50, 25, 60) || evalDue(51, 25, 60) || !evalDue(60, 0, 60)) throw new Error("evalDue");
 * ```
 */
export function evalDue(step: number, every: number, totalSteps: number): boolean {
  return (every > 0 && step % every === 0) || step === totalSteps;
}

/** The weights as trainable variables (the tensors are disposed). */
function toVariables(
  weights: DecoderWeights,
  name?: (key: string) => string,
): Record<string, tf.Variable> {
  const vars = Object.fromEntries(
    Object.entries(weights).map((
      [k, t],
    ) => [k, name === undefined ? tf.variable(t) : tf.variable(t, true, name(k))]),
  );
  Object.values(weights).forEach((t) => t.dispose());
  return vars;
}
