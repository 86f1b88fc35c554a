// Advantages per completion token (paper.md §4): item k's tokens carry A_ik (k < N); overflow tokens get
// 0 and, as in the authors' code, so does the EOS token (shaping adds to it later). GRPO/GSPO: A_i on all.

import type { ItemSegments } from "./item_segments.ts";
import { checkLength, type TokenDims } from "./shapes.ts";

/**
 * Rank-GRPO token advantages: token t of row b gets A[b, seg] when 0 ≤ seg < N; overflow tokens,
 * padding and the EOS token get 0. Returns (B, T).
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * // one row, N = 2; tokens: item 0, item 0 ("\n"), item 1, EOS (item 1)
 * const seg = { segIds: Int32Array.of(0, 0, 1, 1), eosPos: Int32Array.of(3), n: 2 };
 * deepStrictEqual(Array.from(tokenAdvantages(Float64Array.of(0.5, -1), seg, { b: 1, t: 4 })), [
 *   0.5,
 *   0.5,
 *   -1,
 *   0,
 * ]);
 * ```
 */
export function tokenAdvantages(
  itemAdvantages: ArrayLike<number>, // (B, N)
  segments: Pick<ItemSegments, "segIds" | "eosPos" | "n">,
  dims: TokenDims,
): Float64Array {
  const { b: rows, t: cols } = dims;
  const n = segments.n;
  checkLength("tokenAdvantages", "itemAdvantages", itemAdvantages, rows * n);
  checkLength("tokenAdvantages", "segments.segIds", segments.segIds, rows * cols);
  const out = new Float64Array(rows * cols); // (B, T)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const seg = segments.segIds[r * cols + c];
      if (seg >= 0 && seg < n && c !== segments.eosPos[r]) {
        out[r * cols + c] = itemAdvantages[r * n + seg];
      }
    }
  }
  return out;
}

/**
 * GRPO / GSPO token advantages: every token inside the mask (overflow and EOS included) carries its
 * rollout's sequence advantage. Returns (B, T).
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const a = sequenceTokenAdvantages(Float64Array.of(2, -1), Uint8Array.of(1, 1, 1, 0), {
 *   b: 2,
 *   t: 2,
 * });
 * deepStrictEqual(Array.from(a), [2, 2, -1, 0]);
 * ```
 */
export function sequenceTokenAdvantages(
  sequenceAdvantages: ArrayLike<number>, // (B,)
  mask: ArrayLike<number>, // (B, T)
  dims: TokenDims,
): Float64Array {
  const { b: rows, t: cols } = dims;
  checkLength("sequenceTokenAdvantages", "sequenceAdvantages", sequenceAdvantages, rows);
  checkLength("sequenceTokenAdvantages", "mask", mask, rows * cols);
  const out = new Float64Array(rows * cols); // (B, T)
  for (let i = 0; i < rows * cols; i++) {
    if (mask[i] !== 0) out[i] = sequenceAdvantages[Math.floor(i / cols)];
  }
  return out;
}
