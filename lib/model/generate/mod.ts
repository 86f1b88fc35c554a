// Public surface of lib/model/generate: batched cached generation, sampling, and catalog-constrained decoding.
export * from "./array_decode.ts";
export * from "./catalog_constraint.ts";
export * from "./catalog_trie.ts";
export * from "./decode_forward.ts";
export * from "./decode_session.ts";
export * from "./decode_weights.ts";
export * from "./generate.ts";
export * from "./sampling.ts";
