// The SFT run configuration: one strict zod schema (unknown keys fail), recorded whole in
// runs/<name>/config.json with the seed and backend. Defaults follow the paper's SFT (cosine, 5% warm-up).
import { z } from "zod";
import { parseStrictConfig } from "../../data/strict_config.ts";
import { BACKEND_NAMES } from "../../model/backend_names.ts";

/**
 * Model sizes SFT can start from when no checkpoint is given (see sftModelConfig). These name decoder
 * dims, not experiment presets ("smoke" | "default", lib/experiment/presets.ts, which pick one).
 */
export const SFT_MODEL_PRESETS = ["builtin-small", "smoke"] as const;
/** One of {@link SFT_MODEL_PRESETS}. */
export type SftModelSize = typeof SFT_MODEL_PRESETS[number];

/** Schema of an SFT run (snake_case keys, as written to config.json). */
export const SftConfigSchema = z.strictObject({
  /** training records with `completion` (JSONL, JSON array or HF datasets folder) */
  data: z.string().min(1),
  /** validation records (with completion for val loss; ground truth for Recall/NDCG) */
  val: z.string().min(1),
  /** catalog CSV for in-catalog share and hits */
  catalog: z.string().min(1),
  /** tokenizer folder (tokenizer.json + tokenizer_config.json) */
  tokenizer: z.string().min(1),
  /** HF checkpoint folder to start from; null: fresh weights of `model` seeded by `seed` */
  init: z.string().min(1).nullable().default(null),
  /** model size used when `init` is null */
  model: z.enum(SFT_MODEL_PRESETS).default("builtin-small"),
  /** run folder, e.g. runs/sft-builtin */
  run_dir: z.string().min(1),
  seed: z.int().min(0).max(0xffffffff).default(0),
  backend: z.enum(BACKEND_NAMES).default("wasm"),
  /** peak learning rate (paper: 5e-5 for 0.5B–3B models) */
  lr: z.number().positive().default(5e-5),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  weight_decay: z.number().min(0).default(0),
  warmup_ratio: z.number().min(0).max(1).default(0.05),
  /** cosine floor as a fraction of lr */
  min_lr_ratio: z.number().min(0).max(1).default(0),
  max_grad_norm: z.number().positive().default(1),
  /** sequences per micro-batch */
  batch_size: z.int().positive().default(8),
  /** micro-batches per optimizer step */
  grad_accum: z.int().positive().default(1),
  epochs: z.number().positive().default(1),
  /** optimizer steps; null: epochs × steps per epoch */
  max_steps: z.int().positive().nullable().default(null),
  /** tokens per sequence (prompt + completion + EOS); longer prompts are cut from the left */
  max_seq_len: z.int().min(8).default(512),
  /** evaluate every N steps (0: only after the last step) */
  eval_every: z.int().min(0).default(0),
  /** evaluate on the first N unique val conversations; null: all */
  eval_conversations: z.int().positive().nullable().default(null),
  eval_max_new_tokens: z.int().positive().default(320),
  eval_batch_size: z.int().positive().default(16),
  ks: z.array(z.int().positive()).min(1).default([5, 10, 20]),
  /** checkpoint every N steps (the last step is always saved) */
  save_every: z.int().positive().default(50),
  keep_checkpoints: z.int().positive().default(2),
  /** stop after this many consecutive non-finite steps */
  max_bad_steps: z.int().positive().default(3),
  /**
   * weight α of the item-level unlikelihood term (lib/train/sft/unlikelihood.ts; beyond the paper):
   * loss = CE + α·UL per completion token; 0 is the paper's plain cross-entropy
   */
  unlikelihood_weight: z.number().min(0).default(0),
});

/** A validated SFT configuration. */
export type SftConfig = z.infer<typeof SftConfigSchema>;
/** What {@link parseSftConfig} accepts (defaults filled in). */
export type SftConfigInput = z.input<typeof SftConfigSchema>;

/**
 * Validate an SFT configuration; errors name every offending key and what was expected.
 *
 * @example
 * ```ts
 * const cfg = parseSftConfig({ data: "t.jsonl", val: "v.jsonl", catalog: "c.csv", tokenizer: "tok", run_dir: "runs/a" });
 * cfg.warmup_ratio; // 0.05
 * ```
 */
export function parseSftConfig(input: unknown, source = "sft config"): SftConfig {
  return parseStrictConfig(SftConfigSchema, input, source);
}
