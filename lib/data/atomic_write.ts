// Atomic file writes: data goes to a temporary file in the target's folder, is flushed, then renamed
// over the target; on any error the temporary file is removed and the old target is left untouched.

import { basename, dirname, join } from "node:path";

const FLUSH_BYTES = 1 << 20; // write JSONL in ~1 MiB pieces

/** Creates an empty temporary file beside `path` (same folder, so rename is atomic). */
async function tempBeside(path: string): Promise<string> {
  return await Deno.makeTempFile({
    dir: dirname(path),
    prefix: `.${basename(path)}.`,
    suffix: ".tmp",
  });
}

/** Mode to give the new file: the old file's permission bits, or 0644 for a new one. */
async function targetMode(path: string): Promise<number> {
  try {
    const mode = (await Deno.stat(path)).mode;
    return mode === null ? 0o644 : mode & 0o7777;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0o644;
    throw err;
  }
}

/**
 * Writes chunks produced by `write` to a temp file beside `path`, then renames it over `path`.
 * The callback gets a function that appends bytes. Removes the temp file if anything throws.
 * @example
 * await writeAtomicWith("model.safetensors", async (append) => { await append(header); await append(body); });
 */
export async function writeAtomicWith(
  path: string,
  write: (append: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  const mode = await targetMode(path);
  const temp = await tempBeside(path);
  try {
    const file = await Deno.open(temp, { write: true, truncate: true });
    try {
      await write(async (bytes) => {
        let off = 0;
        while (off < bytes.length) off += await file.write(bytes.subarray(off));
      });
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.chmod(temp, mode);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

/**
 * Atomically replaces `path` with `data` (a string is written as UTF-8).
 * @example
 * await writeFileAtomic("runs/a/config.json", JSON.stringify(config, null, 2) + "\n");
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  await writeAtomicWith(path, (append) => append(bytes));
}

/**
 * Atomically writes one `JSON.stringify(value)` line per value (each ending in "\n"). If the
 * iterable throws, or a value cannot be serialised, `path` keeps its old content.
 * @example
 * await writeJsonlAtomic("out.jsonl", [{ a: 1 }, { a: 2 }]); // '{"a":1}\n{"a":2}\n'
 */
export async function writeJsonlAtomic(
  path: string,
  values: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<void> {
  const encoder = new TextEncoder();
  await writeAtomicWith(path, async (append) => {
    let buffer = "";
    let index = 0;
    for await (const value of values) {
      const line = JSON.stringify(value);
      if (line === undefined) {
        throw new Error(`${path}: value ${index} cannot be written as JSON (${typeof value})`);
      }
      buffer += line + "\n";
      index++;
      if (buffer.length >= FLUSH_BYTES) {
        await append(encoder.encode(buffer));
        buffer = "";
      }
    }
    if (buffer.length > 0) await append(encoder.encode(buffer));
  });
}

/**
 * Atomically replaces folder `path` with one built by `build` in a temporary sibling folder. An
 * existing `path` is moved aside, the new folder renamed in, then the old one removed (so a
 * reader sees either the old or the new folder; a crash between the two renames leaves the old
 * folder under `.<name>.old-*`).
 * @example
 * await writeDirAtomic("data/generated/sft", async (tmp) => {
 *   await Deno.writeTextFile(`${tmp}/state.json`, "{}");
 * });
 */
export async function writeDirAtomic(
  path: string,
  build: (tempDir: string) => Promise<void>,
): Promise<void> {
  const parent = dirname(path);
  const name = basename(path);
  const temp = await Deno.makeTempDir({ dir: parent, prefix: `.${name}.`, suffix: ".tmp" });
  try {
    await build(temp);
    await Deno.chmod(temp, 0o755);
  } catch (err) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw err;
  }
  let old: string | null = null;
  try {
    await Deno.stat(path);
    old = join(parent, `.${name}.old-${basename(temp)}`);
    await Deno.rename(path, old);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      await Deno.remove(temp, { recursive: true }).catch(() => {});
      throw err;
    }
  }
  try {
    await Deno.rename(temp, path);
  } catch (err) {
    if (old !== null) await Deno.rename(old, path).catch(() => {});
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw err;
  }
  if (old !== null) await Deno.remove(old, { recursive: true });
}

/** What {@link recoverDirWrites} did. */
export interface DirRecovery {
  /** leftover folders removed (half-built temps, superseded old copies) */
  removed: string[];
  /** folders moved back into place (an old copy whose replacement never arrived) */
  restored: string[];
}

/** `.<name>.old-.<name>.<random>.tmp`: the old copy writeDirAtomic moves aside before its swap. */
const OLD_COPY = /^\.(.+)\.old-\.\1\.[0-9A-Za-z_-]+\.tmp$/;
/** `.<name>.<random>.tmp`: a folder writeDirAtomic was building (or removeDirAtomic was deleting). */
const BUILD_TEMP = /^\.(.+)\.[0-9A-Za-z_-]+\.tmp$/;

/**
 * Cleans up after writeDirAtomic / removeDirAtomic calls that died mid-way (a crash, SIGKILL) in
 * folder `parent`: half-built temp folders are removed; an old copy is moved back to `<name>` when
 * the crash fell between the two renames (`<name>` absent), else removed. Only folders of
 * `options.name` when given, else every such folder in `parent`; call it only while no other
 * process writes folders there. A missing `parent` is not an error.
 * @example
 * await recoverDirWrites("runs/a/checkpoints"); // { removed: [".step-4.1a2b….tmp"], restored: [] }
 */
export async function recoverDirWrites(
  parent: string,
  options: {
    /** only leftovers of this target folder name @default every target */
    name?: string;
  } = {},
): Promise<DirRecovery> {
  const entries: string[] = [];
  try {
    for await (const e of Deno.readDir(parent)) if (e.isDirectory) entries.push(e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { removed: [], restored: [] };
    throw err;
  }
  const out: DirRecovery = { removed: [], restored: [] };
  const present = new Set(entries);
  const mine = (name: string) => options.name === undefined || name === options.name;
  for (const entry of entries.sort()) {
    const old = OLD_COPY.exec(entry);
    if (old === null || !mine(old[1])) continue;
    if (!present.has(old[1])) {
      await Deno.rename(join(parent, entry), join(parent, old[1]));
      present.add(old[1]);
      out.restored.push(old[1]);
    } else {
      await Deno.remove(join(parent, entry), { recursive: true });
      out.removed.push(entry);
    }
  }
  for (const entry of entries) {
    const temp = BUILD_TEMP.exec(entry);
    if (temp === null || OLD_COPY.test(entry) || !mine(temp[1])) continue;
    await Deno.remove(join(parent, entry), { recursive: true });
    out.removed.push(entry);
  }
  return out;
}

/**
 * Removes folder `path` so that it disappears at once: it is first renamed to a temp sibling
 * (`.<name>.<random>.tmp`, which recoverDirWrites deletes if this process dies mid-way), then
 * deleted. A reader never sees a half-deleted `path`. A missing `path` is not an error.
 * @example
 * await removeDirAtomic("runs/a/checkpoints/step-10");
 */
export async function removeDirAtomic(path: string): Promise<void> {
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(8)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const trash = join(dirname(path), `.${basename(path)}.${random}.tmp`);
  try {
    await Deno.rename(path, trash);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  await Deno.remove(trash, { recursive: true });
}
