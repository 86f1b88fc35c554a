// Public surface of the teacher package: the interface, the OpenAI-compatible client and teacher,
// the prompts and the parsers of the teacher's answers.

export * from "./teacher.ts";
export * from "./prompts.ts";
export * from "./parse_ratings.ts";
export * from "./parse_description.ts";
export * from "./client_config.ts";
export * from "./openai_client.ts";
export * from "./openai_teacher.ts";
export { cacheKey, cachePath, canonicalJson } from "./response_cache.ts";
export { backoffDelayMs, retryAfterMs } from "./retry.ts";
