// Cached expensive results for notebooks: `<dir>/<sha256(canonical key + code version)>.json`, written
// atomically; a different key or code version never reads another's file, a corrupted one is recomputed.

import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { canonicalJson, sha256Hex } from "../distill/teacher/response_cache.ts";

/** Layout version of a cache file (bump when the entry layout changes). */
export const CACHE_FORMAT = 1;

/** The folders whose sources make up the default code version: lib/ and kernels/. */
export const CODE_DIRS: readonly string[] = [
  fileURLToPath(new URL("../", import.meta.url)),
  fileURLToPath(new URL("../../kernels/", import.meta.url)),
];

const SOURCE_FILE = /\.(ts|wgsl|py)$/;

/** Options of {@link cached}. */
export interface CachedOptions {
  /** Code version folded into the file name; @default await codeVersion() (lib/ + kernels/ sources) */
  version?: string;
  /** Receives "cache hit …" / "computed …" lines; @default no output */
  log?: (line: string) => void;
  /** Receives the warning about a corrupted or mismatched file; @default console.warn */
  warn?: (line: string) => void;
}

/**
 * SHA-256 (hex) of every source file (.ts, .wgsl, .py) under `dirs`, by relative path and content in
 * sorted order: any code change gives a new version, so a cached result never outlives its code.
 * @example
 * ```ts
 * const v = await codeVersion(); // hashes lib/ and kernels/
 * if (!/^[0-9a-f]{64}$/.test(v)) throw new Error(`expected 64 hex digits, got ${v}`);
 * ```
 */
export async function codeVersion(dirs: readonly string[] = CODE_DIRS): Promise<string> {
  const parts: string[] = [];
  for (const dir of dirs) {
    const files: string[] = [];
    const walk = async (d: string) => {
      for await (const e of Deno.readDir(d)) {
        const p = join(d, e.name);
        if (e.isDirectory) await walk(p);
        else if (e.isFile && SOURCE_FILE.test(e.name)) files.push(p);
      }
    };
    await walk(dir);
    files.sort();
    for (const f of files) {
      parts.push(`${relative(dir, f)}\u0000${await sha256Hex(await Deno.readTextFile(f))}`);
    }
  }
  return await sha256Hex(parts.join("\n"));
}

/**
 * The cache file of a key under a code version: `<dir>/<sha256(canonicalJson({key, version}))>.json`.
 * @example
 * ```ts
 * const path = await cachePathFor({ seed: 1 }, "runs/cache", "v1");
 * if (!/^runs\/cache\/[0-9a-f]{64}\.json$/.test(path)) throw new Error(path);
 * ```
 */
export async function cachePathFor(key: unknown, dir: string, version: string): Promise<string> {
  return join(dir, `${await sha256Hex(canonicalJson({ key, version }))}.json`);
}

/** Why a cache file's text cannot be served for (key, version), or null when it can. */
function entryProblem(entry: unknown, keyJson: string, version: string): string | null {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    return "not a JSON object";
  }
  const e = entry as Record<string, unknown>;
  if (e.format !== CACHE_FORMAT) return `format: expected ${CACHE_FORMAT}, got ${e.format}`;
  if (!("value" in e)) return "value: missing";
  if (e.version !== version) return "version: another code version";
  if (canonicalJson(e.key) !== keyJson) return "key: another config";
  return null;
}

/**
 * The result of `compute()` for `key` (the full config of the computation), served from
 * `<dir>/<hash>.json` when that file was written for the same key and code version, else computed and
 * written atomically. A file that is not JSON or holds another key/version is reported through `warn`
 * and recomputed. The value goes through JSON both ways (a computed and a cached result are equal):
 * it must be JSON data (no typed arrays, Maps or class instances).
 * @example The second call is served from the file the first one wrote
 * ```ts
 * const dir = await Deno.makeTempDir();
 * let computed = 0;
 * const square = () => ++computed && 3 * 3;
 * const a = await cached({ what: "square", x: 3 }, dir, square, { version: "v1" });
 * const b = await cached({ what: "square", x: 3 }, dir, square, { version: "v1" });
 * if (a !== 9 || b !== 9 || computed !== 1) throw new Error(`computed ${computed} times`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function cached<T>(
  key: unknown,
  dir: string,
  compute: () => Promise<T> | T,
  opts: CachedOptions = {},
): Promise<T> {
  const version = opts.version ?? await codeVersion();
  const keyJson = canonicalJson(key);
  if (keyJson === undefined) {
    throw new Error("lib/experiment/cache.ts: cached: key: expected JSON data, got undefined");
  }
  const path = await cachePathFor(key, dir, version);
  const warn = opts.warn ?? ((line: string) => console.warn(line));
  let text: string | null = null;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (text !== null) {
    let entry: unknown;
    let problem: string | null;
    try {
      entry = JSON.parse(text);
      problem = entryProblem(entry, keyJson, version);
    } catch (err) {
      problem = `not JSON (${(err as Error).message})`;
    }
    if (problem === null) {
      opts.log?.(`cache hit: ${path}`);
      return (entry as { value: T }).value;
    }
    warn(`lib/experiment/cache.ts: ${path}: unusable cache entry: ${problem}; recomputing`);
  }
  const t0 = performance.now();
  const value = await compute();
  const valueJson = JSON.stringify(value);
  if (valueJson === undefined) {
    throw new Error(
      "lib/experiment/cache.ts: cached: compute(): expected JSON data, got undefined",
    );
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(
    path,
    `{"format":${CACHE_FORMAT},"version":${
      JSON.stringify(version)
    },"key":${keyJson},"value":${valueJson}}\n`,
  );
  opts.log?.(`computed in ${((performance.now() - t0) / 1000).toFixed(2)} s, cached: ${path}`);
  return JSON.parse(valueJson) as T;
}

/**
 * The folder of one cached run: `<cacheDir>/<what>-<first 16 hex of sha256({what, key, version})>`, so
 * each config and code version trains (or writes) into its own folder.
 * @example
 * ```ts
 * const dir = await cacheRunFolder("sft", { seed: 1 }, { cacheDir: "runs/cache", version: "v1" });
 * if (!/^runs\/cache\/sft-[0-9a-f]{16}$/.test(dir)) throw new Error(dir);
 * ```
 */
export async function cacheRunFolder(
  what: string,
  key: unknown,
  opts: { cacheDir: string; version: string },
): Promise<string> {
  const hash = await sha256Hex(canonicalJson({ what, key, version: opts.version }));
  return join(opts.cacheDir, `${what}-${hash.slice(0, 16)}`);
}

/**
 * Removes a folder left by an interrupted computation (absent is fine), so it starts clean.
 * @example
 * ```ts
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/partial.json`, "{");
 * await removeStaleFolder(dir);
 * await removeStaleFolder(dir); // absent is fine
 * ```
 */
export async function removeStaleFolder(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}
