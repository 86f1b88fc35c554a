// Retry policy of the teacher client as pure functions: which failures are retried, how long to wait
// (exponential backoff with seeded jitter, or the server's Retry-After), and a clear message for each.

import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { createPrng, fnv1a32 } from "../../data/prng.ts";

/** Longest Retry-After we honour (a larger value is treated as this). */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** What went wrong with one attempt. */
export type FailureKind = "http" | "timeout" | "network" | "malformed" | "missing-key" | "other";

/** A classified attempt failure. */
export interface Failure {
  readonly kind: FailureKind;
  /** HTTP status when the server answered with an error status. */
  readonly status: number | null;
  /** Worth another attempt (429, 408, 409, 5xx, timeouts, network errors, malformed bodies). */
  readonly retryable: boolean;
  /** Every other request would fail the same way (401, 403, 404, missing key): stop the batch. */
  readonly fatal: boolean;
  /** Wait the server asked for (Retry-After / retry-after-ms), in ms. */
  readonly retryAfterMs: number | null;
  /** The underlying error's message (may contain server text; redact before printing). */
  readonly detail: string;
}

/** Header lookup as `Headers.get`. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/**
 * The wait a response asks for: `retry-after-ms` (ms), else `Retry-After` as seconds or an HTTP-date
 * (relative to `nowMs`); clamped to [0, {@link MAX_RETRY_AFTER_MS}]; null when absent or unreadable.
 * @example retryAfterMs(new Headers({ "retry-after": "2" }), Date.now()) // 2000
 */
export function retryAfterMs(
  headers: HeaderLookup | null | undefined,
  nowMs: number,
): number | null {
  if (!headers) return null;
  const clamp = (ms: number) => Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return clamp(Number(ms));
  const value = headers.get("retry-after");
  if (value === null) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return clamp(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : clamp(date - nowMs);
}

/**
 * Backoff before retry `attempt` (0 = the first retry): min(maxMs, baseMs·2^attempt) scaled by a jitter
 * factor in [½, 1) drawn from a stream seeded by (seed, key, attempt) — the same inputs always give
 * the same wait, whatever order requests finish in.
 * @example backoffDelayMs(2, { baseMs: 100, maxMs: 1000, seed: 0, key: "abc" }) // in [200, 400)
 */
export function backoffDelayMs(
  attempt: number,
  options: {
    readonly baseMs: number;
    readonly maxMs: number;
    readonly seed: number;
    readonly key: string;
  },
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  const u = createPrng((options.seed ^ fnv1a32(`${options.key}:${attempt}`)) >>> 0).float();
  return Math.round(ceiling * (0.5 + 0.5 * u));
}

/** Tag for errors raised by our own response validation. */
export const MALFORMED_RESPONSE = "MalformedResponseError";
/** Tag for the error raised when the key's environment variable is unset. */
export const MISSING_KEY = "MissingApiKeyError";

/**
 * An error that marks a response body we could not use (bad JSON shape, no choices).
 * @example throw malformedResponse("choices: expected a non-empty array");
 */
export function malformedResponse(detail: string): Error {
  const err = new Error(detail);
  err.name = MALFORMED_RESPONSE;
  return err;
}

/**
 * Sorts an attempt's error into a {@link Failure}.
 * @example classifyFailure(new SyntaxError("Unexpected token"), Date.now()).kind // "malformed"
 */
export function classifyFailure(error: unknown, nowMs: number): Failure {
  const detail = error instanceof Error ? error.message : String(error);
  const base = { status: null, retryAfterMs: null, detail, fatal: false };
  if (error instanceof APIConnectionTimeoutError) {
    return { ...base, kind: "timeout", retryable: true };
  }
  if (error instanceof APIConnectionError) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : "";
    return { ...base, kind: "network", retryable: true, detail: detail + causeText };
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const status = error.status;
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return {
      ...base,
      kind: "http",
      status,
      retryable,
      fatal: status === 401 || status === 403 || status === 404,
      retryAfterMs: retryable ? retryAfterMs(error.headers, nowMs) : null,
    };
  }
  if (
    error instanceof SyntaxError || (error instanceof Error && error.name === MALFORMED_RESPONSE)
  ) {
    return { ...base, kind: "malformed", retryable: true };
  }
  if (error instanceof Error && error.name === MISSING_KEY) {
    return { ...base, kind: "missing-key", retryable: false, fatal: true };
  }
  return { ...base, kind: "other", retryable: false };
}

/**
 * What to do about a failure that will not be retried, addressed to the person running the job.
 * @example fixHint({ kind: "http", status: 401 } as Failure, { apiKeyEnv: "OPENAI_API_KEY", model: "m" })
 * // "set OPENAI_API_KEY to a valid API key for this endpoint"
 */
export function fixHint(
  failure: Failure,
  context: { readonly apiKeyEnv: string; readonly model: string },
): string {
  switch (failure.kind) {
    case "missing-key":
      return `set ${context.apiKeyEnv} in the environment (any non-empty value for a local server that needs no key)`;
    case "timeout":
      return "the server is slow or unreachable: raise timeoutMs or lower concurrency";
    case "network":
      return "check that the server is running and baseUrl is right (and that --allow-net names its host:port)";
    case "malformed":
      return "the server's answers are not OpenAI chat/embeddings JSON: check baseUrl (most servers end in /v1)";
    case "http":
      if (failure.status === 401) {
        return `set ${context.apiKeyEnv} to a valid API key for this endpoint`;
      }
      if (failure.status === 403) {
        return `the key in ${context.apiKeyEnv} is not allowed to use model "${context.model}" here`;
      }
      if (failure.status === 404) {
        return `check baseUrl (most servers end in /v1) and that model "${context.model}" exists there`;
      }
      if (failure.status === 429) {
        return "rate limited beyond maxRetries: lower concurrency or raise maxRetries";
      }
      if (failure.status !== null && failure.status >= 500) {
        return "the server keeps failing: re-run later (answers so far are cached)";
      }
      return "the server rejected the request: check model, maxTokens, maxTokensField and temperature";
    default:
      return "unexpected error";
  }
}
