// Model sizes SFT can start from with fresh weights: "builtin-small" (the built-in model's dims) and
// "smoke" (a tiny model for tests). Model sizes, not experiment presets: how big a run is (world, SFT
// and RL settings, "smoke" | "default") is lib/experiment/presets.ts. Not in the paper (0.5B–3B).
import { type ModelConfig, parseModelConfig, presetConfig } from "../../model/config.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";
import type { SftModelSize } from "./config.ts";

/**
 * The decoder config of a model size, sized to `tokenizer` (vocab = its id count; EOS/pad/BOS from it).
 *
 * @example
 * ```ts
 * const cfg = sftModelConfig("builtin-small", { vocabSize: 300, eosId: 299, padId: 298, bosId: null });
 * if (cfg.vocab_size !== 300 || cfg.eos_token_id !== 299) throw new Error("the tokenizer's ids");
 * ```
 */
export function sftModelConfig(
  name: SftModelSize,
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
  }, { source: `sft model ${name}` });
}
