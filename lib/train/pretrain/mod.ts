// Public surface of lib/train/pretrain: the built-in base model's next-token pretraining on the world's
// corpus (config, tokenised corpus, the resumable trainer).
export * from "./config.ts";
export * from "./corpus_tokens.ts";
export * from "./trainer.ts";
