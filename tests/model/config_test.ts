import { assertEquals, assertThrows } from "../_assert.ts";
import {
  headDim,
  mlpBias,
  oBias,
  parseModelConfig,
  presetConfig,
  qkvBias,
  tiedEmbeddings,
} from "../../lib/model/config.ts";

/** Trimmed copy of Qwen/Qwen2.5-0.5B's config.json (all keys as published). */
const qwen25 = {
  architectures: ["Qwen2ForCausalLM"],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: "silu",
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 24,
  model_type: "qwen2",
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-06,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.40.1",
  use_cache: true,
  use_mrope: false,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** Copy of meta-llama/Llama-3.2-1B's config.json. */
const llama32 = {
  architectures: ["LlamaForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 128000,
  eos_token_id: 128001,
  head_dim: 64,
  hidden_act: "silu",
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: "llama",
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  pretraining_tp: 1,
  rms_norm_eps: 1e-05,
  rope_scaling: {
    factor: 32.0,
    high_freq_factor: 4.0,
    low_freq_factor: 1.0,
    original_max_position_embeddings: 8192,
    rope_type: "llama3",
  },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.45.0.dev0",
  use_cache: true,
  vocab_size: 128256,
};

Deno.test("config: Qwen2.5-0.5B parses; unknown keys kept; bias rules", () => {
  const c = parseModelConfig(qwen25, { source: "qwen/config.json" });
  assertEquals(c.hidden_size, 896);
  assertEquals(headDim(c), 64);
  assertEquals([qkvBias(c), oBias(c), mlpBias(c), tiedEmbeddings(c)], [true, false, false, true]);
  assertEquals((c as Record<string, unknown>).max_window_layers, 24);
});

Deno.test("config: Llama-3.2-1B parses with llama3 rope scaling", () => {
  const c = parseModelConfig(llama32);
  assertEquals(c.rope_scaling?.factor, 32);
  assertEquals([qkvBias(c), oBias(c)], [false, false]);
  assertEquals(headDim(c), 64);
  const biased = parseModelConfig({ ...llama32, attention_bias: true });
  assertEquals([qkvBias(biased), oBias(biased)], [true, true]);
});

Deno.test("config: transformers 5 rope_parameters form maps onto rope_theta / rope_scaling", () => {
  const { rope_theta: theta, rope_scaling: scaling, ...rest } = llama32;
  const v5 = parseModelConfig({ ...rest, rope_parameters: { rope_theta: theta, ...scaling } });
  assertEquals([v5.rope_theta, v5.rope_scaling?.factor], [500000, 32]);
  const { rope_theta: qTheta, ...qRest } = qwen25;
  const q = parseModelConfig({
    ...qRest,
    rope_parameters: { rope_type: "default", rope_theta: qTheta },
  });
  assertEquals([q.rope_theta, q.rope_scaling], [1000000, null]);
  // the older top-level keys win where both are written
  const both = parseModelConfig({ ...qwen25, rope_parameters: { rope_theta: 5 } });
  assertEquals(both.rope_theta, 1000000);
  assertThrows(
    () => parseModelConfig({ ...rest, rope_parameters: { rope_type: "yarn", rope_theta: 1 } }),
    "rope_scaling",
  );
});

Deno.test("config: missing required key names file and key", () => {
  const { rope_theta: _drop, ...rest } = llama32;
  assertThrows(
    () => parseModelConfig(rest, { source: "ckpt/config.json" }),
    'ckpt/config.json: key "rope_theta": missing required key',
  );
});

Deno.test("config: bad values fail with the key", () => {
  assertThrows(
    () => parseModelConfig({ ...qwen25, num_key_value_heads: 3 }, { source: "x.json" }),
    'x.json: key "num_key_value_heads"',
  );
  assertThrows(() => parseModelConfig({ ...qwen25, model_type: "gpt2" }), "model_type");
  assertThrows(
    () => parseModelConfig({ ...qwen25, use_sliding_window: true }),
    "sliding-window attention is not supported",
  );
  assertThrows(
    () => parseModelConfig({ ...llama32, rope_scaling: { rope_type: "yarn", factor: 4 } }),
    "rope_scaling",
  );
});

Deno.test("config: presets", () => {
  const s = presetConfig("builtin-small");
  const l = presetConfig("builtin-large");
  assertEquals([s.hidden_size, s.num_hidden_layers, headDim(s)], [128, 2, 32]);
  assertEquals([l.hidden_size, l.num_hidden_layers, headDim(l)], [512, 8, 64]);
  s.hidden_size = 1; // a fresh copy each call
  assertEquals(presetConfig("builtin-small").hidden_size, 128);
});
