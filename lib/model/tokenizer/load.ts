// Loads a Hugging Face tokenizer folder (tokenizer.json + tokenizer_config.json) through
// @huggingface/tokenizers and exposes the few calls the model stack needs. Not in the paper.

import { Tokenizer } from "@huggingface/tokenizers";
import { z } from "zod";
import { type ChatMessage, type ChatRenderer, compileChatTemplate } from "./chat_template.ts";
import { fromByteLevel } from "./byte_level.ts";
import type { TokenizerFiles } from "./world_tokenizer.ts";

/** Options of {@link TextTokenizer.encode}. */
export interface EncodeOptions {
  /** Add the post-processor's special tokens (e.g. Llama-3's BOS). @default false */
  addSpecialTokens?: boolean;
}

/** Options of {@link TextTokenizer.decode}. */
export interface DecodeOptions {
  /** Drop special added tokens (EOS, chat markers) from the text. @default false */
  skipSpecialTokens?: boolean;
}

/** Options of {@link TextTokenizer.applyChatTemplate}. */
export interface ChatTemplateCallOptions {
  /** Append the opening of an assistant turn. @default false */
  addGenerationPrompt?: boolean;
}

/** A loaded tokenizer: the surface the decoder, generation and training use. */
export interface TextTokenizer {
  /** Token ids of `text` (no BOS unless `addSpecialTokens`). */
  encode(text: string, options?: EncodeOptions): number[];
  /** Text of a token id sequence (invalid UTF-8 becomes U+FFFD). */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /** Text piece of one token (a partial UTF-8 byte sequence decodes to U+FFFD). */
  decodeToken(id: number): string;
  /** Exact bytes of one token (an added token gives the UTF-8 of its content). */
  tokenBytes(id: number): Uint8Array;
  /** Number of ids: max id over vocabulary and added tokens, plus one. */
  vocabSize: number;
  /** End-of-sequence id (tokenizer_config `eos_token`). */
  eosId: number;
  /** Beginning-of-sequence id, or null when the config names none. */
  bosId: number | null;
  /** Padding id, or null when the config names none. */
  padId: number | null;
  /** Special added tokens: content → id. */
  specialTokens: Record<string, number>;
  /** The Jinja chat template, or null when the folder has none. */
  chatTemplate: string | null;
  /** Renders `messages` with the chat template (encode the result with `addSpecialTokens: false`). */
  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatTemplateCallOptions): string;
}

const AddedTokenSchema = z.object({
  id: z.int().min(0),
  content: z.string().min(1),
  special: z.boolean().optional(),
});

/** What this loader relies on in tokenizer.json (other fields pass through to the library). */
const TokenizerJsonSchema = z.object({
  added_tokens: z.array(AddedTokenSchema).default([]),
  model: z.object({
    type: z.literal("BPE"),
    vocab: z.record(z.string(), z.int().min(0)),
    merges: z.union([z.array(z.string()), z.array(z.tuple([z.string(), z.string()]))]),
  }).loose(),
}).loose();

const TokenValue = z.union([z.string(), z.object({ content: z.string() }).loose(), z.null()]);

/** What this loader relies on in tokenizer_config.json (other fields pass through). */
const TokenizerConfigSchema = z.object({
  eos_token: TokenValue.optional(),
  bos_token: TokenValue.optional(),
  pad_token: TokenValue.optional(),
  chat_template: z.union([
    z.string(),
    z.array(z.object({ name: z.string(), template: z.string() })),
  ]).nullable().optional(),
  clean_up_tokenization_spaces: z.boolean().optional(),
}).loose();

/** Parsed tokenizer.json (the fields checked here; the rest kept as is). */
export type TokenizerJson = z.infer<typeof TokenizerJsonSchema>;
/** Parsed tokenizer_config.json (the fields checked here; the rest kept as is). */
export type TokenizerConfigJson = z.infer<typeof TokenizerConfigSchema>;

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 5).map((i) =>
    `${i.path.join(".") || "(root)"}: ${i.message}`
  );
  throw new Error(`${where}: not a supported tokenizer file: ${issues.join("; ")}`);
}

function tokenContent(value: z.infer<typeof TokenValue> | undefined): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? value : value.content;
}

function pickTemplate(value: TokenizerConfigJson["chat_template"]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  return (value.find((t) => t.name === "default") ?? value[0])?.template ?? null;
}

/** Options of {@link tokenizerFromJson}. */
export interface FromJsonOptions {
  /** Chat template that overrides tokenizer_config's (e.g. from chat_template.jinja). */
  chatTemplate?: string | null;
  /** Where the JSON came from, for error messages. @default "tokenizer.json" */
  source?: string;
}

/**
 * Builds a tokenizer from already-parsed tokenizer.json and tokenizer_config.json values.
 * @example
 * const tok = tokenizerFromJson(JSON.parse(json), JSON.parse(config));
 * tok.decode(tok.encode("Heat (1995)\n")); // "Heat (1995)\n"
 */
export function tokenizerFromJson(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  options: FromJsonOptions = {},
): TextTokenizer {
  const source = options.source ?? "tokenizer.json";
  const json = parseOrThrow(TokenizerJsonSchema, tokenizerJson, source);
  const config = parseOrThrow(
    TokenizerConfigSchema,
    tokenizerConfig,
    source.replace(/tokenizer\.json$/, "tokenizer_config.json"),
  );
  const cleanUp = config.clean_up_tokenization_spaces ?? false;
  const lib = new Tokenizer(json, config);
  const pieces: string[] = [];
  for (const [piece, id] of Object.entries(json.model.vocab)) pieces[id] = piece;
  const specialTokens: Record<string, number> = {};
  const addedById = new Map<number, string>();
  for (const t of json.added_tokens) {
    pieces[t.id] = t.content;
    addedById.set(t.id, t.content);
    if (t.special) specialTokens[t.content] = t.id;
  }
  const vocabSize = pieces.length;
  const idOf = (field: string, content: string | null, required: boolean): number | null => {
    if (content === null) {
      if (required) throw new Error(`${source}: tokenizer_config.json: ${field}: expected a token`);
      return null;
    }
    const id = lib.token_to_id(content);
    if (id === undefined) {
      throw new Error(
        `${source}: tokenizer_config.json: ${field}: "${content}" is not in the vocab`,
      );
    }
    return id;
  };
  const eosId = idOf("eos_token", tokenContent(config.eos_token), true)!;
  const bosId = idOf("bos_token", tokenContent(config.bos_token), false);
  const padId = idOf("pad_token", tokenContent(config.pad_token), false);
  const chatTemplate = options.chatTemplate !== undefined
    ? options.chatTemplate
    : pickTemplate(config.chat_template);
  const render: ChatRenderer | null = chatTemplate === null
    ? null
    : compileChatTemplate(chatTemplate, `${source}: chat_template`);
  const specialText: Record<string, string | null> = {
    bos_token: tokenContent(config.bos_token),
    eos_token: tokenContent(config.eos_token),
    pad_token: tokenContent(config.pad_token),
  };

  const checkId = (id: number, where: string): void => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize || pieces[id] === undefined) {
      throw new Error(`${source}: ${where}: id ${id} is not in the vocab (size ${vocabSize})`);
    }
  };

  return {
    encode(text, { addSpecialTokens = false } = {}) {
      const ids = lib.encode(text, { add_special_tokens: addSpecialTokens }).ids;
      for (let i = 0; i < ids.length; i++) {
        if (ids[i] === undefined) {
          throw new Error(`${source}: encode: piece ${i} of ${JSON.stringify(text)} has no id`);
        }
      }
      return ids;
    },
    decode(ids, { skipSpecialTokens = false } = {}) {
      const list = Array.from(ids);
      list.forEach((id, i) => checkId(id, `decode: ids[${i}]`));
      if (list.length === 0) return "";
      return lib.decode(list, {
        skip_special_tokens: skipSpecialTokens,
        clean_up_tokenization_spaces: cleanUp,
      });
    },
    decodeToken(id) {
      checkId(id, "decodeToken");
      return lib.decode([id], { clean_up_tokenization_spaces: false });
    },
    tokenBytes(id) {
      checkId(id, "tokenBytes");
      const added = addedById.get(id);
      if (added !== undefined) return new TextEncoder().encode(added);
      const bytes = fromByteLevel(pieces[id]);
      if (bytes === null) {
        throw new Error(`${source}: tokenBytes: piece of id ${id} is not byte-level text`);
      }
      return bytes;
    },
    vocabSize,
    eosId,
    bosId,
    padId,
    specialTokens,
    chatTemplate,
    applyChatTemplate(messages, { addGenerationPrompt = false } = {}) {
      if (render === null) {
        throw new Error(`${source}: applyChatTemplate: tokenizer_config.json has no chat_template`);
      }
      return render(messages, { addGenerationPrompt, specialText });
    },
  };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: invalid JSON: ${(err as Error).message}`);
  }
}

async function readOptionalJson(path: string): Promise<Record<string, unknown>> {
  const text = await readOptionalText(path);
  if (text === null) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: invalid JSON: ${(err as Error).message}`);
  }
}

async function readOptionalText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/**
 * Loads `dir/tokenizer.json` and `dir/tokenizer_config.json` (plus `dir/chat_template.jinja` when
 * present, which wins over the config's template, as in transformers; `special_tokens_map.json`
 * fills special tokens the config lacks). No network.
 * @example
 * const tok = await loadTokenizer("tests/fixtures/tokenizer/tiny_qwen2");
 * tok.encode("hello"); // [...]
 */
export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const tokenizerJson = await readJson(`${dir}/tokenizer.json`);
  const specialMap = await readOptionalJson(`${dir}/special_tokens_map.json`);
  const config = { ...specialMap, ...await readOptionalJson(`${dir}/tokenizer_config.json`) };
  const jinja = await readOptionalText(`${dir}/chat_template.jinja`);
  return tokenizerFromJson(tokenizerJson, config, {
    source: `${dir}/tokenizer.json`,
    ...(jinja !== null ? { chatTemplate: jinja } : {}),
  });
}

/**
 * The raw JSON of `dir/tokenizer.json` (required) and `dir/tokenizer_config.json` (`{}` when absent),
 * as checkpoints save them next to the weights.
 * @example
 * const files = await readTokenizerFiles("tests/fixtures/tokenizer/tiny_qwen2");
 * await saveTokenizer("runs/a/checkpoints/step-1", files);
 */
export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  return {
    tokenizerJson: await readJson(`${dir}/tokenizer.json`) as Record<string, unknown>,
    tokenizerConfigJson: await readOptionalJson(`${dir}/tokenizer_config.json`),
  };
}

/**
 * Fail when the init checkpoint ships a tokenizer whose vocabulary differs from the one training
 * reads: ids would mean other strings than the weights learned. A folder without tokenizer.json passes.
 * @example
 * const files = await readTokenizerFiles("data/models/builtin-base");
 * await assertSameVocabulary("data/models/builtin-sft", "data/models/builtin-base", files); // same vocab: ok
 */
export async function assertSameVocabulary(
  init: string,
  tokenizerDir: string,
  files: TokenizerFiles,
): Promise<void> {
  let initJson: Record<string, unknown>;
  try {
    initJson = JSON.parse(await Deno.readTextFile(`${init}/tokenizer.json`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return; // a bare weights folder: nothing to compare
    throw new Error(`${init}/tokenizer.json: ${(e as Error).message}`);
  }
  const vocab = (j: Record<string, unknown>) =>
    JSON.stringify((j.model as { vocab?: unknown })?.vocab);
  if (vocab(initJson) !== vocab(files.tokenizerJson)) {
    throw new Error(
      `${tokenizerDir}/tokenizer.json: vocabulary differs from the init checkpoint's (${init}/tokenizer.json); train with the checkpoint's tokenizer (--tokenizer ${init})`,
    );
  }
}
