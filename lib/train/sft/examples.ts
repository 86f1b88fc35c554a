// SFT examples: chat-templated prompt ids + completion ids + EOS, with a length cap that cuts the prompt
// from the left (the conversation's end is kept) and counts the records it touched. Not in the paper.
import { completionText, type ConversationRecord } from "../../data/record.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";

/** One tokenized training sequence; loss is taken on ids[promptLength..] (completion + EOS). */
export interface SftExample {
  ids: number[];
  promptLength: number;
  where: string;
}

/** How many records the length cap touched. */
export interface LengthStats {
  /** records whose prompt was cut from the left */
  truncated: number;
  /** records dropped because completion + EOS alone left no room for a prompt token */
  dropped: number;
}

/**
 * Prompt token ids: the record's messages through the chat template with the assistant opening.
 *
 * @example
 * ```ts
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * const files = trainChatTokenizer(["Any film like Heat (1995)?"], { vocabSize: 300, seed: 0 });
 * const tok = tokenizerFromJson(files.tokenizerJson as never, files.tokenizerConfigJson as never);
 * const record = {
 *   prompt: [{ role: "user" as const, content: "Any film like Heat (1995)?" }],
 *   seen_titles: [],
 *   groundtruth_with_release_year: [],
 * };
 * const ids = promptIds(tok, record);
 * const text = tok.decode(ids, { skipSpecialTokens: false });
 * // "<|im_start|>user\n…<|im_end|>\n<|im_start|>assistant\n"
 * if (!text.startsWith("<|im_start|>user\n") || !text.endsWith("<|im_start|>assistant\n")) {
 *   throw new Error(text);
 * }
 * ```
 */
export function promptIds(tokenizer: TextTokenizer, record: ConversationRecord): number[] {
  const text = tokenizer.applyChatTemplate(record.prompt, { addGenerationPrompt: true });
  return tokenizer.encode(text, { addSpecialTokens: false });
}

/**
 * Keep the last `max` ids (the left is cut). Returns the ids unchanged when they fit.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(leftTruncate([1, 2, 3, 4], 2), [3, 4]); // the conversation's end is kept
 * deepStrictEqual(leftTruncate([1, 2], 5), [1, 2]);
 * ```
 */
export function leftTruncate(ids: readonly number[], max: number): number[] {
  return ids.length <= max ? [...ids] : ids.slice(ids.length - max);
}

/**
 * Tokenize records into examples of at most `maxSeqLen` ids. A record without `completion` is an error
 * naming where it came from.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * const files = trainChatTokenizer(["Like Heat (1995)?\nAlien (1979)"], {
 *   vocabSize: 300,
 *   seed: 0,
 * });
 * const tok = tokenizerFromJson(files.tokenizerJson as never, files.tokenizerConfigJson as never);
 * const record = {
 *   prompt: [{ role: "user" as const, content: "Like Heat (1995)?" }],
 *   completion: [{ role: "assistant" as const, content: "Alien (1979)" }],
 *   seen_titles: [],
 *   groundtruth_with_release_year: [],
 * };
 * const { examples, stats } = buildExamples([{ where: "train.jsonl:1", record }], tok, {
 *   maxSeqLen: 512,
 * });
 * deepStrictEqual(stats, { truncated: 0, dropped: 0 });
 * const [ex] = examples; // prompt ids, then the completion and EOS (where the loss is taken)
 * deepStrictEqual(ex.ids.slice(ex.promptLength), [...tok.encode("Alien (1979)"), tok.eosId]);
 * ```
 */
export function buildExamples(
  records: readonly { where: string; record: ConversationRecord }[],
  tokenizer: TextTokenizer,
  options: { maxSeqLen: number },
): { examples: SftExample[]; stats: LengthStats } {
  const stats: LengthStats = { truncated: 0, dropped: 0 };
  const examples: SftExample[] = [];
  for (const { where, record } of records) {
    const text = completionText(record);
    if (text === null) {
      throw new Error(`${where}: field "completion": expected an assistant completion for SFT`);
    }
    const completion = [...tokenizer.encode(text, { addSpecialTokens: false }), tokenizer.eosId];
    const room = options.maxSeqLen - completion.length;
    if (room < 1) {
      stats.dropped++;
      continue;
    }
    const full = promptIds(tokenizer, record);
    const prompt = leftTruncate(full, room);
    if (prompt.length < full.length) stats.truncated++;
    examples.push({ ids: [...prompt, ...completion], promptLength: prompt.length, where });
  }
  return { examples, stats };
}
