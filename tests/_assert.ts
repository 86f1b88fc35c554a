// Test assertions over node:assert (JSR's @std/assert is unreachable on these machines).
import { deepStrictEqual, notDeepStrictEqual, ok } from "node:assert/strict";

/** Deep strict equality (typed arrays compared element-wise by type). */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): void {
  deepStrictEqual(actual, expected, msg);
}

/** Deep strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  notDeepStrictEqual(actual, expected, msg);
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

/**
 * float32 machine epsilon 2^-23. One float32 rounding moves x by at most (EPS32/2)·|x|, and a float32 sum
 * or dot product of n terms is within γ_n ≈ n·(EPS32/2) of the exact value relative to Σ|term| (Higham,
 * "Accuracy and Stability of Numerical Algorithms", §3.1); two evaluations that round in different orders
 * (two BLAS kernels, tfjs cpu vs a fused op, WGSL vs a CPU twin) therefore differ by at most n·EPS32·Σ|term|.
 */
export const EPS32 = 2 ** -23;

/**
 * The bound on |a − b| for two float32 evaluations of reductions of `n` terms in all (the accumulation
 * length along the whole chain of sums/dots) whose magnitudes add to at most `scale`: n·EPS32·scale.
 * With scale = 1 it is the matching relative tolerance.
 *
 * @example
 * ```ts
 * const atol = f32SumTol(64, 3); // a 64-term dot of values whose |products| sum to ≤ 3
 * ```
 */
export function f32SumTol(n: number, scale = 1): number {
  return n * EPS32 * scale;
}

/**
 * The mixed bound for a float32 result reached through reductions of `n` terms in all whose values have
 * magnitude `scale` (e.g. max|expected|): atol n·EPS32·scale (what rounding can leave on entries that
 * cancel to near 0), rtol n·EPS32.
 *
 * @example
 * ```ts
 * assertAllClose(got, want, f32Tolerance(2 * D + 8, maxAbs(want)), "rmsnorm dx");
 * ```
 */
export function f32Tolerance(n: number, scale: number): CloseTolerance {
  return { atol: f32SumTol(n, scale), rtol: f32SumTol(n) };
}

/** Largest |x| of an array (0 for an empty one). */
export function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]));
  return m;
}

/** Mixed bound of {@link assertAllClose}: |a − b| ≤ atol + rtol·|b|; `atol` may be per element. */
export interface CloseTolerance {
  /** absolute part, scaled to the magnitude of the values and the accumulation length */
  atol: number | ArrayLike<number>;
  /** relative part @default 0 */
  rtol?: number;
}

/** The worst element of a closeness check: used = |a − b| / (atol + rtol·|b|) (> 1 fails). */
export interface Closeness {
  used: number;
  at: number;
  actual: number;
  expected: number;
}

/**
 * How much of the bound |a_i − b_i| ≤ atol + rtol·|b_i| the worst element uses (NaN, a missing element
 * or a mismatched infinity counts as Infinity; equal values, infinities included, as 0).
 *
 * @example
 * ```ts
 * closeness([1, 2.001], [1, 2], { atol: 0, rtol: 1e-3 }).used; // ≈ 0.5
 * ```
 */
export function closeness(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: CloseTolerance,
): Closeness {
  if (actual.length !== expected.length) {
    return { used: Infinity, at: -1, actual: actual.length, expected: expected.length };
  }
  const rtol = tol.rtol ?? 0;
  const worst: Closeness = { used: 0, at: -1, actual: NaN, expected: NaN };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], b = expected[i];
    if (a === b) continue;
    const atol = typeof tol.atol === "number" ? tol.atol : tol.atol[i];
    const d = Math.abs(a - b), bound = atol + rtol * Math.abs(b);
    const used = Number.isNaN(d) ? Infinity : d === 0 ? 0 : bound > 0 ? d / bound : Infinity;
    if (used > worst.used || worst.at < 0) {
      Object.assign(worst, { used, at: i, actual: a, expected: b });
    }
  }
  return worst;
}

/** Where CONVREC_TOL_LOG points (read once; permission to read the environment is optional). */
const TOL_LOG = (() => {
  try {
    return Deno.env.get("CONVREC_TOL_LOG");
  } catch {
    return undefined;
  }
})();

/**
 * Elementwise |actual_i − expected_i| ≤ atol + rtol·|expected_i|, naming the worst element on failure.
 * With CONVREC_TOL_LOG=<file> in the environment every call appends `{"what", "used"}` as a JSON line
 * (tests/bench/openblas_coretypes.sh reports the margins from it).
 *
 * @example
 * ```ts
 * assertAllClose(got, want, { atol: f32SumTol(k, maxAbs(want)), rtol: f32SumTol(k) }, "sgemm");
 * ```
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: CloseTolerance,
  what = "",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  }
  const w = closeness(actual, expected, tol);
  if (TOL_LOG) {
    Deno.writeTextFileSync(TOL_LOG, JSON.stringify({ what, used: w.used }) + "\n", {
      append: true,
    });
  }
  if (!(w.used <= 1)) {
    const atol = typeof tol.atol === "number" ? tol.atol : tol.atol[w.at];
    throw new Error(
      `${what}: |a − b| = ${Math.abs(w.actual - w.expected)} > atol ${atol} + rtol ${
        tol.rtol ?? 0
      }·|b| ` +
        `at ${w.at} (${w.actual} vs ${w.expected}; ${w.used.toPrecision(3)}× the bound)`,
    );
  }
}

/** An Error's message matches every expected part (a substring or a RegExp); otherwise why not. */
function messageMismatch(e: unknown, expected: readonly (string | RegExp)[]): string | null {
  if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
  const missing = expected.filter((x) =>
    typeof x === "string" ? !e.message.includes(x) : !x.test(e.message)
  );
  return missing.length === 0
    ? null
    : `message ${JSON.stringify(e.message)} lacks ${missing.map(String).join(", ")}`;
}

/**
 * `fn` throws an Error whose message contains every expected part (substrings or RegExps).
 *
 * @example
 * ```ts
 * assertThrows(() => JSON.parse("{"), "JSON");
 * ```
 */
export function assertThrows(fn: () => unknown, ...expected: (string | RegExp)[]): void {
  try {
    fn();
  } catch (e) {
    const why = messageMismatch(e, expected);
    if (why !== null) throw new Error(`assertThrows: ${why}`);
    return;
  }
  throw new Error(`assertThrows: the function returned without throwing`);
}

/**
 * The promise (or the promise `fn` returns) rejects with an Error whose message contains every expected
 * part (substrings or RegExps).
 *
 * @example
 * ```ts
 * await assertRejects(Deno.readTextFile("/no/such/file"), "No such file");
 * ```
 */
export async function assertRejects(
  p: Promise<unknown> | (() => Promise<unknown>),
  ...expected: (string | RegExp)[]
): Promise<void> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    const why = messageMismatch(e, expected);
    if (why !== null) throw new Error(`assertRejects: ${why}`);
    return;
  }
  throw new Error(`assertRejects: the promise resolved without rejecting`);
}

/** Largest |a − b| over two equal-length arrays (Infinity when any difference is NaN). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  ok(a.length === b.length, `length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}

/**
 * Two arrays agree within `tol` (absolute), reporting the worst difference: {@link assertAllClose} with
 * rtol 0. Float parity tests pass a derived {atol, rtol} to assertAllClose.
 */
export function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tol: number,
  what = "",
): void {
  assertAllClose(a, b, { atol: tol }, what);
}
