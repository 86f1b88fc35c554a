// The tests' tiny decoder: builtin-small's architecture (Qwen2, tied embeddings) at 1 layer, hidden 16,
// 2 heads sharing 1 kv head, vocab 32, with seeded weights. A test whose dims matter overrides them.
import * as tf from "@tensorflow/tfjs";
import { type ModelConfig, parseModelConfig, presetConfig } from "../lib/model/config.ts";
import { type DecoderWeights, initWeights } from "../lib/model/weights.ts";

/** The tiny decoder's dims, on top of presetConfig("builtin-small"). */
export const TINY_MODEL_DIMS = {
  vocab_size: 32,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
} as const;

/**
 * The tiny decoder's config: builtin-small with TINY_MODEL_DIMS, then `overrides`, validated.
 *
 * @example
 * ```ts
 * const config = tinyModelConfig({ vocab_size: 64, num_hidden_layers: 2 });
 * console.log(config.hidden_size); // 16
 * ```
 */
export function tinyModelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return parseModelConfig(
    { ...presetConfig("builtin-small"), ...TINY_MODEL_DIMS, ...overrides },
    { source: "tinyModelConfig" },
  );
}

/**
 * Seeded weights for `config` (initWeights: the same seed gives the same tensors). The caller disposes.
 *
 * @example
 * ```ts
 * const weights = tinyWeights(tinyModelConfig(), 3);
 * ```
 */
export function tinyWeights(config: ModelConfig, seed: number): DecoderWeights {
  return initWeights(config, { seed });
}

/**
 * tinyWeights as trainable tf.Variables (the weight tensors themselves are disposed), for a training step.
 *
 * @example
 * ```ts
 * const params = tinyVariables(tinyModelConfig(), 3, { prefix: "cpu_" }); // "cpu_model.norm.weight", …
 * ```
 */
export function tinyVariables(
  config: ModelConfig,
  seed: number,
  options: {
    /** Prefix of each variable's name (tfjs names must be unique); @default unnamed */
    prefix?: string;
  } = {},
): Record<string, tf.Variable> {
  const weights = tinyWeights(config, seed);
  const { prefix } = options;
  const variable = (k: string, w: tf.Tensor) =>
    prefix === undefined ? tf.variable(w) : tf.variable(w, true, prefix + k);
  const params = Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, variable(k, w)]));
  tf.dispose(Object.values(weights));
  return params;
}
