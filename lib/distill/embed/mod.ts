// Public surface of Remap's pluggable embedding: the interface, the offline hashed TF-IDF default and the
// OpenAI-compatible `/embeddings` wrapper.
export * from "./embedder.ts";
export * from "./hashed_tfidf.ts";
export * from "./endpoint_embedder.ts";
