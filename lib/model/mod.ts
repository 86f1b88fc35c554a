// Public surface of lib/model: HF config, safetensors checkpoints, the Llama/Qwen2 decoder, the token
// embedding (gather + segment-sum gradient), backends. The tokenizer is `tokenizer` in lib/mod.ts.
export * from "./config.ts";
export * from "./safetensors.ts";
export * from "./checkpoint_tensors.ts";
export * from "./checkpoint.ts";
export * from "./weights.ts";
export * from "./decoder.ts";
export * from "./embedding.ts";
export * from "./backend.ts";
