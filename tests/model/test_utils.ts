// Small assertion helpers for the model tests (JSR's @std/assert is unreachable here; node:assert is used).
import { ok, rejects, throws } from "node:assert/strict";

/** Assert `fn` throws an Error whose message contains every string in `parts`. */
export function assertThrowsWith(fn: () => unknown, ...parts: string[]): void {
  throws(fn, (e: unknown) => e instanceof Error && parts.every((p) => e.message.includes(p)));
}

/** Assert the promise rejects with an Error whose message contains every string in `parts`. */
export async function assertRejectsWith(p: Promise<unknown>, ...parts: string[]): Promise<void> {
  await rejects(p, (e: unknown) => {
    if (!(e instanceof Error)) return false;
    if (!parts.every((s) => e.message.includes(s))) {
      throw new Error(`message ${JSON.stringify(e.message)} lacks one of ${JSON.stringify(parts)}`);
    }
    return true;
  });
}

/** Largest |a - b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  ok(a.length === b.length, `length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}

/** Assert two arrays agree within `tol` (absolute), reporting the worst difference. */
export function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tol: number,
  what = "",
): void {
  const d = maxAbsDiff(a, b);
  ok(d <= tol, `${what} max |diff| ${d} > ${tol}`);
}

/** A fresh temp directory removed by the returned cleanup function. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "convrec_model_" });
  return { dir, cleanup: () => Deno.remove(dir, { recursive: true }) };
}
