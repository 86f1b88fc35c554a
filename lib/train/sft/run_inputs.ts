// What an SFT run reads before its first step — tokenizer, catalog, train/val examples, the model
// config (of the init checkpoint, or a preset's) with its compatibility checks — and the periodic
// evaluation over them (val loss + greedy Recall/NDCG on the val conversations). Not in the paper.
import type * as tf from "@tensorflow/tfjs";
import { type Catalog, loadCatalog } from "../../catalog/catalog.ts";
import { type LocatedRecord, readRecords } from "../../data/read_records.ts";
import { type ModelConfig, readModelConfig } from "../../model/config.ts";
import {
  assertSameVocabulary,
  loadTokenizer,
  readTokenizerFiles,
  type TextTokenizer,
} from "../../model/tokenizer/load.ts";
import type { TokenizerFiles } from "../../model/tokenizer/world_tokenizer.ts";
import { evalGeneration, evalLoss } from "../eval/evaluate.ts";
import type { StepRow } from "../run/metrics_log.ts";
import type { SftConfig } from "./config.ts";
import { buildExamples } from "./examples.ts";
import { sftModelConfig } from "./presets.ts";
import type { MicroLoss } from "./train_step.ts";

/** The loaded inputs of one SFT run (see {@link loadSftInputs}). */
export interface SftInputs {
  tokenizer: TextTokenizer;
  tokFiles: TokenizerFiles;
  catalog: Catalog;
  train: ReturnType<typeof buildExamples>;
  /** val records with a completion, as examples (val loss) */
  val: ReturnType<typeof buildExamples>;
  /** every val record (generation metrics) */
  valRows: LocatedRecord[];
  modelConfig: ModelConfig;
}

async function collect(path: string): Promise<LocatedRecord[]> {
  const out: LocatedRecord[] = [];
  for await (const r of readRecords(path)) out.push(r);
  return out;
}

/**
 * Load what `config` names; fails with the file and the fix when there is no usable training record,
 * when the init checkpoint's tokenizer vocabulary differs, or when the tokenizer outgrows the model.
 * @example Reads the run's data, val, catalog and tokenizer files
 * ```ts ignore
 * const { train, modelConfig } = await loadSftInputs(
 *   parseSftConfig({ ...sftPreset("smoke"), data, val, catalog, tokenizer, run_dir }),
 * );
 * ```
 */
export async function loadSftInputs(config: SftConfig): Promise<SftInputs> {
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
  const modelConfig = config.init !== null
    ? await readModelConfig(`${config.init}/config.json`)
    : sftModelConfig(config.model, tokenizer);
  if (config.init !== null) await assertSameVocabulary(config.init, config.tokenizer, tokFiles);
  if (tokenizer.vocabSize > modelConfig.vocab_size) {
    throw new Error(
      `${config.tokenizer}: tokenizer has ${tokenizer.vocabSize} ids, model vocab_size is ${modelConfig.vocab_size}`,
    );
  }
  return { tokenizer, tokFiles, catalog, train, val, valRows, modelConfig };
}

/**
 * The eval row of step `at`: val loss under `lossFn` and greedy generation metrics (config.ks,
 * eval_* settings) on the val conversations.
 * @example Needs the inputs of {@link loadSftInputs} and a model's parameters (a training run's state)
 * ```ts ignore
 * const row = await evaluateSft(50, params, inputs, config, decoderLoss(inputs.modelConfig));
 * ```
 */
export async function evaluateSft(
  at: number,
  params: Record<string, tf.Variable>,
  inputs: SftInputs,
  config: SftConfig,
  lossFn: MicroLoss,
): Promise<StepRow> {
  const te = performance.now();
  const { tokenizer } = inputs;
  const loss = await evalLoss(params, inputs.val.examples, {
    lossFn,
    batchSize: config.batch_size,
    padId: tokenizer.padId ?? tokenizer.eosId,
  });
  const { metrics } = await evalGeneration(
    params,
    inputs.modelConfig,
    tokenizer,
    inputs.valRows.map((r) => r.record),
    {
      catalog: inputs.catalog,
      ks: config.ks,
      maxNewTokens: config.eval_max_new_tokens,
      maxPromptTokens: Math.max(1, config.max_seq_len - config.eval_max_new_tokens),
      batchSize: config.eval_batch_size,
      conversations: config.eval_conversations,
    },
  );
  return { step: at, phase: "eval", loss, ...metrics, eval_s: (performance.now() - te) / 1000 };
}
