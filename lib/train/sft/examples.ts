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
 * import { loadTokenizer } from "../../model/tokenizer/load.ts";
 * const tok = await loadTokenizer("data/models/builtin-sft");
 * const prompt = [{ role: "user" as const, content: "USER: Hi.\n" }];
 * const record = { prompt, seen_titles: [], groundtruth_with_release_year: [] };
 * const ids = promptIds(tok, record); // ids of "<|im_start|>user\n…<|im_end|>\n<|im_start|>assistant\n"
 * if (!tok.decode(ids).endsWith("<|im_start|>assistant\n")) throw new Error(tok.decode(ids));
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
 * deepStrictEqual(leftTruncate([1, 2, 3, 4], 2), [3, 4]);
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
 * import { readJsonlAll } from "../../data/jsonl.ts";
 * import { ConversationRecordSchema } from "../../data/record.ts";
 * import { loadTokenizer } from "../../model/tokenizer/load.ts";
 * const tok = await loadTokenizer("data/models/builtin-sft");
 * const path = "tests/fixtures/cli/records.jsonl";
 * const { records } = await readJsonlAll(path, ConversationRecordSchema);
 * const rows = records.map((r) => ({ where: `${path}:${r.line}`, record: r.value }));
 * const { examples, stats } = buildExamples(rows, tok, { maxSeqLen: 512 });
 * if (examples.length !== 2) throw new Error(`${examples.length}`);
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
