// Seeded test inputs drawn from lib's own PRNG (createPrng, xoshiro128**): one generator for every test
// and bench, so a seed names the same numbers everywhere and no test carries its own LCG.

import { createPrng } from "../lib/data/prng.ts";

/**
 * A seeded uniform [0, 1) stream.
 *
 * @example
 * ```ts
 * const u = seededUniform(7);
 * const x = u(); // the same value for every run with seed 7
 * ```
 */
export function seededUniform(seed: number): () => number {
  const prng = createPrng(seed);
  return () => prng.float();
}

/**
 * `n` float32 values uniform in [−amp, amp), the same for the same seed.
 *
 * @example
 * ```ts
 * const x = seededFloats(6, 1); // 6 values in [−1, 1)
 * const g = seededFloats(6, 2, 1e-3); // 6 values in [−0.001, 0.001)
 * ```
 */
export function seededFloats(n: number, seed: number, amp = 1): Float32Array {
  const prng = createPrng(seed);
  return Float32Array.from({ length: n }, () => (2 * prng.float() - 1) * amp);
}
