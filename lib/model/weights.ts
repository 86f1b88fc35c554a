// Decoder weights keyed by HF tensor names ([out, in] linear layout), their expected shapes, and HF's
// seeded init: normal(0, initializer_range) for linear/embedding weights, zeros for biases, ones for norms.
import * as tf from "@tensorflow/tfjs";
import { headDim, mlpBias, type ModelConfig, oBias, qkvBias, tiedEmbeddings } from "./config.ts";

/** Weights keyed by HF names, e.g. `model.layers.0.self_attn.q_proj.weight` → [out, in]. */
export type DecoderWeights = Record<string, tf.Tensor>;

/** One expected tensor: its HF name, shape and how HF initialises it. */
export interface WeightSpec {
  name: string;
  shape: number[];
  init: "normal" | "zeros" | "ones";
}

/**
 * Every tensor the decoder needs for `config`, in HF order (lm_head only when untied).
 *
 * @example
 * ```ts
 * import { presetConfig } from "./config.ts";
 * const specs = weightSpecs(presetConfig("builtin-small"));
 * console.log(specs[0]); // { name: "model.embed_tokens.weight", shape: [2048, 128], init: "normal" }
 * ```
 */
export function weightSpecs(config: ModelConfig): WeightSpec[] {
  const d = config.hidden_size, hd = headDim(config), ff = config.intermediate_size;
  const q = config.num_attention_heads * hd, kv = config.num_key_value_heads * hd;
  const specs: WeightSpec[] = [
    { name: "model.embed_tokens.weight", shape: [config.vocab_size, d], init: "normal" },
  ];
  const linear = (name: string, out: number, inp: number, bias: boolean) => {
    specs.push({ name: `${name}.weight`, shape: [out, inp], init: "normal" });
    if (bias) specs.push({ name: `${name}.bias`, shape: [out], init: "zeros" });
  };
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    specs.push({ name: `${p}.input_layernorm.weight`, shape: [d], init: "ones" });
    linear(`${p}.self_attn.q_proj`, q, d, qkvBias(config));
    linear(`${p}.self_attn.k_proj`, kv, d, qkvBias(config));
    linear(`${p}.self_attn.v_proj`, kv, d, qkvBias(config));
    linear(`${p}.self_attn.o_proj`, d, q, oBias(config));
    specs.push({ name: `${p}.post_attention_layernorm.weight`, shape: [d], init: "ones" });
    linear(`${p}.mlp.gate_proj`, ff, d, mlpBias(config));
    linear(`${p}.mlp.up_proj`, ff, d, mlpBias(config));
    linear(`${p}.mlp.down_proj`, d, ff, mlpBias(config));
  }
  specs.push({ name: "model.norm.weight", shape: [d], init: "ones" });
  if (!tiedEmbeddings(config)) {
    specs.push({ name: "lm_head.weight", shape: [config.vocab_size, d], init: "normal" });
  }
  return specs;
}

/** 32-bit FNV-1a of `seed` and `name`: an independent, stable sub-seed per tensor. */
export function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${name}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/**
 * Fresh weights with HF's init, seeded per tensor from `seed` (same seed → same weights on any backend).
 *
 * @example
 * ```ts
 * import { presetConfig } from "./config.ts";
 * const w = initWeights(presetConfig("builtin-small"), { seed: 0 });
 * disposeWeights(w);
 * ```
 */
export function initWeights(config: ModelConfig, options: { seed: number }): DecoderWeights {
  const std = config.initializer_range ?? 0.02;
  const weights: DecoderWeights = {};
  for (const s of weightSpecs(config)) {
    weights[s.name] = s.init === "normal"
      ? tf.randomNormal(s.shape, 0, std, "float32", tensorSeed(options.seed, s.name))
      : s.init === "zeros"
      ? tf.zeros(s.shape)
      : tf.ones(s.shape);
  }
  return weights;
}

/**
 * Check `weights` holds every tensor `config` needs with the right shape; errors list what is wrong.
 *
 * @example
 * ```ts
 * import { presetConfig } from "./config.ts";
 * const cfg = presetConfig("builtin-small");
 * checkWeights(initWeights(cfg, { seed: 1 }), cfg, { source: "init" }); // throws on a missing or misshapen tensor
 * ```
 */
export function checkWeights(
  weights: DecoderWeights,
  config: ModelConfig,
  options: { source?: string } = {},
): void {
  const problems: string[] = [];
  for (const s of weightSpecs(config)) {
    const t = weights[s.name];
    if (!t) problems.push(`missing tensor "${s.name}" (expected shape [${s.shape}])`);
    else if (t.shape.join(",") !== s.shape.join(",")) {
      problems.push(`tensor "${s.name}": shape [${t.shape}], expected [${s.shape}]`);
    }
  }
  if (problems.length) {
    throw new Error(`${options.source ?? "weights"}: ${problems.join("; ")}`);
  }
}

/** Dispose every tensor in `weights`. */
export function disposeWeights(weights: DecoderWeights): void {
  Object.values(weights).forEach((t) => t.dispose());
}
