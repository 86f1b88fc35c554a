// HF `config.json` schema for Llama / Qwen2 decoders, plus presets. Departs from design.md's strict schemas:
// real HF configs carry dozens of extra keys, kept (and written back on save) but ignored.
import { z } from "zod";

const positiveInt = z.number().int().positive();
const tokenIds = z.union([z.number().int(), z.array(z.number().int())]).nullable().optional();

/** Llama-3 ("llama3") and linear RoPE scaling, as written in HF configs (`rope_type` or legacy `type`). */
const ropeScalingSchema = z.union([
  z.looseObject({
    rope_type: z.literal("llama3").optional(),
    type: z.literal("llama3").optional(),
    factor: z.number().positive(),
    low_freq_factor: z.number().positive(),
    high_freq_factor: z.number().positive(),
    original_max_position_embeddings: positiveInt,
  }).refine((s) => s.rope_type === "llama3" || s.type === "llama3", {
    message: 'expected rope_type "llama3"',
  }).refine((s) => s.high_freq_factor > s.low_freq_factor, {
    message: "expected high_freq_factor > low_freq_factor",
  }),
  z.looseObject({
    rope_type: z.literal("linear").optional(),
    type: z.literal("linear").optional(),
    factor: z.number().positive(),
  }).refine((s) => s.rope_type === "linear" || s.type === "linear", {
    message: 'expected rope_type "linear"',
  }),
]);

/** Zod schema of the keys the decoder reads from an HF `config.json`; other keys pass through untouched. */
export const modelConfigSchema = z.looseObject({
  model_type: z.enum(["llama", "qwen2"]),
  architectures: z.array(z.string()).optional(),
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt,
  head_dim: positiveInt.nullable().optional(),
  hidden_act: z.literal("silu").optional(),
  rms_norm_eps: z.number().positive(),
  rope_theta: z.number().positive(),
  rope_scaling: ropeScalingSchema.nullable().optional(),
  max_position_embeddings: positiveInt,
  tie_word_embeddings: z.boolean().optional(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  use_sliding_window: z.literal(false, {
    message: "sliding-window attention is not supported (expected false)",
  }).optional(),
  initializer_range: z.number().positive().optional(),
  bos_token_id: tokenIds,
  eos_token_id: tokenIds,
  pad_token_id: tokenIds,
  torch_dtype: z.string().nullable().optional(),
}).refine((c) => c.num_attention_heads % c.num_key_value_heads === 0, {
  message: "num_attention_heads must be a multiple of num_key_value_heads",
  path: ["num_key_value_heads"],
}).refine((c) => c.head_dim != null || c.hidden_size % c.num_attention_heads === 0, {
  message: "hidden_size must be a multiple of num_attention_heads when head_dim is absent",
  path: ["hidden_size"],
});

/** A validated HF decoder config (HF key names; unknown keys preserved). */
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/**
 * transformers ≥ 5 writes RoPE settings as `rope_parameters: {rope_type, rope_theta, …scaling}` instead of
 * top-level `rope_theta` + `rope_scaling`; map that form onto the older keys (which keep precedence when
 * both are present). Other input passes through unchanged.
 *
 * @example
 * ```ts
 * const json = fromRopeParameters({ rope_parameters: { rope_type: "default", rope_theta: 1e6 } });
 * if ((json as { rope_theta: number }).rope_theta !== 1e6) throw new Error(JSON.stringify(json));
 * // { rope_parameters: { … }, rope_theta: 1e6, rope_scaling: null }
 * ```
 */
export function fromRopeParameters(json: unknown): unknown {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return json;
  const c = json as Record<string, unknown>;
  const p = c.rope_parameters;
  if (typeof p !== "object" || p === null || Array.isArray(p)) return json;
  const { rope_theta, ...scaling } = p as Record<string, unknown>;
  const kind = scaling.rope_type ?? scaling.type;
  return {
    ...c,
    rope_theta: c.rope_theta ?? rope_theta,
    rope_scaling: c.rope_scaling ?? (kind === undefined || kind === "default" ? null : scaling),
  };
}

/**
 * Validate a parsed `config.json` object. Errors name the source and every offending key.
 *
 * @example
 * ```ts
 * const cfg = parseModelConfig(presetConfig("builtin-small"), { source: "preset" });
 * console.log(cfg.hidden_size); // 128
 * ```
 */
export function parseModelConfig(json: unknown, options: { source?: string } = {}): ModelConfig {
  const source = options.source ?? "config.json";
  const result = modelConfigSchema.safeParse(fromRopeParameters(json));
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const key = i.path.join(".") || "(root)";
      const missing = i.code === "invalid_type" && i.message.endsWith("received undefined");
      return `${source}: key "${key}": ${
        missing ? `missing required key (${i.message})` : i.message
      }`;
    });
    throw new Error(`invalid model config:\n  ${problems.join("\n  ")}`);
  }
  return result.data;
}

/**
 * Read and validate an HF `config.json` file.
 *
 * @example
 * ```ts
 * const cfg = await readModelConfig("tests/fixtures/model/tiny_llama/config.json");
 * console.log(cfg.model_type); // "llama"
 * ```
 */
export async function readModelConfig(path: string): Promise<ModelConfig> {
  const text = await Deno.readTextFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return parseModelConfig(json, { source: path });
}

/** Per-head dimension: `head_dim` when given, else hidden_size / num_attention_heads. */
export function headDim(config: ModelConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

/** Whether q/k/v projections carry a bias (always for Qwen2; `attention_bias` for Llama). */
export function qkvBias(config: ModelConfig): boolean {
  return config.model_type === "qwen2" ? true : config.attention_bias ?? false;
}

/** Whether o_proj carries a bias (never for Qwen2; `attention_bias` for Llama). */
export function oBias(config: ModelConfig): boolean {
  return config.model_type === "qwen2" ? false : config.attention_bias ?? false;
}

/** Whether gate/up/down projections carry a bias (Llama `mlp_bias`; never for Qwen2). */
export function mlpBias(config: ModelConfig): boolean {
  return config.model_type === "llama" ? config.mlp_bias ?? false : false;
}

/** Whether lm_head shares the embedding matrix (HF default: Llama false, Qwen2 false unless set). */
export function tiedEmbeddings(config: ModelConfig): boolean {
  return config.tie_word_embeddings ?? false;
}

/** Names of the built-in presets. */
export type PresetName = "builtin-small" | "builtin-large";

/**
 * A fresh copy of a built-in preset: `builtin-small` (trains on a laptop CPU in minutes) or
 * `builtin-large` (hidden 512, 8 layers; for benches).
 *
 * @example
 * ```ts
 * const cfg = presetConfig("builtin-large");
 * console.log(cfg.num_hidden_layers); // 8
 * ```
 */
export function presetConfig(name: PresetName): ModelConfig {
  const common = {
    model_type: "qwen2" as const,
    architectures: ["Qwen2ForCausalLM"],
    hidden_act: "silu" as const,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    rope_scaling: null,
    max_position_embeddings: 1024,
    tie_word_embeddings: true,
    use_sliding_window: false as const,
    initializer_range: 0.02,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: "float32",
  };
  const dims = name === "builtin-small"
    ? {
      vocab_size: 2048,
      hidden_size: 128,
      intermediate_size: 384,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    }
    : {
      vocab_size: 4096,
      hidden_size: 512,
      intermediate_size: 1408,
      num_hidden_layers: 8,
      num_attention_heads: 8,
      num_key_value_heads: 4,
    };
  return parseModelConfig({ ...common, ...dims }, { source: `preset ${name}` });
}
