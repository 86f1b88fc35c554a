// Length shaping of token advantages, added after group normalisation (paper.md §3; the +0.1 exact-length
// bonus is from the authors' code only). "Items emitted" = max item index + 1, as in their code.

import type { ItemSegments } from "./item_segments.ts";
import { checkLength, type TokenDims } from "./shapes.ts";

/** Which shaping terms apply, and their constants. */
export interface LengthShapingConfig {
  /** Add `overflow_penalty` to every token of an item past rank N (EOS included when it is there). */
  overflow: boolean;
  /** Add `early_eos_penalty` to EOS when the list ended with fewer than N items. */
  early_eos: boolean;
  /** Add `exact_eos_reward` to EOS when the list ended with ≥ N items and no overflow token (= N). */
  exact_eos: boolean;
  /** @default -0.1 */
  overflow_penalty: number;
  /** @default -0.1 */
  early_eos_penalty: number;
  /** @default 0.1 */
  exact_eos_reward: number;
}

/** The paper's/authors' shaping: all three terms on, −0.1 / −0.1 / +0.1. */
export const DEFAULT_LENGTH_SHAPING: Readonly<LengthShapingConfig> = Object.freeze({
  overflow: true,
  early_eos: true,
  exact_eos: true,
  overflow_penalty: -0.1,
  early_eos_penalty: -0.1,
  exact_eos_reward: 0.1,
});

/** Result of {@link lengthShaping}. */
export interface LengthShaping {
  /** (B, T) shaped token advantages (a new array). */
  advantages: Float64Array;
  /** Tokens that received the overflow penalty. */
  overflowTokens: number;
  /** Rows whose EOS received the early-stop penalty. */
  earlyEosRows: number;
  /** Rows whose EOS received the exact-length reward. */
  exactEosRows: number;
}

/**
 * Adds the length-shaping terms to token advantages (B, T); padding is untouched. Rows cut off
 * before EOS get only the overflow term.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * // N = 2, one row "a\nb\nc<eos>": c and EOS are item 2 (overflow)
 * const seg = {
 *   segIds: Int32Array.of(0, 0, 1, 1, 2, 2),
 *   itemsEmitted: Int32Array.of(3),
 *   eosPos: Int32Array.of(5),
 *   hasOverflow: Uint8Array.of(1),
 *   n: 2,
 * };
 * const { advantages } = lengthShaping(new Float64Array(6), seg, { dims: { b: 1, t: 6 } });
 * deepStrictEqual(Array.from(advantages), [0, 0, 0, 0, -0.1, -0.1]);
 * ```
 */
export function lengthShaping(
  tokenAdvantages: ArrayLike<number>, // (B, T)
  segments: ItemSegments,
  options: { dims: TokenDims; config?: LengthShapingConfig },
): LengthShaping {
  const { b: rows, t: cols } = options.dims;
  const cfg = options.config ?? DEFAULT_LENGTH_SHAPING;
  const n = segments.n;
  checkLength("lengthShaping", "tokenAdvantages", tokenAdvantages, rows * cols);
  checkLength("lengthShaping", "segments.segIds", segments.segIds, rows * cols);
  const advantages = Float64Array.from(tokenAdvantages); // (B, T)
  let overflowTokens = 0;
  let earlyEosRows = 0;
  let exactEosRows = 0;
  for (let r = 0; r < rows; r++) {
    if (cfg.overflow) {
      for (let c = 0; c < cols; c++) {
        if (segments.segIds[r * cols + c] >= n) {
          advantages[r * cols + c] += cfg.overflow_penalty;
          overflowTokens++;
        }
      }
    }
    const eos = segments.eosPos[r];
    if (eos < 0) continue; // cut off: no EOS to shape
    const emitted = segments.itemsEmitted[r];
    if (cfg.early_eos && emitted < n) {
      advantages[r * cols + eos] += cfg.early_eos_penalty;
      earlyEosRows++;
    }
    if (cfg.exact_eos && emitted >= n && segments.hasOverflow[r] === 0) {
      advantages[r * cols + eos] += cfg.exact_eos_reward;
      exactEosRows++;
    }
  }
  return { advantages, overflowTokens, earlyEosRows, exactEosRows };
}
