// OpenAI-compatible chat + embeddings client for the teacher: bounded concurrency, our own retries
// (the SDK's are off), a content-addressed answer cache, and resumable batches. Not in the paper.
//
// Deno permissions the CLI should grant (nothing wider): `--allow-net=<host:port of baseUrl>`,
// `--allow-env=<apiKeyEnv>`, `--allow-read=<cacheDir> --allow-write=<cacheDir>` (crash_resume_test.ts
// runs a batch under exactly these). Retries: the SDK's own are off (maxRetries 0), ours are the only ones.

import { OpenAI } from "openai";
import { z } from "zod";
import { type ClientConfig, type ClientConfigInput, parseClientConfig } from "./client_config.ts";
import { cacheKey, readCached, writeCached } from "./response_cache.ts";
import {
  backoffDelayMs,
  classifyFailure,
  type Failure,
  type FailureKind,
  fixHint,
  malformedResponse,
  MISSING_KEY,
} from "./retry.ts";
import { semaphore } from "./semaphore.ts";

/** One chat message. */
export interface ChatMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
}

/** One chat request; temperature and token limit come from the config. */
export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
}

/** One chat answer. */
export interface ChatAnswer {
  /** Cache key (SHA-256 hex of the request identity). */
  readonly key: string;
  readonly content: string;
  readonly finishReason: string | null;
  /** finish_reason was "length": the answer hit maxTokens. */
  readonly truncated: boolean;
  /** Served from the on-disk cache (no request sent). */
  readonly cached: boolean;
  readonly usage:
    | { readonly promptTokens: number | null; readonly completionTokens: number | null }
    | null;
}

/** Progress of {@link OpenAiClient.runBatch}, reported after every request settles. */
export interface BatchProgress {
  readonly done: number;
  readonly total: number;
  readonly cached: number;
  readonly fetched: number;
  readonly failed: number;
}

/** A request of a batch that got no answer. */
export interface BatchFailure {
  readonly index: number;
  readonly kind: FailureKind | "skipped";
  readonly status: number | null;
  readonly message: string;
}

/** What {@link OpenAiClient.runBatch} returns; answers so far are cached either way. */
export interface BatchResult {
  /** Aligned with the requests; null where the request failed. */
  readonly answers: readonly (ChatAnswer | null)[];
  /** Failed requests, by index. */
  readonly failures: readonly BatchFailure[];
  /** Answers read from the cache. */
  readonly cached: number;
  /** Distinct requests answered by the server in this run. */
  readonly fetched: number;
  /** Why the batch stopped sending early (a 401/403/404 or a missing key), or null. */
  readonly stopped: string | null;
  /** Human-readable summary: counts, then one line per failure (first 20). */
  readonly summary: string;
}

/** An error raised when a request could not be answered. */
export interface TeacherRequestError extends Error {
  readonly kind: FailureKind | "skipped";
  readonly status: number | null;
  readonly attempts: number;
  /** Every request would fail the same way (stop the batch). */
  readonly fatal: boolean;
}

/** Options of {@link createOpenAiClient}. */
export interface ClientOptions {
  /** Receives warnings and retry notices, one line each, the API key redacted. @default console.warn */
  readonly log?: (line: string) => void;
}

/** The client: plain async functions over one config, one cache, one concurrency bound. */
export interface OpenAiClient {
  readonly config: ClientConfig;
  /** `host:port` of baseUrl (what `--allow-net` must name). */
  readonly host: string;
  /** Answers one request (from the cache when present); rejects with a {@link TeacherRequestError}. */
  readonly complete: (request: ChatRequest) => Promise<ChatAnswer>;
  /** Answers what it can; never rejects for a failed request (see {@link BatchResult}). */
  readonly runBatch: (
    requests: readonly ChatRequest[],
    options?: { readonly onProgress?: (progress: BatchProgress) => void },
  ) => Promise<BatchResult>;
  /** Embeds texts against `/embeddings` (batched, cached per text); rejects if any batch fails. */
  readonly embed: (texts: readonly string[]) => Promise<Float32Array[]>;
}

const StoredChatSchema = z.strictObject({
  content: z.string(),
  finishReason: z.string().nullable(),
  usage: z.strictObject({
    promptTokens: z.number().nullable(),
    completionTokens: z.number().nullable(),
  }).nullable(),
});
type StoredChat = z.output<typeof StoredChatSchema>;

const StoredEmbeddingSchema = z.strictObject({ embedding: z.array(z.number()).min(1) });

// Endpoint answers: only the fields we read; servers add others.
const ChatResponseSchema = z.object({
  choices: z.array(z.object({
    message: z.object({ content: z.string().nullable().optional() }),
    finish_reason: z.string().nullable().optional(),
  })).min(1),
  usage: z.object({
    prompt_tokens: z.number().optional(),
    completion_tokens: z.number().optional(),
  }).nullable().optional(),
});
const EmbeddingResponseSchema = z.object({
  data: z.array(z.object({ index: z.int().min(0), embedding: z.array(z.number()).min(1) })),
});

/** How a batch tells one request to stop, and learns of a fatal error. */
interface BatchControl {
  readonly stopReason: () => string | null;
  readonly onFatal: (message: string) => void;
}

const MAX_LISTED_FAILURES = 20;
/** Keys shorter than this are not redacted (a local placeholder such as "x" would mangle messages). */
const MIN_REDACTED_KEY_LENGTH = 8;

/** Validates an endpoint body, throwing a malformed-response error that names the bad field. */
function parseBody<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  if (typeof raw === "string") {
    throw malformedResponse(
      `${what}: expected a JSON body, got text ${JSON.stringify(raw.slice(0, 80))}`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? "(body)" : issue.path.join(".");
  throw malformedResponse(`${what}: ${field}: ${issue?.message ?? "unexpected shape"}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads the key from its variable; a permission error becomes a message naming the flag to add. */
function readApiKey(name: string): string | null {
  try {
    const value = Deno.env.get(name);
    return value !== undefined && value.trim() !== "" ? value.trim() : null;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      const e = new Error(
        `cannot read environment variable ${name}: run deno with --allow-env=${name}`,
      );
      e.name = MISSING_KEY;
      throw e;
    }
    throw err;
  }
}

function describeFailure(f: Failure): string {
  // The SDK's message starts with the status again ("401 Incorrect API key…"): say it once.
  if (f.kind === "http") {
    return `HTTP ${f.status}: ${f.detail.replace(new RegExp(`^${f.status}\\s*`), "")}`;
  }
  return `${f.kind}: ${f.detail}`;
}

/**
 * Creates a client. The API key is read only from the environment variable named by
 * `config.apiKeyEnv`, only when a request must go to the network, and is redacted from every message.
 * @example
 * const client = createOpenAiClient({ baseUrl: "http://127.0.0.1:8000/v1", model: "qwen", cacheDir: "runs/cache" });
 * const { answers, summary } = await client.runBatch([{ messages: [{ role: "user", content: "Hi" }] }]);
 */
export function createOpenAiClient(
  input: ClientConfigInput,
  options: ClientOptions = {},
): OpenAiClient {
  const config = parseClientConfig(input);
  const baseUrl = config.baseUrl.replace(/\/+$/, "");
  const host = new URL(baseUrl).host;
  const limit = semaphore(config.concurrency);
  const inflight = new Map<string, Promise<ChatAnswer>>();
  let sdk: OpenAI | null = null;
  let apiKey: string | null = null;

  const redact = (text: string): string =>
    apiKey !== null && apiKey.length >= MIN_REDACTED_KEY_LENGTH
      ? text.split(apiKey).join("[redacted]")
      : text;
  const rawLog = options.log ?? ((line: string) => console.warn(line));
  const log = (line: string) => rawLog(redact(line));

  const getSdk = (): OpenAI => {
    if (sdk !== null) return sdk;
    apiKey = readApiKey(config.apiKeyEnv);
    if (apiKey === null) {
      const e = new Error(`environment variable ${config.apiKeyEnv} is not set`);
      e.name = MISSING_KEY;
      throw e;
    }
    sdk = new OpenAI({
      apiKey,
      baseURL: baseUrl,
      // Explicit values so the SDK reads none of OPENAI_BASE_URL / _ORG_ID / _PROJECT_ID / _ADMIN_KEY /
      // _WEBHOOK_SECRET / _LOG (it still tries OPENAI_CUSTOM_HEADERS; a scoped --allow-env hides it).
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0, // our retries (below) are the only ones
      timeout: config.timeoutMs,
      logLevel: "off",
    });
    return sdk;
  };

  const requestError = (f: Failure | null, attempts: number, what: string, skipped?: string) => {
    const message = skipped !== undefined
      ? `${host}: ${what} not sent: ${skipped}`
      : `${host}: ${what} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ` +
        `${describeFailure(f!)} — fix: ${
          fixHint(f!, { apiKeyEnv: config.apiKeyEnv, model: config.model })
        }`;
    const err = new Error(redact(message)) as Error & Record<string, unknown>;
    err.name = "TeacherRequestError";
    err.kind = f?.kind ?? "skipped";
    err.status = f?.status ?? null;
    err.attempts = attempts;
    err.fatal = f?.fatal ?? false;
    return err as unknown as TeacherRequestError;
  };

  /** Runs `attempt` until it succeeds, fails for good, or retries run out. */
  const withRetries = async <T>(
    what: string,
    key: string,
    attempt: () => Promise<T>,
  ): Promise<T> => {
    for (let a = 0;; a++) {
      try {
        return await attempt();
      } catch (err) {
        const f = classifyFailure(err, Date.now());
        if (!f.retryable || a >= config.maxRetries) throw requestError(f, a + 1, what);
        const wait = f.retryAfterMs ??
          backoffDelayMs(a, {
            baseMs: config.backoffBaseMs,
            maxMs: config.backoffMaxMs,
            seed: config.seed,
            key,
          });
        log(
          `${host}: ${what} ${key.slice(0, 12)}: attempt ${a + 1} failed (${
            describeFailure(f)
          }); ` +
            `retry ${a + 1}/${config.maxRetries} in ${wait} ms`,
        );
        await sleep(wait);
      }
    }
  };

  const callChat = async (request: ChatRequest): Promise<StoredChat> => {
    const body: Record<string, unknown> = {
      model: config.model,
      messages: request.messages,
      temperature: config.temperature,
      [config.maxTokensField]: config.maxTokens,
    };
    const raw: unknown = await getSdk().chat.completions.create(
      body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
      { timeout: config.timeoutMs, maxRetries: 0 },
    );
    const parsed = parseBody(ChatResponseSchema, raw, "chat completion");
    const choice = parsed.choices[0];
    return {
      content: choice.message.content ?? "",
      finishReason: choice.finish_reason ?? null,
      usage: parsed.usage
        ? {
          promptTokens: parsed.usage.prompt_tokens ?? null,
          completionTokens: parsed.usage.completion_tokens ?? null,
        }
        : null,
    };
  };

  const chatIdentity = (request: ChatRequest) => ({
    v: 1,
    kind: "chat",
    baseUrl,
    model: config.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: config.temperature,
    maxTokens: config.maxTokens,
    maxTokensField: config.maxTokensField,
  });

  const toAnswer = (key: string, stored: StoredChat, cached: boolean): ChatAnswer => ({
    key,
    ...stored,
    truncated: stored.finishReason === "length",
    cached,
  });

  /**
   * One request. `batch.stopReason` is checked once a slot is free, and `batch.onFatal` runs before
   * the slot is handed on, so after a fatal error a batch sends nothing more.
   */
  const answer = async (request: ChatRequest, batch: BatchControl): Promise<ChatAnswer> => {
    const identity = chatIdentity(request);
    const key = await cacheKey(identity);
    const running = inflight.get(key);
    if (running !== undefined) return running;
    const promise = (async () => {
      const hit = await readCached(config.cacheDir, key, StoredChatSchema, log);
      if (hit !== null) return toAnswer(key, hit, true);
      const stored = await limit(async () => {
        const reason = batch.stopReason();
        if (reason !== null) throw requestError(null, 0, "chat completion", reason);
        try {
          return await withRetries("chat completion", key, () => callChat(request));
        } catch (err) {
          if ((err as Partial<TeacherRequestError>).fatal === true) {
            batch.onFatal((err as Error).message);
          }
          throw err;
        }
      });
      await writeCached(config.cacheDir, key, identity, stored); // before anyone sees it: a crash loses nothing
      return toAnswer(key, stored, false);
    })();
    inflight.set(key, promise);
    try {
      return await promise;
    } finally {
      inflight.delete(key);
    }
  };

  const complete = (request: ChatRequest) =>
    answer(request, { stopReason: () => null, onFatal: () => {} });

  const runBatch: OpenAiClient["runBatch"] = async (requests, batchOptions = {}) => {
    const answers: (ChatAnswer | null)[] = requests.map(() => null);
    const failures: BatchFailure[] = [];
    const fetchedKeys = new Set<string>();
    let cached = 0, done = 0;
    let stopped: string | null = null;
    await Promise.all(requests.map(async (request, index) => {
      try {
        const a = await answer(request, {
          stopReason: () => stopped,
          onFatal: (message) => {
            stopped ??= message;
          },
        });
        answers[index] = a;
        if (a.cached) cached++;
        else fetchedKeys.add(a.key);
      } catch (err) {
        const e = err as Partial<TeacherRequestError> & Error;
        failures.push({
          index,
          kind: e.kind ?? "other",
          status: e.status ?? null,
          message: redact(e.message),
        });
      }
      done++;
      batchOptions.onProgress?.({
        done,
        total: requests.length,
        cached,
        fetched: fetchedKeys.size,
        failed: failures.length,
      });
    }));
    failures.sort((a, b) => a.index - b.index);
    const answered = requests.length - failures.length;
    const head = `runBatch: ${answered}/${requests.length} answered (${cached} from cache, ` +
      `${fetchedKeys.size} fetched)` +
      (failures.length === 0 ? "" : `; ${failures.length} failed:`);
    const listed = failures.slice(0, MAX_LISTED_FAILURES).map((f) => `  #${f.index}: ${f.message}`);
    if (failures.length > MAX_LISTED_FAILURES) {
      listed.push(`  … and ${failures.length - MAX_LISTED_FAILURES} more`);
    }
    return {
      answers,
      failures,
      cached,
      fetched: fetchedKeys.size,
      stopped,
      summary: [head, ...listed].join("\n"),
    };
  };

  const callEmbed = async (texts: readonly string[], model: string): Promise<number[][]> => {
    const raw: unknown = await getSdk().embeddings.create(
      { model, input: [...texts], encoding_format: "float" },
      { timeout: config.timeoutMs, maxRetries: 0 },
    );
    const parsed = parseBody(EmbeddingResponseSchema, raw, "embeddings");
    const byIndex = new Map(parsed.data.map((d) => [d.index, d.embedding]));
    const vectors = texts.map((_, i) => byIndex.get(i));
    if (parsed.data.length !== texts.length || vectors.some((v) => v === undefined)) {
      throw malformedResponse(
        `embeddings: data: expected one vector per input (indexes 0..${texts.length - 1})`,
      );
    }
    const dims = new Set(vectors.map((v) => v!.length));
    if (dims.size !== 1) {
      throw malformedResponse(`embeddings: data: vectors have different lengths`);
    }
    return vectors as number[][];
  };

  const embed = async (texts: readonly string[]): Promise<Float32Array[]> => {
    const model = config.embeddingModel;
    if (model === undefined) {
      throw new Error(
        `${host}: embed: config field embeddingModel: expected an embedding model name (none configured)`,
      );
    }
    const identities = texts.map((input) => ({ v: 1, kind: "embedding", baseUrl, model, input }));
    const keys = await Promise.all(identities.map((id) => cacheKey(id)));
    const vectors = new Map<string, Float32Array>();
    const todo = new Map<string, number>(); // key → first index needing a fetch
    for (let i = 0; i < texts.length; i++) {
      if (vectors.has(keys[i]) || todo.has(keys[i])) continue;
      const hit = await readCached(config.cacheDir, keys[i], StoredEmbeddingSchema, log);
      if (hit !== null) vectors.set(keys[i], Float32Array.from(hit.embedding));
      else todo.set(keys[i], i);
    }
    const pending = [...todo.values()];
    const chunks: number[][] = [];
    for (let s = 0; s < pending.length; s += config.embeddingBatchSize) {
      chunks.push(pending.slice(s, s + config.embeddingBatchSize));
    }
    const settled = await Promise.allSettled(chunks.map(async (chunk) => {
      const got = await limit(() =>
        withRetries(
          "embeddings",
          keys[chunk[0]],
          () => callEmbed(chunk.map((i) => texts[i]), model),
        )
      );
      for (let j = 0; j < chunk.length; j++) {
        const i = chunk[j];
        await writeCached(config.cacheDir, keys[i], identities[i], { embedding: got[j] });
        vectors.set(keys[i], Float32Array.from(got[j]));
      }
    }));
    const failed = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed.length > 0) {
      const first = failed[0].reason as Error;
      const e = new Error(
        redact(
          `${failed.length}/${chunks.length} embedding batches failed (the others are cached); first: ${first.message}`,
        ),
      );
      e.name = first.name;
      Object.assign(e, {
        kind: (first as Partial<TeacherRequestError>).kind,
        status: (first as Partial<TeacherRequestError>).status,
      });
      throw e;
    }
    return keys.map((k) => vectors.get(k)!);
  };

  return { config, host, complete, runBatch, embed };
}
