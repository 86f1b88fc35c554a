// Model and training presets for SFT on the built-in world: "builtin-small" (the built-in model) and
// "smoke" (a tiny model and run for tests, < 30 s). Not in the paper (its models are 0.5B–3B).
import { type ModelConfig, parseModelConfig, presetConfig } from "../../model/config.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";
import { BUILTIN_BASE_DIR } from "../../model/builtin_base.ts";
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
 * Training settings of a preset (paths and run folder are the caller's). builtin-small: fine-tuning
 * of the shipped base (data/models/builtin-base) at lr 3e-3, batch 8, 1 epoch (a 2.4M-parameter model
 * fine-tunes at a far higher rate than the paper's 5e-5 for 0.5B–3B; on the 1,500 distilled train
 * conversations of the default world, val NDCG@20 after one epoch was 0.062 at 3e-3 against 0.050
 * at 1e-3, 60 conversations, data/REPRODUCTION.md session 6); `--from-scratch` / init null
 * trains the builtin-small dims from fresh weights instead. smoke: a tiny model from scratch.
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
    init: BUILTIN_BASE_DIR,
    model: "builtin-small",
    lr: 3e-3,
    batch_size: 8,
    grad_accum: 1,
    epochs: 1,
    max_seq_len: 512,
    warmup_ratio: 0.05,
    weight_decay: 0.01,
    eval_every: 0,
    eval_conversations: 30,
    eval_max_new_tokens: 200,
    save_every: 50,
    // greedy decoding of a small LM repeats items (seen: one title 20 times); item-level UL fixes that
    unlikelihood_weight: 1,
  };
}
