// The built-in model's tokenizer: byte-level BPE trained on the built-in world's chat-formatted SFT
// text and catalog lines, every digit and every newline its own pre-token. Not in the paper.

import { z } from "zod";
import type { World } from "../../data/world/mod.ts";
import { compileChatTemplate } from "./chat_template.ts";
import { trainByteLevelBpe } from "./train_bpe.ts";

/**
 * Split regex of the world tokenizer: Qwen2's, except that "\n" is always a pre-token of its own
 * (Qwen2 lets punctuation take trailing newlines and joins newline runs), so an item's last token
 * never carries the line break that ends it.
 */
export const WORLD_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+|\\r\\n|[\\r\\n]|[^\\S\\r\\n]+(?!\\S)|[^\\S\\r\\n]+";

/** Special tokens of the world tokenizer, in id order after the BPE vocabulary. */
export const WORLD_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

/** ChatML without a default system turn (Qwen2's format minus tools). */
export const WORLD_CHAT_TEMPLATE = "{%- for message in messages %}" +
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** Options of {@link trainWorldTokenizer} (strict: unknown keys fail). */
export const WorldTokenizerOptionsSchema = z.strictObject({
  /** Total ids, special tokens included. */
  vocabSize: z.int().min(256 + WORLD_SPECIAL_TOKENS.length).max(65536).default(2048),
  /** Orders pairs with equal counts. */
  seed: z.int().min(0).max(0xffffffff).default(0),
});

/** What {@link trainWorldTokenizer} accepts. */
export type WorldTokenizerOptions = z.input<typeof WorldTokenizerOptionsSchema>;

/** A trained tokenizer as the two JSON files of a Hugging Face tokenizer folder. */
export interface TokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfigJson: Record<string, unknown>;
}

/**
 * One catalog line per movie, `Title (Year)`, as items appear in completions.
 * @example catalogLines(world)[0]; // "Slam (1998)"
 */
export function catalogLines(world: Pick<World, "catalog">): string[] {
  return world.catalog.map((m) => `${m.title} (${m.year})`);
}

/**
 * The SFT-format completion of a record: its ground truth, one `Title (Year)` per line.
 * @example completionText({ groundtruth_with_release_year: [["Heat", "1995"], ["Ran", "1985"]] });
 * // "Heat (1995)\nRan (1985)"
 */
export function completionText(
  record: { groundtruth_with_release_year: readonly (readonly [string, string])[] },
): string {
  return record.groundtruth_with_release_year.map(([t, y]) => `${t} (${y})`).join("\n");
}

/**
 * The training text of the world tokenizer: every record (all splits) rendered with the chat
 * template as user prompt + assistant completion, then the catalog as one `Title (Year)` per line.
 * @example worldCorpus(world).length; // records + 1
 */
export function worldCorpus(world: Pick<World, "records" | "catalog">): string[] {
  const render = compileChatTemplate(WORLD_CHAT_TEMPLATE, "WORLD_CHAT_TEMPLATE");
  const texts: string[] = [];
  for (const split of ["train", "val", "test"] as const) {
    for (const r of world.records[split]) {
      texts.push(render([
        { role: "user", content: r.prompt[0].content },
        { role: "assistant", content: completionText(r) },
      ]));
    }
  }
  texts.push(catalogLines(world).join("\n") + "\n");
  return texts;
}

/**
 * Trains the built-in model's tokenizer on the world (deterministic for a world and options) and
 * returns tokenizer.json + tokenizer_config.json values that {@link tokenizerFromJson} and
 * transformers' `PreTrainedTokenizerFast` read.
 * @example
 * const files = trainWorldTokenizer(await generateWorld(), { vocabSize: 2048, seed: 0 });
 * const tok = tokenizerFromJson(files.tokenizerJson, files.tokenizerConfigJson);
 */
export function trainWorldTokenizer(
  world: Pick<World, "records" | "catalog">,
  options: WorldTokenizerOptions = {},
): TokenizerFiles {
  const parsed = WorldTokenizerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`trainWorldTokenizer: options.${i.path.join(".")}: ${i.message}`);
  }
  return trainChatTokenizer(worldCorpus(world), parsed.data);
}

/**
 * Byte-level BPE with the world tokenizer's split pattern, special tokens and ChatML template, trained
 * on any texts (the world's records, or the base model's pretraining corpus); `pattern` replaces the
 * split regex (@default WORLD_SPLIT_PATTERN).
 * @example
 * const files = trainChatTokenizer(["Heat (1995) is a thriller."], { vocabSize: 300, seed: 0 });
 */
export function trainChatTokenizer(
  texts: Iterable<string>,
  options: { vocabSize: number; seed: number; pattern?: string },
): TokenizerFiles {
  const { vocabSize, seed } = options;
  const { tokenizerJson } = trainByteLevelBpe(texts, {
    vocabSize,
    seed,
    pattern: options.pattern ?? WORLD_SPLIT_PATTERN,
    specialTokens: WORLD_SPECIAL_TOKENS,
  });
  const addedTokens = tokenizerJson.added_tokens as { id: number; content: string }[];
  const tokenizerConfigJson = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(addedTokens.map((t) => [String(t.id), {
      content: t.content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: true,
    }])),
    additional_special_tokens: ["<|im_start|>", "<|im_end|>"],
    bos_token: null,
    chat_template: WORLD_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: "<|im_end|>",
    errors: "replace",
    model_max_length: 4096,
    pad_token: "<|endoftext|>",
    split_special_tokens: false,
    tokenizer_class: "PreTrainedTokenizerFast",
    unk_token: null,
  };
  return { tokenizerJson, tokenizerConfigJson };
}
