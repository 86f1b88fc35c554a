// Content-addressed on-disk cache of endpoint answers: key = SHA-256 of the canonical JSON of the
// request identity; one file per key, written atomically; unreadable or mismatched files are refetched.

import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../data/atomic_write.ts";

/** Cache file format version (bump when the entry layout changes). */
export const CACHE_VERSION = 1;

const CacheEntrySchema = z.strictObject({
  version: z.literal(CACHE_VERSION),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  request: z.unknown(),
  answer: z.unknown(),
});

/**
 * JSON with object keys sorted at every depth (arrays keep their order; `undefined` fields dropped),
 * so equal requests give equal bytes.
 * @example canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }) // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * Lower-case hex SHA-256 of a string's UTF-8 bytes.
 * @example await sha256Hex("") // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The cache key of a request identity (everything that changes the answer, nothing secret).
 * @example await cacheKey({ baseUrl: "http://h/v1", model: "m", messages: [] }) // 64 hex chars
 */
export function cacheKey(identity: unknown): Promise<string> {
  return sha256Hex(canonicalJson(identity));
}

/**
 * The file of a key: `<cacheDir>/<first 2 hex>/<key>.json`.
 * @example cachePath("runs/cache", "ab12…") // "runs/cache/ab/ab12….json"
 */
export function cachePath(cacheDir: string, key: string): string {
  return join(cacheDir, key.slice(0, 2), `${key}.json`);
}

/**
 * The cached answer for `key`, or null when absent. A file that is not JSON, not an entry, holds
 * another key, or whose answer fails `answerSchema` is reported through `warn` and treated as
 * absent (the caller refetches and overwrites it).
 * @example const hit = await readCached("runs/cache", key, z.object({ content: z.string() }), console.warn);
 */
export async function readCached<T>(
  cacheDir: string,
  key: string,
  answerSchema: z.ZodType<T>,
  warn: (message: string) => void,
): Promise<T | null> {
  const path = cachePath(cacheDir, key);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  const result = await checkEntry(text, key, answerSchema);
  if (!result.ok) {
    warn(`response cache: ${path}: corrupted entry: ${result.why}; refetching`);
    return null;
  }
  return result.value;
}

/** Validates a cache file's text against its expected key and answer shape. */
async function checkEntry<T>(
  text: string,
  key: string,
  answerSchema: z.ZodType<T>,
): Promise<{ ok: true; value: T } | { ok: false; why: string }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, why: `not JSON (${(err as Error).message})` };
  }
  const entry = CacheEntrySchema.safeParse(json);
  if (!entry.success) {
    return { ok: false, why: `not a cache entry (${entry.error.issues[0]?.message ?? "?"})` };
  }
  if (entry.data.key !== key) {
    return {
      ok: false,
      why: `holds key ${entry.data.key.slice(0, 12)}…, expected ${key.slice(0, 12)}…`,
    };
  }
  if (await cacheKey(entry.data.request) !== key) {
    return { ok: false, why: "its request does not hash to its key" };
  }
  const answer = answerSchema.safeParse(entry.data.answer);
  if (!answer.success) {
    return { ok: false, why: `answer: ${answer.error.issues[0]?.message ?? "?"}` };
  }
  return { ok: true, value: answer.data };
}

/**
 * Writes one entry atomically (temp file + rename), creating the shard folder.
 * @example await writeCached("runs/cache", key, identity, { content: "Heat (1995)" });
 */
export async function writeCached(
  cacheDir: string,
  key: string,
  request: unknown,
  answer: unknown,
): Promise<void> {
  const path = cachePath(cacheDir, key);
  await Deno.mkdir(join(cacheDir, key.slice(0, 2)), { recursive: true });
  await writeFileAtomic(
    path,
    JSON.stringify({ version: CACHE_VERSION, key, request, answer }) + "\n",
  );
}
