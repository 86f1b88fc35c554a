// Model and training presets for SFT on the built-in world: "builtin-small" (the built-in model) and
// "smoke" (a tiny model and run for tests, < 30 s). Not in the paper (its models are 0.5B–3B).
import { type ModelConfig, parseModelConfig, presetConfig } from "../../model/config.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";
import type { SftConfigInput } from "./config.ts";

/**
 * The decoder config of a preset, sized to `tokenizer` (vocab = its id count; EOS/pad/BOS from it).
 *
 * @example
 * ```ts
 * const cfg = sftModelConfig("builtin-small", tok); // hidden 128, 2 layers, vocab tok.vocabSize
 * ```
 */
export function sftModelConfig(
  name: "builtin-small" | "smoke",
  tokenizer: Pick<TextTokenizer, "vocabSize" | "eosId" | "padId" | "bosId">,
): ModelConfig {
  const base = presetConfig("builtin-small");
  const dims = name === "smoke"
    ? {
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
    }
    : {};
  return parseModelConfig({
    ...base,
    ...dims,
    vocab_size: tokenizer.vocabSize,
    eos_token_id: tokenizer.eosId,
    pad_token_id: tokenizer.padId,
    bos_token_id: tokenizer.bosId,
  }, { source: `sft preset ${name}` });
}

/** Names of the SFT training presets. */
export type SftPresetName = "builtin-small" | "smoke";

/**
 * Training settings of a preset (paths and run folder are the caller's). builtin-small: lr 2e-3 (a
 * from-scratch 1M-parameter model needs far more than the paper's 5e-5 fine-tuning rate), batch 8.
 *
 * @example
 * ```ts
 * parseSftConfig({ ...sftPreset("smoke"), data, val, catalog, tokenizer, run_dir: "runs/smoke" });
 * ```
 */
export function sftPreset(name: SftPresetName): Partial<SftConfigInput> {
  if (name === "smoke") {
    return {
      model: "smoke",
      lr: 3e-3,
      batch_size: 4,
      grad_accum: 1,
      max_steps: 6,
      max_seq_len: 384,
      warmup_ratio: 0.05,
      weight_decay: 0.01,
      eval_every: 0,
      eval_conversations: 4,
      eval_max_new_tokens: 24,
      save_every: 2,
    };
  }
  return {
    model: "builtin-small",
    lr: 2e-3,
    batch_size: 8,
    grad_accum: 1,
    epochs: 3,
    max_seq_len: 512,
    warmup_ratio: 0.05,
    weight_decay: 0.01,
    eval_every: 150,
    eval_conversations: null,
    eval_max_new_tokens: 320,
    save_every: 50,
  };
}
