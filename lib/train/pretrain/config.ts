// The pretraining run configuration of the built-in base model: corpus, tokenizer, decoder dims and the
// optimiser, one strict zod schema recorded whole in runs/<name>/config.json. Not in the paper (its
// models come pretrained); sizes chosen by measurement, see data/models/builtin-base/README.md.
import { z } from "zod";
import { parseStrictConfig } from "../../data/strict_config.ts";
import { CorpusConfigSchema } from "../../data/world/corpus.ts";
import { BACKEND_NAMES } from "../../model/backend_names.ts";
import { type ModelConfig, parseModelConfig, presetConfig } from "../../model/config.ts";

/** Decoder dimensions of the base (Qwen2 layout; the rest comes from the builtin presets). */
export const BaseDimsSchema = z.strictObject({
  hidden_size: z.int().positive().default(192),
  intermediate_size: z.int().positive().default(512),
  num_hidden_layers: z.int().positive().default(4),
  num_attention_heads: z.int().positive().default(6),
  num_key_value_heads: z.int().positive().default(3),
  max_position_embeddings: z.int().positive().default(1024),
});

/** Schema of a pretraining run (snake_case keys, as written to config.json). */
export const PretrainConfigSchema = z.strictObject({
  /** run folder, e.g. runs/pretrain-base */
  run_dir: z.string().min(1),
  /** the corpus (lib/data/world/corpus.ts); `documents` are the training documents */
  corpus: CorpusConfigSchema.default(CorpusConfigSchema.parse({})),
  /** held-out documents (indices after the training ones) for the eval loss */
  val_documents: z.int().positive().default(400),
  /** documents the tokenizer is trained on (the first ones of the corpus, plus catalog lines) */
  tokenizer_documents: z.int().positive().default(20_000),
  /** ids of the BPE tokenizer, special tokens included */
  vocab_size: z.int().min(260).max(65536).default(4096),
  model: BaseDimsSchema.default(BaseDimsSchema.parse({})),
  seed: z.int().min(0).max(0xffffffff).default(0),
  backend: z.enum(BACKEND_NAMES).default("cpu-blas"),
  /** tokens per packed training row (documents joined by <|endoftext|>, cut into windows) */
  seq_len: z.int().min(8).default(256),
  batch_size: z.int().positive().default(16),
  lr: z.number().positive().default(3e-3),
  min_lr_ratio: z.number().min(0).max(1).default(0.1),
  warmup_ratio: z.number().min(0).max(1).default(0.02),
  weight_decay: z.number().min(0).default(0.01),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.99),
  eps: z.number().positive().default(1e-8),
  max_grad_norm: z.number().positive().default(1),
  /** optimizer steps; null: one epoch over the packed rows */
  max_steps: z.int().positive().nullable().default(null),
  /** held-out loss every N steps (0: only after the last step) */
  eval_every: z.int().min(0).default(200),
  save_every: z.int().positive().default(100),
  keep_checkpoints: z.int().positive().default(2),
  max_bad_steps: z.int().positive().default(3),
});

/** A validated pretraining configuration. */
export type PretrainConfig = z.infer<typeof PretrainConfigSchema>;
/** What {@link parsePretrainConfig} accepts. */
export type PretrainConfigInput = z.input<typeof PretrainConfigSchema>;

/**
 * Validate a pretraining configuration; errors name every offending key.
 * @example
 * ```ts
 * import { strictEqual, throws } from "node:assert";
 * strictEqual(parsePretrainConfig({ run_dir: "runs/p" }).seq_len, 256);
 * throws(() => parsePretrainConfig({ run_dir: "runs/p", seqlen: 128 }), /seqlen/); // a typo fails
 * ```
 */
export function parsePretrainConfig(input: unknown, source = "pretrain config"): PretrainConfig {
  const data = parseStrictConfig(PretrainConfigSchema, input, source);
  if (data.model.num_attention_heads % data.model.num_key_value_heads !== 0) {
    throw new Error(`${source}: "model.num_key_value_heads" must divide num_attention_heads`);
  }
  return data;
}

/**
 * The pretraining presets: "base" (the shipped builtin-base) and "smoke" (seconds, for tests).
 * @example
 * ```ts
 * const cfg = parsePretrainConfig({ ...pretrainPreset("smoke"), run_dir: "runs/p" });
 * if (cfg.max_steps !== 12 || cfg.model.hidden_size !== 32) throw new Error("the smoke preset");
 * ```
 */
export function pretrainPreset(name: "base" | "smoke"): Partial<PretrainConfigInput> {
  if (name === "base") return { corpus: { documents: 80_000 } };
  return {
    corpus: { documents: 400 },
    val_documents: 40,
    tokenizer_documents: 400,
    vocab_size: 400,
    model: {
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
    },
    seq_len: 64,
    batch_size: 4,
    lr: 1e-2,
    max_steps: 12,
    eval_every: 6,
    save_every: 4,
  };
}

/**
 * The base's decoder config: the builtin presets' Qwen2 layout with `config.model`'s dims and the
 * tokenizer's vocabulary and special ids.
 * @example
 * ```ts
 * const cfg = parsePretrainConfig({ run_dir: "runs/p" });
 * const m = baseModelConfig(cfg, { vocabSize: 4096, eosId: 4095, padId: 4093, bosId: null });
 * if (m.vocab_size !== 4096 || m.hidden_size !== 192) {
 *   throw new Error("dims from cfg, vocab from tok");
 * }
 * ```
 */
export function baseModelConfig(
  config: PretrainConfig,
  tok: { vocabSize: number; eosId: number; padId: number | null; bosId: number | null },
): ModelConfig {
  return parseModelConfig({
    ...presetConfig("builtin-small"),
    ...config.model,
    vocab_size: tok.vocabSize,
    eos_token_id: tok.eosId,
    pad_token_id: tok.padId,
    bos_token_id: tok.bosId,
  }, { source: "pretrain model" });
}
