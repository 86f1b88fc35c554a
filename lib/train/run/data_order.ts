// Which examples form optimizer step s: a per-epoch shuffle drawn from (seed, epoch) alone, so the data
// position is a pure function of the step and resuming needs no PRNG internals (its "RNG state" is the step).
import { createPrng, shuffled } from "../../data/prng.ts";

/** Where step `step` (1-based) falls in the data. */
export interface DataPosition {
  epoch: number;
  /** index of the step within its epoch */
  batchInEpoch: number;
}

/**
 * Steps per epoch for `n` examples and `perStep` examples per optimizer step (last batch may be short).
 *
 * @example
 * ```ts
 * if (stepsPerEpoch(10, 4) !== 3) throw new Error("4 + 4 + 2 examples: 3 steps");
 * ```
 */
export function stepsPerEpoch(n: number, perStep: number): number {
  return Math.ceil(n / perStep);
}

/**
 * The epoch's permutation of 0..n-1: Fisher–Yates with createPrng(seed).fork("sft-data").fork(epoch).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const order = epochOrder(0, 0, 5); // a permutation of [0, 1, 2, 3, 4], the same on every call
 * deepStrictEqual([...order].sort(), [0, 1, 2, 3, 4]);
 * deepStrictEqual(epochOrder(0, 0, 5), order);
 * ```
 */
export function epochOrder(seed: number, epoch: number, n: number): number[] {
  const prng = createPrng(seed).fork("sft-data").fork(`epoch ${epoch}`);
  return shuffled(prng, Array.from({ length: n }, (_, i) => i));
}

/**
 * The data position of optimizer step `step` (1-based).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(dataPosition(4, 3), { epoch: 1, batchInEpoch: 0 });
 * ```
 */
export function dataPosition(step: number, perEpoch: number): DataPosition {
  return { epoch: Math.floor((step - 1) / perEpoch), batchInEpoch: (step - 1) % perEpoch };
}

/**
 * Example indices of optimizer step `step`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * // step 1 takes the first 4 indices of epoch 0's order
 * deepStrictEqual(
 *   stepIndices(1, { seed: 0, n: 10, perStep: 4 }),
 *   epochOrder(0, 0, 10).slice(0, 4),
 * );
 * ```
 */
export function stepIndices(
  step: number,
  options: { seed: number; n: number; perStep: number },
): number[] {
  const { seed, n, perStep } = options;
  const pos = dataPosition(step, stepsPerEpoch(n, perStep));
  const order = epochOrder(seed, pos.epoch, n);
  return order.slice(pos.batchInEpoch * perStep, (pos.batchInEpoch + 1) * perStep);
}
