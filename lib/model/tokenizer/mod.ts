// Public surface of the tokenizer (lib/model/tokenizer): Hugging Face tokenizer.json loading through
// @huggingface/tokenizers, chat templates through @huggingface/jinja, and the world tokenizer trainer.
export * from "./byte_level.ts";
export * from "./chat_template.ts";
export * from "./load.ts";
export * from "./save.ts";
export * from "./train_bpe.ts";
export * from "./world_tokenizer.ts";
