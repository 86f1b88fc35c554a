// Seeded (B, T) inputs for the rank-objective tests and bench: rows of items of random length with
// empty items, overflow past N, all-padding rows, masked tokens that keep a segment id, garbage padding.

import type { RankObjectiveInputs } from "../../kernels/rank_objective_ref.ts";
import { seededUniform } from "../_seeded.ts";

/** One seeded case. */
export interface ObjectiveCase {
  readonly name: string;
  readonly b: number;
  readonly t: number;
  readonly n: number;
  readonly seed: number;
  /** Chance a token closes its item. @default 0.12 */
  readonly advanceProb?: number;
  /** Chance that closing an item skips one index (an empty item). @default 0.05 */
  readonly skipItems?: number;
  /** Share of rows that are all padding. @default 0.1 */
  readonly emptyRows?: number;
  /** μ = 1: logpOld a copy of logpNew, or null. */
  readonly onPolicy?: "copy" | "null";
}

/**
 * Builds the inputs: each row has a random completion length (padding after it: mask 0, segId −1,
 * log-probs 77); ~3% of completion tokens are masked but keep their segment id; log-ratios ~±0.15 so
 * both clip bounds (0.06 / 0.08) are hit; reference log-probs ±0.3 away; advantages in [−2, 2).
 *
 * @example
 * ```ts
 * const inputs = makeObjectiveInputs({ name: "x", b: 4, t: 32, n: 20, seed: 1 });
 * ```
 */
export function makeObjectiveInputs(c: ObjectiveCase): RankObjectiveInputs {
  const u = seededUniform(c.seed * 104729 + 17);
  const size = c.b * c.t;
  const logpNew = new Float32Array(size).fill(77); // (B, T)
  const logpOld = new Float32Array(size).fill(77);
  const logpRef = new Float32Array(size).fill(77);
  const advantages = new Float32Array(size);
  const segIds = new Int32Array(size).fill(-1);
  const mask = new Int32Array(size);
  const advance = c.advanceProb ?? 0.12;
  const skipItems = c.skipItems ?? 0.05;
  const emptyRows = c.emptyRows ?? 0.1;
  for (let r = 0; r < c.b; r++) {
    const len = c.b > 1 && u() < emptyRows ? 0 : 1 + Math.floor(u() * c.t);
    let item = 0;
    const rowAdv = new Float32Array(c.n + 2).map(() => 4 * u() - 2); // per item, overflow shared
    for (let k = 0; k < len; k++) {
      const i = r * c.t + k;
      segIds[i] = item;
      mask[i] = u() < 0.03 ? 0 : 1;
      const lp = -3 * u();
      logpNew[i] = lp;
      logpOld[i] = lp + 0.3 * u() - 0.15;
      logpRef[i] = lp + 0.6 * u() - 0.3;
      advantages[i] = u() < 0.05 ? 0 : rowAdv[Math.min(item, c.n + 1)];
      if (u() < advance) item += u() < skipItems ? 2 : 1;
    }
  }
  const old = c.onPolicy === "copy"
    ? Float32Array.from(logpNew)
    : c.onPolicy === "null"
    ? null
    : logpOld;
  return {
    dims: { b: c.b, t: c.t },
    logpNew,
    logpOld: old,
    logpRef,
    advantages,
    segIds,
    mask,
  };
}
