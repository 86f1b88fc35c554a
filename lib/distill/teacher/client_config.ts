// The OpenAI-compatible client's config: one strict zod schema parsed at the boundary. The API key is
// never part of it — only the NAME of the environment variable that holds it (`apiKeyEnv`).

import { z } from "zod";

/** Strict schema of {@link ClientConfig}; unknown keys (a typo, or an `apiKey`) fail loudly. */
export const ClientConfigSchema = z.strictObject({
  /** Endpoint root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1` (vLLM, Ollama). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** Chat model name sent to the endpoint. */
  model: z.string().min(1),
  /** Embedding model for {@link OpenAiClient.embed}; required only when `embed` is used. */
  embeddingModel: z.string().min(1).optional(),
  /** Sampling temperature. @default 0 */
  temperature: z.number().min(0).max(2).default(0),
  /** Completion token limit per request. @default 2048 */
  maxTokens: z.int().positive().default(2048),
  /** Request field carrying the limit (`max_completion_tokens` for OpenAI reasoning models). @default "max_tokens" */
  maxTokensField: z.enum(["max_tokens", "max_completion_tokens"]).default("max_tokens"),
  /** Requests in flight at once. @default 8 */
  concurrency: z.int().min(1).max(256).default(8),
  /** Per-attempt timeout in milliseconds. @default 120000 */
  timeoutMs: z.int().positive().default(120_000),
  /** Retries after the first attempt (429, 408, 409, 5xx, timeouts, network errors, malformed bodies). @default 5 */
  maxRetries: z.int().min(0).max(20).default(5),
  /** First backoff delay in ms; attempt a waits ~base·2^a, jittered to [½, 1]×. @default 1000 */
  backoffBaseMs: z.int().min(0).default(1000),
  /** Largest backoff delay in ms (a server's Retry-After is honoured even when longer). @default 60000 */
  backoffMaxMs: z.int().min(0).default(60_000),
  /** Seed of the backoff jitter. @default 0 */
  seed: z.int().default(0),
  /** Texts per `/embeddings` request. @default 64 */
  embeddingBatchSize: z.int().min(1).max(2048).default(64),
  /** Folder of the content-addressed response cache (created when missing). */
  cacheDir: z.string().min(1),
  /** Name of the environment variable holding the API key. @default "OPENAI_API_KEY" */
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name")
    .default("OPENAI_API_KEY"),
});

/** A parsed, complete client config. */
export type ClientConfig = z.output<typeof ClientConfigSchema>;
/** What a caller writes (defaults may be left out). */
export type ClientConfigInput = z.input<typeof ClientConfigSchema>;

/**
 * Validates a client config. Errors name `source`, each bad field and what was expected, and never
 * echo field values (so a key pasted into the config by mistake is not printed).
 * @example
 * const config = parseClientConfig({ baseUrl: "http://127.0.0.1:8000/v1", model: "m", cacheDir: "runs/cache" });
 * config.concurrency; // 8
 */
export function parseClientConfig(input: unknown, source = "teacher client config"): ClientConfig {
  const result = ClientConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const field = issue.path.length === 0 ? "(root)" : issue.path.join(".");
    if (issue.code === "unrecognized_keys") {
      const hint = issue.keys.some((k) => /key|token|secret/i.test(k))
        ? " (never put a key in a config: export it in the environment variable named by apiKeyEnv)"
        : "";
      return `${source}: ${field}: unknown field(s) ${issue.keys.join(", ")}${hint}`;
    }
    return `${source}: ${field}: ${issue.message}`;
  });
  throw new Error(lines.join("\n"));
}
