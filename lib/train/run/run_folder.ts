// The run folder runs/<name>/: config.json written once (atomically) and checked on resume, so a resumed
// run continues exactly the configuration it started with; one writer at a time (run_lock.ts). Not in
// the paper.
import { writeFileAtomic } from "../../data/atomic_write.ts";
import { acquireRunLock, type RunLock, type RunLockOptions } from "./run_lock.ts";

/**
 * Stable JSON text: object keys sorted recursively (for comparing configs).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(stableJson({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}');
 * ```
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
        : v,
  );
}

/** Top-level keys whose values differ between two configs. */
function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => stableJson(a[k]) !== stableJson(b[k]));
}

/** Options of {@link prepareRunFolder}. */
export interface PrepareRunOptions {
  /** continue an existing run (config must match) instead of starting a new one @default false */
  resume?: boolean;
  /** the holder record and take-over log of the run lock (see {@link acquireRunLock}) */
  lock?: Omit<RunLockOptions, "shared">;
}

/**
 * Take the folder's run lock (fails at once, naming the holder, while another live process writes
 * there), create `dir` and write `dir/config.json`. A new run refuses a folder that already holds a
 * run (config.json present); a resumed run requires one whose config equals `config` (listing the
 * keys that differ otherwise). Returns the lock, held: release it when the run stops writing
 * (`await using`, or `release()` in a `finally`); a crash releases it too.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert";
 * const tmp = await Deno.makeTempDir();
 * const dir = `${tmp}/sft-a`;
 * {
 *   await using _lock = await prepareRunFolder(dir, { seed: 1, lr: 1e-3 });
 *   // … the run writes dir/ …; the lock is released at the end of this block
 * }
 * await rejects(prepareRunFolder(dir, { seed: 1, lr: 1e-3 })); // a new run refuses a used folder
 * {
 *   await using _resumed = await prepareRunFolder(dir, { seed: 1, lr: 1e-3 }, { resume: true });
 * }
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function prepareRunFolder(
  dir: string,
  config: Record<string, unknown>,
  options: PrepareRunOptions = {},
): Promise<RunLock> {
  const path = `${dir}/config.json`;
  if (options.resume) {
    // fail before the lock creates the folder
    await Deno.stat(dir).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      throw new Error(`${path}: --resume given but the run folder does not exist`);
    });
  }
  const lock = await acquireRunLock(dir, options.lock);
  try {
    await checkAndWriteConfig(dir, config, options);
    return lock;
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/** The config.json checks and write of {@link prepareRunFolder}, under its lock. */
async function checkAndWriteConfig(
  dir: string,
  config: Record<string, unknown>,
  options: PrepareRunOptions,
): Promise<void> {
  const path = `${dir}/config.json`;
  let existing: Record<string, unknown> | null = null;
  try {
    existing = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new Error(`${path}: unreadable run config (${(e as Error).message})`);
    }
  }
  if (options.resume) {
    if (existing === null) {
      throw new Error(`${path}: --resume given but the run folder has no config.json`);
    }
    const diff = changedKeys(existing, config);
    if (diff.length > 0) {
      throw new Error(
        `${path}: cannot resume: config differs from the run's in ${
          diff.map((k) => `"${k}"`).join(", ")
        }`,
      );
    }
    return;
  }
  if (existing !== null) {
    throw new Error(
      `${path}: run folder already holds a run (use --resume, or another --run name)`,
    );
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(path, JSON.stringify(config, null, 2) + "\n");
}
