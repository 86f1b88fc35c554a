// Evaluation on val: completion-only loss, and greedy-decoded lists scored with lib/reward (Recall/NDCG@k,
// in-catalog share) — one generation per unique conversation, scored against every row that shares it.
import * as tf from "@tensorflow/tfjs";
import type { Catalog } from "../../catalog/catalog.ts";
import { conversationKey, type ConversationRecord } from "../../data/record.ts";
import type { ModelConfig } from "../../model/config.ts";
import { generate } from "../../model/generate/generate.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";
import type { DecoderWeights } from "../../model/weights.ts";
import { addScore, emptyTotals, scoreList, totalsSummary } from "../../reward/score.ts";
import { leftTruncate, promptIds, type SftExample } from "./examples.ts";
import { padBatch } from "./loss.ts";
import type { MicroLoss } from "./train_step.ts";

/** Flat eval metrics, e.g. { "recall@5": 0.1, "ndcg@20": 0.2, in_catalog: 0.99, … }. */
export type EvalMetrics = Record<string, number>;

/**
 * Token-mean completion loss of `examples` in batches of `batchSize` (no gradients).
 *
 * @example
 * ```ts
 * const loss = await evalLoss(params, examples, { lossFn, batchSize: 8, padId: 0 });
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
 * groupConversations(valRecords).length; // unique conversations
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
}

/**
 * Greedy-decode one list per unique conversation and score it against each of its rows.
 *
 * @example
 * ```ts
 * const m = await evalGeneration(weights, cfg, tok, valRecords, { catalog, ks: [5, 10, 20],
 *   maxNewTokens: 320, maxPromptTokens: 192, batchSize: 16 });
 * m["ndcg@20"];
 * ```
 */
export async function evalGeneration(
  weights: DecoderWeights,
  config: ModelConfig,
  tokenizer: TextTokenizer,
  records: readonly ConversationRecord[],
  options: EvalGenerationOptions,
): Promise<{ metrics: EvalMetrics; texts: string[] }> {
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
    });
    completions.forEach((c, j) => {
      newTokens += c.tokenIds.length;
      const ids = c.finishReason === "eos" ? c.tokenIds.slice(0, -1) : c.tokenIds;
      const text = tokenizer.decode(ids, { skipSpecialTokens: true });
      texts.push(text);
      for (const row of chunk[j].rows) {
        addScore(
          totals,
          scoreList(text, {
            seenTitles: row.seen_titles,
            groundTruth: row.groundtruth_with_release_year,
            catalog: options.catalog,
          }, { ks: options.ks }),
        );
      }
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
  return { metrics, texts };
}
