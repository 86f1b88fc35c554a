// The RL loop: per step, P prompts (seeded order), G rollouts each from the current policy, reference
// log-probs from the frozen SFT checkpoint, one rlStep; StepRecords to metrics.jsonl + onStep; checkpoints
// with optimizer state so a resumed run continues exactly. Learning rate constant (paper.md §4, 0.5B).
import * as tf from "@tensorflow/tfjs";
import { loadCatalog } from "../../catalog/catalog.ts";
import type { ConversationRecord } from "../../data/record.ts";
import { readRecords } from "../../data/read_records.ts";
import { useBackend, webgpuHandle } from "../../model/backend.ts";
import { loadCheckpoint } from "../../model/checkpoint.ts";
import type { ModelConfig } from "../../model/config.ts";
import { disposeDecodeWeights, prepareDecodeWeights } from "../../model/generate/decode_weights.ts";
import { loadTokenizer, readTokenizerFiles } from "../../model/tokenizer/load.ts";
import { disposeWeights } from "../../model/weights.ts";
import { adamwSettings } from "../optim/adamw.ts";
import { resolveAlgo } from "../rl/algo_config.ts";
import { stepIndices } from "../run/data_order.ts";
import { runTrainingLoop, type TrainingLoopOptions } from "../run/training_loop.ts";
import type { RlRunConfig } from "./config.ts";
import { chooseObjectivePath } from "./objective_path.ts";
import { frozenLogprobs, packSequences } from "./policy_logprobs.ts";
import { sampleRollouts, stepSeed, tokenNewlines } from "./rollouts.ts";
import { rlStep } from "./rl_step.ts";
import { type RlStepRecord, rlStepRecord } from "./step_record.ts";

/** Options of {@link runRl}: the loop's resume, onStep, stopAfterStep and log. */
export type RunRlOptions = TrainingLoopOptions<RlStepRecord>;

/** What {@link runRl} returns. */
export interface RlResult {
  runDir: string;
  /** last completed step */
  step: number;
  resumedFrom: number;
  stopped: boolean;
  /** folder of the last checkpoint written (the final policy when not stopped) */
  lastCheckpoint: string | null;
  wallSeconds: number;
}

async function readAll(path: string): Promise<ConversationRecord[]> {
  const out: ConversationRecord[] = [];
  for await (const r of readRecords(path)) out.push(r.record);
  if (out.length === 0) throw new Error(`${path}: no RL records`);
  return out;
}

/**
 * Run (or resume) RL as configured. Writes runs/<name>/config.json, metrics.jsonl and checkpoints.
 * @example A whole RL run from an SFT checkpoint and data files, writing its run folder
 * ```ts ignore
 * const cfg = parseRlRunConfig({
 *   ...rlPreset("smoke"),
 *   data,
 *   catalog,
 *   init,
 *   run_dir: "runs/rl",
 *   algo: "rank-grpo",
 * });
 * await runRl(cfg, { onStep: reporter({ label: "rl" }) });
 * ```
 */
export async function runRl(config: RlRunConfig, options: RunRlOptions = {}): Promise<RlResult> {
  const t0 = performance.now();
  const log = options.log ?? ((l: string) => console.error(l));
  const algo = resolveAlgo(config);
  await useBackend(config.backend);
  const tokenizer = await loadTokenizer(config.init);
  const tokFiles = await readTokenizerFiles(config.init);
  const catalog = await loadCatalog(config.catalog);
  const records = await readAll(config.data);
  const newlines = tokenNewlines(tokenizer);
  const padId = tokenizer.padId ?? tokenizer.eosId;
  const ref = await loadCheckpoint(config.init);
  const modelConfig: ModelConfig = ref.config;
  const objective = chooseObjectivePath({
    setting: config.objective,
    backend: tf.getBackend(),
    sharedDevice: webgpuHandle() !== null,
    dims: { b: config.prompts_per_step * config.group_size, t: config.max_new_tokens },
    n: config.n,
    level: algo.level,
  });
  log(`rl: objective on the ${objective.path}: ${objective.reason}`);
  try {
    const loop = await runTrainingLoop<RlStepRecord>({
      name: "rl",
      runDir: config.run_dir,
      record: {
        ...config,
        algo_resolved: algo,
        model_config: modelConfig,
        derived: {
          records: records.length,
          rollouts_per_step: config.prompts_per_step * config.group_size,
          prompt_order:
            'epoch e: Fisher-Yates with createPrng(seed).fork("sft-data").fork(`epoch ${e}`)',
          rollout_seed:
            'createPrng(seed).fork("rl-rollouts").fork(`step ${s}`), then per (prompt index, sample)',
          logp_old: algo.mu === 1
            ? "none (mu = 1: ratio = 1 exactly)"
            : "first update's logp, detached",
          reference: `${config.init} (frozen)`,
          objective_path: objective.path,
          objective_reason: objective.reason,
        },
      },
      totalSteps: config.steps,
      checkpoints: config,
      modelConfig,
      tokenizer: tokFiles,
      freshWeights: async () => (await loadCheckpoint(config.init)).weights,
      variableName: (k) => `rl.${k}`,
    }, {
      trainerState: () => ({ seed: config.seed, algo: config.algo }),
      async step(step, { params, optimizer, record }) {
        const idx = stepIndices(step, {
          seed: config.seed,
          n: records.length,
          perStep: config.prompts_per_step,
        });
        const dw = prepareDecodeWeights(params, modelConfig);
        const batch = await sampleRollouts(dw, idx.map((i) => records[i]), {
          tokenizer,
          catalog,
          newlines,
          g: config.group_size,
          n: config.n,
          maxNewTokens: config.max_new_tokens,
          maxPromptTokens: config.max_prompt_tokens,
          temperature: config.temperature,
          topP: config.top_p,
          seed: stepSeed(config.seed, step),
          promptKeys: idx,
        }).finally(() => disposeDecodeWeights(dw));
        const tu = performance.now();
        const packed = packSequences(batch.prompts, batch, {
          padId,
          vocabSize: modelConfig.vocab_size,
        });
        const refLogp = algo.beta > 0
          ? await frozenLogprobs(ref.weights, modelConfig, packed)
          : null;
        const outcome = await rlStep(params, modelConfig, {
          optimizer,
          batch,
          packed,
          refLogp,
        }, {
          algo,
          lr: config.lr,
          ...adamwSettings(config),
          objective: objective.path,
        });
        const updateS = (performance.now() - tu) / 1000;
        const row = rlStepRecord(step, {
          batch,
          outcome,
          lr: config.lr,
          updateS,
          trainTokens: packed.inputIds.length * packed.length * (algo.mu + (refLogp ? 1 : 0)),
          wallS: (performance.now() - t0) / 1000,
        });
        if (outcome.skipped > 0) {
          log(`rl: step ${step}: ${outcome.skipped} non-finite update(s) skipped`);
        }
        await record(row);
      },
    }, { ...options, log });
    return {
      runDir: config.run_dir,
      step: loop.step,
      resumedFrom: loop.resumedFrom,
      stopped: options.stopAfterStep !== undefined && options.stopAfterStep < config.steps,
      lastCheckpoint: loop.lastCheckpoint,
      wallSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    disposeWeights(ref.weights);
  }
}
