// One writer per run folder: an advisory flock on runs/<name>/run.lock, held while a trainer (or a
// reproduction driver) writes there and released by the kernel when its holder exits, crashed or not.
// The writer records who it is in the file so a second process can fail naming it; readers of the
// folder's checkpoints (convrec eval) take it shared, beside each other but not beside a writer.

import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The lock file inside a run folder. */
export const RUN_LOCK_FILE = "run.lock";

/** Who holds a run folder (the JSON in its run.lock while it is held). */
export interface RunLockHolder {
  pid: number;
  /** ISO time the lock was taken */
  since: string;
  /** the holding process's command line (main module and arguments) */
  command: string;
}

/** A held run folder lock; release it (or `await using` it) when done writing. */
export interface RunLock extends AsyncDisposable {
  readonly dir: string;
  readonly path: string;
  readonly holder: RunLockHolder;
  /** Shared (a reader: holds no record) or exclusive (the writer). */
  readonly shared: boolean;
  /** The holder recorded by a process that died holding the lock (taken over), else null. */
  readonly previous: RunLockHolder | null;
  /** Clears the holder record and unlocks. Idempotent. */
  release(): Promise<void>;
}

/** Thrown by {@link acquireRunLock} when another live process holds the folder. */
export class RunFolderBusy extends Error {
  constructor(
    message: string,
    readonly dir: string,
    readonly holder: RunLockHolder | null,
  ) {
    super(message);
    this.name = "RunFolderBusy";
  }
}

/** Options of {@link acquireRunLock}. */
export interface RunLockOptions {
  /** What the holder record says this process runs; @default main module + arguments */
  command?: string;
  /** Where the take-over of a crashed holder's lock is reported; @default console.error */
  log?: (line: string) => void;
  /** Take it shared, as a reader (needs read access only; a folder without run.lock is not
   * locked then); @default false */
  shared?: boolean;
}

/** This process's command line for the holder record. */
function commandLine(): string {
  let main = Deno.mainModule;
  try {
    main = main.startsWith("file:") ? fileURLToPath(main) : main;
  } catch { /* keep the URL */ }
  return [main, ...Deno.args].join(" ");
}

/** The holder record in `text`, or null when it is empty or not one. */
export function parseHolder(text: string): RunLockHolder | null {
  try {
    const h = JSON.parse(text);
    if (typeof h?.pid === "number" && typeof h.since === "string") {
      return { pid: h.pid, since: h.since, command: String(h.command ?? "?") };
    }
  } catch { /* empty or torn: no record */ }
  return null;
}

/**
 * The error text for a folder held by `holder` (null: the record is not written yet).
 * @example
 * ```ts
 * const since = "2025-01-01T00:00:00.000Z";
 * const msg = busyMessage("runs/a", { pid: 7, since, command: "main.ts sft" });
 * if (!msg.includes("pid 7") || !msg.includes("kill 7")) throw new Error(msg);
 * ```
 */
export function busyMessage(
  dir: string,
  holder: RunLockHolder | "readers" | null,
  now = new Date(),
): string {
  const path = join(dir, RUN_LOCK_FILE);
  if (holder === "readers") {
    return `${dir}: run folder is being read by another live process (a shared lock on ${path}: ` +
      `convrec eval of one of its checkpoints); wait for it to finish, or use another run name`;
  }
  if (holder === null) {
    return `${dir}: run folder is in use by another live process (it is just starting: ${path} ` +
      `names no holder yet); wait for it to finish, or use another run name`;
  }
  const mins = (now.getTime() - Date.parse(holder.since)) / 60_000;
  const ago = Number.isFinite(mins) ? ` (${mins < 1 ? "< 1" : Math.round(mins)} min ago)` : "";
  const who = `pid ${holder.pid}, since ${holder.since}${ago}, command: ${holder.command}`;
  if (holder.pid === Deno.pid) {
    return `${dir}: run folder is already held by this process (${who}): an earlier call on it ` +
      `is still running (an interrupted notebook cell goes on in its kernel: restart the kernel ` +
      `to stop it), or use another run name`;
  }
  return `${dir}: run folder is in use by another live process (${who}). Wait for it to finish ` +
    `or stop it (kill ${holder.pid}), or use another run name. The lock ${path} frees itself ` +
    `when that process exits, crashed or not: there is nothing to delete.`;
}

/**
 * Takes the exclusive lock of run folder `dir` (created if missing) at once, or throws
 * {@link RunFolderBusy} naming the live holder (pid, since when, command) and the fix. A holder
 * that crashed released its lock with its process: the lock is taken over and the crashed holder's
 * record is reported (`previous`). Needs read and write access to `dir`.
 * @example
 * ```ts
 * const tmp = await Deno.makeTempDir();
 * const dir = `${tmp}/sft-a`;
 * {
 *   await using lock = await acquireRunLock(dir);
 *   // … write dir/ …; released at the end of the scope, or with `await lock.release()`
 *   if (lock.holder?.pid !== Deno.pid) throw new Error("this process holds the lock");
 * }
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function acquireRunLock(dir: string, opts: RunLockOptions = {}): Promise<RunLock> {
  if (opts.shared) return await acquireShared(dir);
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, RUN_LOCK_FILE);
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let locked = false;
  try {
    locked = await file.tryLock(true);
    if (!locked) throw await busyError(dir, path);
    const previous = parseHolder(await Deno.readTextFile(path));
    if (previous !== null) {
      (opts.log ?? console.error)(
        `${path}: taking over from pid ${previous.pid} (since ${previous.since}, ` +
          `${previous.command}), which exited without releasing it`,
      );
    }
    const holder: RunLockHolder = {
      pid: Deno.pid,
      since: new Date().toISOString(),
      command: opts.command ?? commandLine(),
    };
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      try {
        await file.truncate(0); // still held: a record left behind means its holder crashed
        await file.unlock();
      } finally {
        file.close();
      }
    };
    return { dir, path, holder, shared: false, previous, release, [Symbol.asyncDispose]: release };
  } catch (e) {
    if (locked) await file.unlock().catch(() => {});
    file.close();
    throw e;
  }
}

/** Why an exclusive lock failed: a writer (its record) or only readers (a shared lock still works). */
async function busyError(dir: string, path: string): Promise<RunFolderBusy> {
  const probe = await Deno.open(path, { read: true });
  try {
    if (await probe.tryLock(false)) {
      await probe.unlock();
      return new RunFolderBusy(busyMessage(dir, "readers"), dir, null);
    }
  } finally {
    probe.close();
  }
  const holder = parseHolder(await Deno.readTextFile(path).catch(() => ""));
  return new RunFolderBusy(busyMessage(dir, holder), dir, holder);
}

/** A reader's lock: shared, fails only beside a writer; a folder without run.lock is not locked. */
async function acquireShared(dir: string): Promise<RunLock> {
  const path = join(dir, RUN_LOCK_FILE);
  const holder: RunLockHolder = { pid: Deno.pid, since: new Date().toISOString(), command: "" };
  let file: Deno.FsFile | null = null;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e; // no writer ever locked it
  }
  if (file !== null && !(await file.tryLock(false))) {
    file.close();
    const writer = parseHolder(await Deno.readTextFile(path).catch(() => ""));
    throw new RunFolderBusy(busyMessage(dir, writer), dir, writer);
  }
  let released = false;
  const release = async () => {
    if (released || file === null) return;
    released = true;
    try {
      await file.unlock();
    } finally {
      file.close();
    }
  };
  return {
    dir,
    path,
    holder,
    shared: true,
    previous: null,
    release,
    [Symbol.asyncDispose]: release,
  };
}

/**
 * The run folder a checkpoint folder belongs to (`<run>/checkpoints/step-N` → `<run>`), or null.
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(runFolderOf("runs/a/checkpoints/step-12"), "runs/a");
 * strictEqual(runFolderOf("data/models/builtin-sft"), null);
 * ```
 */
export function runFolderOf(checkpoint: string): string | null {
  const parent = join(checkpoint, "..");
  return basename(parent) === "checkpoints" ? join(parent, "..") : null;
}
