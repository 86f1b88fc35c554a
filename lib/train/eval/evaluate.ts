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
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { decoderLoss } from "../sft/train_step.ts";
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: 16,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const w = initWeights(cfg, { seed: 0 }); // untrained: near-uniform over the 16 ids
 * const params = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, tf.variable(t)]));
 * const examples = [
 *   { ids: [5, 1, 9, 0], promptLength: 1, where: "a" },
 *   { ids: [3, 2, 0], promptLength: 2, where: "b" },
 * ];
 * const loss = await evalLoss(params, examples, {
 *   lossFn: decoderLoss(cfg),
 *   batchSize: 8,
 *   padId: 0,
 * });
 * if (Math.abs(loss - Math.log(16)) > 0.1) throw new Error(`${loss} ≉ ln 16 nats per token`);
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
 * const row = (content: string, gt: string) => ({
 *   prompt: [{ role: "user" as const, content }],
 *   seen_titles: [],
 *   groundtruth_with_release_year: [[gt, "1995"]] as [string, string][],
 * });
 * const valRecords = [
 *   row("more like Heat?", "Heat"),
 *   row("a comedy?", "Up"),
 *   row("more like Heat?", "Ronin"),
 * ];
 * const groups = groupConversations(valRecords); // unique conversations, in first-seen order
 * if (groups.length !== 2 || groups[0].rows.length !== 2) {
 *   throw new Error("two rows share one prompt");
 * }
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
 * import { catalogFromItems } from "../../catalog/catalog.ts";
 * import { emptyTotals, totalsSummary } from "../../reward/score.ts";
 * const catalog = catalogFromItems([
 *   { title: "Heat", year: 1995, meta: {} },
 *   { title: "Alien", year: 1979, meta: {} },
 * ]);
 * const rows = [{
 *   prompt: [{ role: "user" as const, content: "more like Ronin?" }],
 *   seen_titles: [],
 *   groundtruth_with_release_year: [["Heat", "1995"]] as [string, string][],
 * }];
 * const totals = emptyTotals([5, 10, 20]);
 * addConversationScores(totals, "Heat (1995)\nAlien (1979)", rows, { catalog, ks: [5, 10, 20] });
 * const s = totalsSummary(totals);
 * if (s.records !== 1 || s.recall["5"] !== 1 || s.in_catalog !== 1) {
 *   throw new Error(JSON.stringify(s));
 * }
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
 * import { catalogFromItems } from "../../catalog/catalog.ts";
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * const files = trainChatTokenizer(["Heat (1995)\nAlien (1979)\n"], { vocabSize: 300, seed: 0 });
 * const tok = tokenizerFromJson(files.tokenizerJson as never, files.tokenizerConfigJson as never);
 * const catalog = catalogFromItems([{ title: "Heat", year: 1995, meta: {} }]);
 * const trie = tokenizerCatalogTrie(tok, catalog); // build once, pass as catalogTrie to each eval
 * if (trie.items.length !== 1 || trie.newlineId !== tok.encode("\n")[0]) throw new Error("trie");
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
 * import { catalogFromItems } from "../../catalog/catalog.ts";
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * import { initWeights } from "../../model/weights.ts";
 * const files = trainChatTokenizer(["Heat (1995)\nAlien (1979)\n"], { vocabSize: 300, seed: 0 });
 * const tok = tokenizerFromJson(files.tokenizerJson as never, files.tokenizerConfigJson as never);
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: tok.vocabSize,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const weights = initWeights(cfg, { seed: 0 }); // untrained
 * const catalog = catalogFromItems([
 *   { title: "Heat", year: 1995, meta: {} },
 *   { title: "Alien", year: 1979, meta: {} },
 * ]);
 * const valRecords = [{
 *   prompt: [{ role: "user" as const, content: "more like Heat?" }],
 *   seen_titles: ["Heat"],
 *   groundtruth_with_release_year: [["Alien", "1979"]] as [string, string][],
 * }];
 * const m = await evalGeneration(weights, cfg, tok, valRecords, {
 *   catalog,
 *   ks: [5, 10, 20],
 *   maxNewTokens: 12,
 *   maxPromptTokens: 192,
 *   batchSize: 16,
 *   decoding: "catalog-no-repeat",
 * });
 * // constrained decoding: every line is a catalog item, even from an untrained model
 * if (m.texts.length !== 1 || m.metrics.in_catalog !== 1) throw new Error(JSON.stringify(m));
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
