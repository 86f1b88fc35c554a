// Rollouts of one RL step (paper.md §4): G seeded samples per prompt at temperature 1 / top-p 1, decoded,
// scored with lib/reward (hits per rank, in-catalog counts) and cut into items (itemSegments).
import type { Catalog } from "../../catalog/catalog.ts";
import type { ConversationRecord } from "../../data/record.ts";
import { createPrng } from "../../data/prng.ts";
import type { DecodeWeights } from "../../model/generate/decode_weights.ts";
import { generate } from "../../model/generate/generate.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";
import { type HitsBatch, hitsBatch } from "../../reward/batch.ts";
import { type ItemSegments, itemSegments, newlineCounts } from "../rl/item_segments.ts";
import type { TokenDims } from "../rl/shapes.ts";
import { leftTruncate, promptIds } from "../sft/examples.ts";

/** The scored rollouts of one step: P prompts × G samples, G consecutive rows per prompt. */
export interface RolloutBatch {
  /** P prompt id lists (left-truncated), one per prompt */
  prompts: number[][];
  /** B = P·G rows, T = longest completion (EOS included) */
  dims: TokenDims;
  groupSize: number;
  /** (B, T) sampled ids, padded with padId after the completion */
  tokenIds: Int32Array;
  /** (B, T) 1 on sampled tokens (EOS included), 0 on padding */
  mask: Uint8Array;
  /** (B,) decoded texts (EOS and special tokens dropped) */
  texts: string[];
  /** (B, N) hits and per-rollout parse/compliance counts */
  scored: HitsBatch;
  /** item index of each token (padding −1) */
  segments: ItemSegments;
  /** (B,) 1 where the rollout ended with EOS */
  endedEos: Uint8Array;
  /** generated tokens over all rows */
  newTokens: number;
  /** ms spent generating and scoring */
  generateMs: number;
  scoreMs: number;
}

/** Options of {@link sampleRollouts}. */
export interface RolloutOptions {
  tokenizer: TextTokenizer;
  catalog: Catalog;
  /** (V,) newline counts per token id ({@link tokenNewlines}) */
  newlines: Int32Array;
  /** rollouts per prompt G */
  g: number;
  /** list length N @default 20 */
  n?: number;
  maxNewTokens: number;
  maxPromptTokens: number;
  /** @default 1 */
  temperature?: number;
  /** @default 1 */
  topP?: number;
  /** sampling seed of this step ({@link stepSeed}); sample s of prompt key k draws from (seed, k, s) */
  seed: number;
  /** per prompt, the stable key of its stream (its dataset index) */
  promptKeys: readonly number[];
}

/**
 * The sampling seed of RL step `step` under the run's root seed: rollouts are seeded per (step,
 * prompt, sample), independent of batch composition.
 * @example
 * ```ts
 * if (stepSeed(0, 3) !== stepSeed(0, 3)) throw new Error("a pure function of (root seed, step)");
 * if (stepSeed(0, 3) === stepSeed(0, 4)) throw new Error("each step draws its own samples");
 * ```
 */
export function stepSeed(rootSeed: number, step: number): number {
  return createPrng(rootSeed).fork("rl-rollouts").fork(`step ${step}`).nextU32();
}

/**
 * Newline counts of every token id of `tokenizer` (its decoded piece), for itemSegments.
 * @example
 * ```ts
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * const files = trainChatTokenizer(["Heat (1995)\nAlien (1979)\n"], { vocabSize: 300, seed: 0 });
 * const tok = tokenizerFromJson(files.tokenizerJson as never, files.tokenizerConfigJson as never);
 * if (tokenNewlines(tok)[tok.encode("\n")[0]] !== 1) throw new Error("the newline token counts 1");
 * ```
 */
export function tokenNewlines(tokenizer: TextTokenizer): Int32Array {
  return newlineCounts(
    Array.from({ length: tokenizer.vocabSize }, (_, i) => tokenizer.decodeToken(i)),
  );
}

/**
 * Sample G completions per record with the (prepared) policy, decode, score and segment them.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * import { catalogFromItems } from "../../catalog/catalog.ts";
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { prepareDecodeWeights } from "../../model/generate/decode_weights.ts";
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * import { initWeights } from "../../model/weights.ts";
 * const files = trainChatTokenizer(["Heat (1995)\nAlien (1979)\n"], { vocabSize: 300, seed: 0 });
 * const tokenizer = tokenizerFromJson(
 *   files.tokenizerJson as never,
 *   files.tokenizerConfigJson as never,
 * );
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: tokenizer.vocabSize,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const dw = prepareDecodeWeights(initWeights(cfg, { seed: 0 }), cfg); // an untrained policy
 * const catalog = catalogFromItems([
 *   { title: "Heat", year: 1995, meta: {} },
 *   { title: "Alien", year: 1979, meta: {} },
 * ]);
 * const records = [{
 *   prompt: [{ role: "user" as const, content: "more like Heat?" }],
 *   seen_titles: ["Heat"],
 *   groundtruth_with_release_year: [["Alien", "1979"]] as [string, string][],
 * }];
 * const options = {
 *   tokenizer,
 *   catalog,
 *   newlines: tokenNewlines(tokenizer),
 *   g: 4,
 *   maxNewTokens: 8,
 *   maxPromptTokens: 192,
 *   seed: stepSeed(0, 1),
 *   promptKeys: [5],
 * };
 * const batch = await sampleRollouts(dw, records, options);
 * if (batch.dims.b !== 4 || batch.scored.hits.length !== 4 * 20) {
 *   throw new Error("hits are (B, 20)");
 * }
 * deepStrictEqual((await sampleRollouts(dw, records, options)).tokenIds, batch.tokenIds); // seeded
 * ```
 */
export async function sampleRollouts(
  policy: DecodeWeights,
  records: readonly ConversationRecord[],
  options: RolloutOptions,
): Promise<RolloutBatch> {
  const { tokenizer, g } = options;
  const n = options.n ?? 20;
  const padId = tokenizer.padId ?? tokenizer.eosId;
  const t0 = performance.now();
  const prompts = records.map((r) =>
    leftTruncate(promptIds(tokenizer, r), options.maxPromptTokens)
  );
  const { completions } = await generate(policy, prompts, {
    maxNewTokens: options.maxNewTokens,
    temperature: options.temperature ?? 1,
    topP: options.topP ?? 1,
    n: g,
    seed: options.seed,
    promptKeys: options.promptKeys,
    eosIds: [tokenizer.eosId],
    padId,
  });
  const t1 = performance.now();
  const b = completions.length;
  const t = Math.max(1, ...completions.map((c) => c.tokenIds.length));
  const dims = { b, t };
  const tokenIds = new Int32Array(b * t).fill(padId); // (B, T)
  const mask = new Uint8Array(b * t); // (B, T)
  const endedEos = new Uint8Array(b);
  let newTokens = 0;
  const texts = completions.map((c, row) => {
    c.tokenIds.forEach((id, j) => {
      tokenIds[row * t + j] = id;
      mask[row * t + j] = 1;
    });
    newTokens += c.tokenIds.length;
    endedEos[row] = c.finishReason === "eos" ? 1 : 0;
    const ids = c.finishReason === "eos" ? c.tokenIds.slice(0, -1) : c.tokenIds;
    return tokenizer.decode(ids, { skipSpecialTokens: true });
  });
  const contexts = records.map((r) => ({
    seenTitles: r.seen_titles,
    groundTruth: r.groundtruth_with_release_year,
    catalog: options.catalog,
  }));
  const scored = hitsBatch(texts, contexts, { g, n });
  const segments = itemSegments(tokenIds, mask, {
    dims,
    newlines: options.newlines,
    eosId: tokenizer.eosId,
    n,
  });
  return {
    prompts,
    dims,
    groupSize: g,
    tokenIds,
    mask,
    texts,
    scored,
    segments,
    endedEos,
    newTokens,
    generateMs: t1 - t0,
    scoreMs: performance.now() - t1,
  };
}
