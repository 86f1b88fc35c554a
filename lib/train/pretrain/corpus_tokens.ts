// The base model's tokenizer and token stream: BPE trained on the first corpus documents plus every
// catalog line and the recommendation prompt's wording; documents encoded, joined by <|endoftext|> and
// cut into fixed windows (GPT-style packing). Not in the paper.
import { type CorpusContext, corpusContext, corpusDocument } from "../../data/world/corpus.ts";
import { RECOMMENDATION_PROMPT_PREFIX } from "../../data/world/prompt.ts";
import { type TextTokenizer, tokenizerFromJson } from "../../model/tokenizer/load.ts";
import {
  type TokenizerFiles,
  trainChatTokenizer,
  WORLD_SPLIT_PATTERN,
} from "../../model/tokenizer/world_tokenizer.ts";
import type { SftExample } from "../sft/examples.ts";
import type { PretrainConfig } from "./config.ts";

/**
 * The world tokenizer's split regex with runs of up to four digits as one pre-token (so a release year
 * can be one id: `Heat (1995)` costs 4–5 ids instead of 8).
 */
export const BASE_SPLIT_PATTERN = WORLD_SPLIT_PATTERN.replace("|\\p{N}|", "|\\p{N}{1,4}|");

/**
 * Tokenizer texts: corpus documents 0..documents-1, the catalog as `Title (Year)` lines and the prompt
 * wrapper's wording (repeated so its words merge, as any pretrained tokenizer would have them).
 * @example Reads the shipped vega-datasets movies (--allow-read)
 * ```ts
 * import { corpusContext } from "../../data/world/corpus.ts";
 * const ctx = await corpusContext({ documents: 100 });
 * const texts = baseTokenizerTexts(ctx, 100);
 * if (texts.length !== 100 + 1 + 50) throw new Error("documents, the catalog, 50 prompt wrappers");
 * ```
 */
export function baseTokenizerTexts(ctx: CorpusContext, documents: number): string[] {
  const texts = Array.from({ length: documents }, (_, i) => corpusDocument(ctx, i).text);
  texts.push(ctx.features.movies.map((m) => `${m.title} (${m.year})`).join("\n") + "\n");
  for (let k = 0; k < 50; k++) texts.push(RECOMMENDATION_PROMPT_PREFIX);
  return texts;
}

/**
 * Train the base tokenizer (deterministic for a corpus config and options).
 * @example Reads the shipped vega-datasets movies (--allow-read)
 * ```ts
 * import { corpusContext } from "../../data/world/corpus.ts";
 * const ctx = await corpusContext({ documents: 20 });
 * const files = trainBaseTokenizer(ctx, { vocabSize: 300, documents: 20, seed: 0 });
 * const again = trainBaseTokenizer(ctx, { vocabSize: 300, documents: 20, seed: 0 });
 * if (JSON.stringify(files) !== JSON.stringify(again)) throw new Error("deterministic");
 * ```
 */
export function trainBaseTokenizer(
  ctx: CorpusContext,
  options: { vocabSize: number; documents: number; seed: number },
): TokenizerFiles {
  return trainChatTokenizer(baseTokenizerTexts(ctx, options.documents), {
    vocabSize: options.vocabSize,
    seed: options.seed,
    pattern: BASE_SPLIT_PATTERN,
  });
}

/**
 * Documents `from..to-1` encoded and joined, each followed by `separatorId`: one flat id stream.
 * @example Reads the shipped vega-datasets movies (--allow-read)
 * ```ts
 * import { corpusContext } from "../../data/world/corpus.ts";
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * const ctx = await corpusContext({ documents: 20 });
 * const files = trainBaseTokenizer(ctx, { vocabSize: 300, documents: 20, seed: 0 });
 * const tok = tokenizerFromJson(files.tokenizerJson as never, files.tokenizerConfigJson as never);
 * const sep = tok.padId ?? tok.eosId;
 * const ids = packDocuments(ctx, tok, 0, 3, sep); // (n,)
 * if (ids.filter((id) => id === sep).length !== 3) throw new Error("one separator per document");
 * ```
 */
export function packDocuments(
  ctx: CorpusContext,
  tokenizer: TextTokenizer,
  from: number,
  to: number,
  separatorId: number,
): Int32Array {
  const chunks: number[][] = [];
  let n = 0;
  for (let i = from; i < to; i++) {
    const ids = tokenizer.encode(corpusDocument(ctx, i).text, { addSpecialTokens: false });
    ids.push(separatorId);
    chunks.push(ids);
    n += ids.length;
  }
  const out = new Int32Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * How many windows of `seqLen` inputs (+1 target) a stream of `n` ids holds.
 * @example
 * ```ts
 * if (windowCount(11, 5) !== 2) throw new Error("2 windows of 5 inputs + 1 target");
 * if (windowCount(5, 5) !== 0) throw new Error("the last target is missing");
 * ```
 */
export function windowCount(n: number, seqLen: number): number {
  return Math.max(0, Math.floor((n - 1) / seqLen));
}

/**
 * Window `j` as a training example: ids[j·S .. j·S+S] (S+1 ids; every next-token target carries loss).
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(streamWindow(Int32Array.from([1, 2, 3, 4, 5]), 1, 2), {
 *   ids: [3, 4, 5],
 *   promptLength: 0,
 *   where: "corpus window 1",
 * });
 * ```
 */
export function streamWindow(stream: Int32Array, j: number, seqLen: number): SftExample {
  const start = j * seqLen;
  return {
    ids: Array.from(stream.subarray(start, start + seqLen + 1)),
    promptLength: 0,
    where: `corpus window ${j}`,
  };
}

/** What {@link pretrainCorpus} builds: the base tokenizer and the packed train / held-out streams. */
export interface PretrainCorpus {
  tokFiles: TokenizerFiles;
  tokenizer: TextTokenizer;
  /** <|endoftext|> between documents (also the padding id) */
  sep: number;
  /** (n,) the training documents packed into one id stream */
  stream: Int32Array;
  /** training windows of seq_len in `stream` */
  windows: number;
  /** the held-out documents' windows */
  val: SftExample[];
  /** ids in the held-out stream */
  valTokens: number;
}

/**
 * The base tokenizer trained on the corpus' first documents, the corpus packed into `seq_len` windows,
 * and the held-out windows from the next `val_documents` documents; fails when the corpus gives fewer
 * windows than one batch.
 * @example Reads the shipped vega-datasets movies (--allow-read)
 * ```ts
 * import { parsePretrainConfig, pretrainPreset } from "./config.ts";
 * const config = parsePretrainConfig({ ...pretrainPreset("smoke"), run_dir: "-" });
 * const { tokenizer, windows, val } = await pretrainCorpus(config);
 * if (tokenizer.vocabSize !== 400 || windows < config.batch_size || val.length === 0) {
 *   throw new Error(`vocab ${tokenizer.vocabSize}, ${windows} windows, ${val.length} held out`);
 * }
 * ```
 */
export async function pretrainCorpus(config: PretrainConfig): Promise<PretrainCorpus> {
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
  const sep = tokenizer.padId ?? tokenizer.eosId;
  const docs = config.corpus.documents;
  const stream = packDocuments(ctx, tokenizer, 0, docs, sep); // (n,)
  const valStream = packDocuments(ctx, tokenizer, docs, docs + config.val_documents, sep);
  const windows = windowCount(stream.length, config.seq_len);
  const val = Array.from(
    { length: windowCount(valStream.length, config.seq_len) },
    (_, j) => streamWindow(valStream, j, config.seq_len),
  );
  if (windows < config.batch_size) {
    throw new Error(
      `pretrain: the corpus packs into ${windows} windows of ${config.seq_len}, fewer than batch_size ${config.batch_size}: raise corpus.documents`,
    );
  }
  return { tokFiles, tokenizer, sep, stream, windows, val, valTokens: valStream.length };
}
