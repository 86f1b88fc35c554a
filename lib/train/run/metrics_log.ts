// runs/<name>/metrics.jsonl: one JSON StepRecord per line, appended as steps finish; on resume, rows after
// the checkpoint's step (and a torn last line from a crash) are cut so no step appears twice.
import { writeJsonlAtomic } from "../../data/atomic_write.ts";

/** One row of metrics.jsonl: at least a step number and a phase ("train", "eval", "skipped"). */
export interface StepRow {
  step: number;
  phase: string;
  [field: string]: unknown;
}

/**
 * Append one row to `path` (created if missing). A crash mid-append leaves at most a torn last line,
 * which {@link readStepRows} reports and {@link truncateStepRows} drops.
 *
 * @example
 * ```ts
 * const tmp = await Deno.makeTempDir();
 * const path = `${tmp}/metrics.jsonl`;
 * await appendStepRow(path, { step: 1, phase: "train", loss: 2.3 });
 * const text = await Deno.readTextFile(path);
 * if (text !== '{"step":1,"phase":"train","loss":2.3}\n') throw new Error(text);
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function appendStepRow(path: string, row: StepRow): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(row) + "\n", { append: true, create: true });
}

/** Rows of metrics.jsonl and whether its last line was torn (no newline or unparseable). */
export interface StepRows {
  rows: StepRow[];
  tornTail: boolean;
}

/**
 * Read every row of `path` ([] when it does not exist). A bad line other than the last is an error
 * naming `path:line`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const tmp = await Deno.makeTempDir();
 * const path = `${tmp}/metrics.jsonl`;
 * deepStrictEqual(await readStepRows(path), { rows: [], tornTail: false }); // no file yet
 * await Deno.writeTextFile(path, '{"step":1,"phase":"train"}\n{"step":2,"pha');
 * const { rows, tornTail } = await readStepRows(path);
 * deepStrictEqual([rows.length, tornTail], [1, true]); // a crash tore the last line
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function readStepRows(path: string): Promise<StepRows> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { rows: [], tornTail: false };
    throw e;
  }
  const lines = text.split("\n");
  const complete = text.endsWith("\n") || text === "";
  const last = lines.pop()!; // "" after a final newline, else the torn tail
  const rows: StepRow[] = [];
  lines.forEach((line, i) => {
    if (line === "") return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: not JSON (${(e as Error).message})`);
    }
    const r = row as StepRow;
    if (typeof r !== "object" || r === null || !Number.isInteger(r.step)) {
      throw new Error(`${path}:${i + 1}: expected an object with an integer "step"`);
    }
    rows.push(r);
  });
  return { rows, tornTail: !complete && last !== "" };
}

/**
 * Atomically rewrite `path` keeping only rows with step ≤ `lastStep` (drops a torn tail). Returns how
 * many rows were dropped.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * const tmp = await Deno.makeTempDir();
 * const path = `${tmp}/metrics.jsonl`;
 * for (const step of [39, 40, 41, 42]) await appendStepRow(path, { step, phase: "train" });
 * strictEqual(await truncateStepRows(path, 40), 2); // rows of steps 41… removed
 * strictEqual((await readStepRows(path)).rows.length, 2);
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function truncateStepRows(path: string, lastStep: number): Promise<number> {
  const { rows, tornTail } = await readStepRows(path);
  const kept = rows.filter((r) => r.step <= lastStep);
  const dropped = rows.length - kept.length + (tornTail ? 1 : 0);
  if (dropped > 0 || rows.length > 0) await writeJsonlAtomic(path, kept);
  return dropped;
}
