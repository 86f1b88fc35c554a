// Shape bookkeeping shared by the RL functions: row-major (B, T) dims and length checks that name the
// function and argument. Not part of the paper.

/** Row-major (B, T) shape of a batch of completions. */
export interface TokenDims {
  /** Rows (rollouts), B = prompts × G. */
  b: number;
  /** Completion positions per row. */
  t: number;
}

/**
 * Throws `lib/train/rl: <fn>: <field>: expected … entries, got …` unless `arr` has `expected` entries.
 * @example
 * ```ts
 * import { throws } from "node:assert";
 * checkLength("tokenLogRatios", "mask", new Uint8Array(6), 2 * 3); // ok
 * throws(() => checkLength("tokenLogRatios", "mask", new Uint8Array(5), 2 * 3), /mask/);
 * ```
 */
export function checkLength(
  fn: string,
  field: string,
  arr: ArrayLike<number>,
  expected: number,
): void {
  if (arr.length !== expected) {
    throw new Error(
      `lib/train/rl: ${fn}: ${field}: expected ${expected} entries, got ${arr.length}`,
    );
  }
}
