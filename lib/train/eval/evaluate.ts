// Evaluation on val: completion-only loss, and greedy-decoded lists scored with lib/reward (Recall/NDCG@k,
// in-catalog share) — one generation per unique conversation, scored against every row that shares it.
// Beyond the paper: greedy decoding optionally constrained to the catalog trie, with or without repeats.
import * as tf from "@tensorflow/tfjs";
import type { Catalog } from "../../catalog/catalog.ts";
import { conversationKey, type ConversationRecord } from "../../data/record.ts";
import type { ModelConfig } from "../../model/config.ts";
import { catalogConstraint } from "../../model/generate/catalog_constraint.ts";
import { buildCatalogTrie, type CatalogTrie } from "../../model/generate/catalog_trie.ts";
import { generate } from "../../model/generate/generate.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";
import type { DecoderWeights } from "../../model/weights.ts";
import {
  addScore,
  emptyTotals,
  scoreList,
  type ScoreTotals,
  totalsSummary,
} from "../../reward/score.ts";
import { leftTruncate, promptIds, type SftExample } from "../sft/examples.ts";
import { padBatch } from "../sft/loss.ts";
import type { MicroLoss } from "../sft/train_step.ts";

/** Flat eval metrics, e.g. { "recall@5": 0.1, "ndcg@20": 0.2, in_catalog: 0.99, … }. */
export type EvalMetrics = Record<string, number>;

/**
 * Token-mean completion loss of `examples` in batches of `batchSize` (no gradients).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { loadCheckpoint } from "../../model/checkpoint.ts";
 * import { decoderLoss } from "../sft/train_step.ts";
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const params = Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, tf.variable(w)]));
 * const examples = [{ ids: [1, 5, 9, 2], promptLength: 2, where: "example" }];
 * const loss = await evalLoss(params, examples, { lossFn: decoderLoss(config), batchSize: 8, padId: 0 });
 * if (!(loss > 0)) throw new Error(`${loss}`); // nats per completion token
 * ```
 */
export async function evalLoss(
  params: Record<string, tf.Variable>,
  examples: readonly SftExample[],
  options: { lossFn: MicroLoss; batchSize: number; padId: number },
): Promise<number> {
  let sum = 0, tokens = 0;
  for (let i = 0; i < examples.length; i += options.batchSize) {
    const batch = padBatch(examples.slice(i, i + options.batchSize), options.padId);
    const nll = options.lossFn(params, batch);
    sum += (await nll.data())[0];
    nll.dispose();
    tokens += batch.lossTokens;
  }
  return tokens === 0 ? NaN : sum / tokens;
}

/**
 * Rows grouped by conversation (lib/data/record.ts conversationKey), in first-seen order.
 *
 * @example
 * ```ts
 * import { readJsonlAll } from "../../data/jsonl.ts";
 * import { ConversationRecordSchema } from "../../data/record.ts";
 * const { records } = await readJsonlAll("tests/fixtures/cli/records.jsonl", ConversationRecordSchema);
 * const groups = groupConversations(records.map((r) => r.value)); // unique conversations
 * if (groups.length !== 1 || groups[0].rows.length !== 2) throw new Error("one conversation, 2 rows");
 * ```
 */
export function groupConversations(
  records: readonly ConversationRecord[],
): { key: string; rows: ConversationRecord[] }[] {
  const groups = new Map<string, ConversationRecord[]>();
  for (const r of records) {
    const k = conversationKey(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups].map(([key, rows]) => ({ key, rows }));
}

/**
 * Scores one conversation's list against each of its rows (each row's own seen titles and ground truth)
 * into `totals`: how a list is scored in evaluation, for a model's list and a reference ranker's alike.
 *
 * @example
 * ```ts
 * import { loadCatalog } from "../../catalog/catalog.ts";
 * import { readJsonlAll } from "../../data/jsonl.ts";
 * import { ConversationRecordSchema } from "../../data/record.ts";
 * import { emptyTotals, totalsSummary } from "../../reward/score.ts";
 * const catalog = await loadCatalog("tests/fixtures/cli/catalog.csv");
 * const { records } = await readJsonlAll("tests/fixtures/cli/records.jsonl", ConversationRecordSchema);
 * const [group] = groupConversations(records.map((r) => r.value));
 * const totals = emptyTotals([5, 10, 20]);
 * addConversationScores(totals, "Aliens (1986)\nHeat (1995)", group.rows, { catalog, ks: [5, 10, 20] });
 * console.log(totalsSummary(totals)); // Recall/NDCG over the conversation's rows
 * ```
 */
export function addConversationScores(
  totals: ScoreTotals,
  text: string,
  rows: readonly ConversationRecord[],
  options: { catalog: Catalog; ks: readonly number[] },
): void {
  for (const row of rows) {
    addScore(
      totals,
      scoreList(text, {
        seenTitles: row.seen_titles,
        groundTruth: row.groundtruth_with_release_year,
        catalog: options.catalog,
      }, { ks: options.ks }),
    );
  }
}

/**
 * How eval lists are decoded, always greedily: "greedy" unconstrained (the paper's setting); "catalog" every
 * line a catalog item (lib/model/generate/catalog_constraint.ts, repeats allowed); "catalog-no-repeat" the
 * same and no item twice in a list.
 */
export type EvalDecoding = "greedy" | "catalog" | "catalog-no-repeat";

/** The decodings {@link evalGeneration} accepts. */
export const EVAL_DECODINGS: readonly EvalDecoding[] = ["greedy", "catalog", "catalog-no-repeat"];

/**
 * The catalog trie under `tokenizer` (items as `Title (Year)`, newline one token, the tokenizer's EOS).
 *
 * @example
 * ```ts
 * import { loadCatalog } from "../../catalog/catalog.ts";
 * import { loadTokenizer } from "../../model/tokenizer/load.ts";
 * const tok = await loadTokenizer("data/models/builtin-sft");
 * const catalog = await loadCatalog("tests/fixtures/cli/catalog.csv");
 * const trie = tokenizerCatalogTrie(tok, catalog); // build once, pass as catalogTrie to each eval
 * ```
 */
export function tokenizerCatalogTrie(tokenizer: TextTokenizer, catalog: Catalog): CatalogTrie {
  return buildCatalogTrie(
    catalog.items,
    (text) => tokenizer.encode(text, { addSpecialTokens: false }),
    { eosIds: [tokenizer.eosId] },
  );
}

/** Options of {@link evalGeneration}. */
export interface EvalGenerationOptions {
  catalog: Catalog;
  ks: readonly number[];
  maxNewTokens: number;
  /** prompts longer than this are cut from the left (as in training) */
  maxPromptTokens: number;
  batchSize: number;
  /** only the first N conversations @default all */
  conversations?: number | null;
  /** @default "greedy" (unconstrained) */
  decoding?: EvalDecoding;
  /** the catalog's trie under this tokenizer, for the catalog decodings @default built from `catalog` */
  catalogTrie?: CatalogTrie;
}

/** Result of {@link evalGeneration}: metrics, the decoded list per conversation, and the decoding used. */
export interface EvalGenerationResult {
  metrics: EvalMetrics;
  texts: string[];
  decoding: EvalDecoding;
}

/**
 * Greedy-decode one list per unique conversation (unconstrained, or constrained to the catalog per
 * `decoding`) and score it against each of its rows.
 *
 * @example
 * ```ts
 * import { loadCatalog } from "../../catalog/catalog.ts";
 * import { readJsonlAll } from "../../data/jsonl.ts";
 * import { ConversationRecordSchema } from "../../data/record.ts";
 * import { loadCheckpoint } from "../../model/checkpoint.ts";
 * import { loadTokenizer } from "../../model/tokenizer/load.ts";
 * const { config: cfg, weights } = await loadCheckpoint("data/models/builtin-sft");
 * const tok = await loadTokenizer("data/models/builtin-sft");
 * const catalog = await loadCatalog("tests/fixtures/cli/catalog.csv");
 * const { records } = await readJsonlAll("tests/fixtures/cli/records.jsonl", ConversationRecordSchema);
 * const valRecords = records.map((r) => r.value);
 * const m = await evalGeneration(weights, cfg, tok, valRecords, { catalog, ks: [5, 10, 20],
 *   maxNewTokens: 16, maxPromptTokens: 192, batchSize: 16, decoding: "catalog-no-repeat" });
 * m.metrics["ndcg@20"]; // m.texts: one generated list per conversation
 * ```
 */
export async function evalGeneration(
  weights: DecoderWeights,
  config: ModelConfig,
  tokenizer: TextTokenizer,
  records: readonly ConversationRecord[],
  options: EvalGenerationOptions,
): Promise<EvalGenerationResult> {
  const decoding = options.decoding ?? "greedy";
  if (!EVAL_DECODINGS.includes(decoding)) {
    throw new Error(
      `lib/train/eval/evaluate.ts: decoding: expected one of ${EVAL_DECODINGS.join(", ")}, got ${
        JSON.stringify(decoding)
      }`,
    );
  }
  const constraint = decoding === "greedy" ? undefined : catalogConstraint(
    options.catalogTrie ?? tokenizerCatalogTrie(tokenizer, options.catalog),
    { noRepeat: decoding === "catalog-no-repeat" },
  );
  const groups = groupConversations(records).slice(0, options.conversations ?? undefined);
  const totals = emptyTotals(options.ks);
  const texts: string[] = [];
  let newTokens = 0;
  const t0 = performance.now();
  for (let i = 0; i < groups.length; i += options.batchSize) {
    const chunk = groups.slice(i, i + options.batchSize);
    const prompts = chunk.map((g) =>
      leftTruncate(promptIds(tokenizer, g.rows[0]), options.maxPromptTokens)
    );
    const { completions } = await generate({ weights, config }, prompts, {
      maxNewTokens: options.maxNewTokens,
      temperature: 0,
      eosIds: [tokenizer.eosId],
      padId: tokenizer.padId ?? tokenizer.eosId,
      constraint,
    });
    completions.forEach((c, j) => {
      newTokens += c.tokenIds.length;
      const ids = c.finishReason === "eos" ? c.tokenIds.slice(0, -1) : c.tokenIds;
      const text = tokenizer.decode(ids, { skipSpecialTokens: true });
      texts.push(text);
      addConversationScores(totals, text, chunk[j].rows, options);
    });
  }
  const s = totalsSummary(totals);
  const metrics: EvalMetrics = {
    conversations: groups.length,
    rows: s.records,
    in_catalog: s.in_catalog,
    format_violations: s.format_violations,
    gen_tokens_per_s: newTokens / ((performance.now() - t0) / 1000),
  };
  for (const k of options.ks) {
    metrics[`recall@${k}`] = s.recall[k];
    metrics[`ndcg@${k}`] = s.ndcg[k];
  }
  return { metrics, texts, decoding };
}
