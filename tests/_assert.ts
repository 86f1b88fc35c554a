// Test assertions over node:assert (JSR's @std/assert is unreachable on these machines).
import { deepStrictEqual, ok, rejects, throws } from "node:assert/strict";

/** Deep strict equality (typed arrays compared element-wise by type). */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): void {
  deepStrictEqual(actual, expected, msg);
}

/** Truthiness. */
export function assert(cond: unknown, msg?: string): asserts cond {
  ok(cond, msg);
}

/** |actual − expected| ≤ tol. */
export function assertAlmostEquals(actual: number, expected: number, tol = 1e-12, msg = ""): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${msg} expected ${expected} ± ${tol}, got ${actual}`);
  }
}

/** The function throws an error whose message includes `includes`. */
export function assertThrows(fn: () => unknown, includes?: string): void {
  throws(
    fn,
    (e: unknown) => includes === undefined || String((e as Error).message).includes(includes),
  );
}

/** The promise rejects with an error whose message includes `includes`. */
export async function assertRejects(fn: () => Promise<unknown>, includes?: string): Promise<void> {
  await rejects(
    fn,
    (e: unknown) => includes === undefined || String((e as Error).message).includes(includes),
  );
}
