// Item segmentation of completion tokens (paper.md §1, §4): which ranked item each token belongs to.
// As the authors' `_segment_items_from_tokens`: a token whose text holds c newlines advances the item
// index by c AFTER itself ("\n\n" in one token leaves an empty index); EOS takes the current index.

import { checkLength, type TokenDims } from "./shapes.ts";

/** Result of {@link itemSegments}. */
export interface ItemSegments {
  /** (B, T) natural item index per token (0, 1, …; ≥ n is overflow); −1 on padding (mask 0). */
  segIds: Int32Array;
  /** (B,) max item index + 1 over the row's tokens ("items emitted"; 0 for an empty row). */
  itemsEmitted: Int32Array;
  /** (B,) position of the EOS token (first token inside the mask with id `eosId`); −1 if cut off. */
  eosPos: Int32Array;
  /** (B,) 1 where the row has a token with index ≥ n (overflow), else 0. */
  hasOverflow: Uint8Array;
  /** List length N the overflow was judged against. */
  n: number;
}

/** Options of {@link itemSegments}. */
export interface ItemSegmentsOptions {
  /** Shape of `tokenIds` and `mask`. */
  dims: TokenDims;
  /** (V,) newlines in each vocabulary entry's decoded text, from {@link newlineCounts}. */
  newlines: Int32Array;
  /** Token id of EOS (a completion token; it gets the current item index). */
  eosId: number;
  /** List length N: indices ≥ N are overflow. @default 20 */
  n?: number;
}

/**
 * Newlines per vocabulary entry: the count of "\n" in each decoded piece after "\r\n" → "\n".
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(newlineCounts(["a", "\n", "\n\n", "x\r\n"]), Int32Array.of(0, 1, 2, 1));
 * ```
 */
export function newlineCounts(pieces: readonly string[]): Int32Array {
  const out = new Int32Array(pieces.length);
  for (let v = 0; v < pieces.length; v++) {
    const text = pieces[v].replaceAll("\r\n", "\n");
    let c = 0;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) c++;
    out[v] = c;
  }
  return out;
}

/**
 * Assigns each completion token its item index. Padding (mask 0) gets −1 and does not advance the
 * index; the mask is expected to cover the completion up to and including EOS.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * // vocab: 0 "Heat (1995)", 1 "\n", 2 <eos>
 * const seg = itemSegments(Int32Array.of(0, 1, 0, 2), Uint8Array.of(1, 1, 1, 1), {
 *   dims: { b: 1, t: 4 },
 *   newlines: Int32Array.of(0, 1, 0),
 *   eosId: 2,
 * });
 * deepStrictEqual(Array.from(seg.segIds), [0, 0, 1, 1]);
 * deepStrictEqual([seg.itemsEmitted[0], seg.eosPos[0]], [2, 3]);
 * ```
 */
export function itemSegments(
  tokenIds: ArrayLike<number>, // (B, T)
  mask: ArrayLike<number>, // (B, T) 0/1
  options: ItemSegmentsOptions,
): ItemSegments {
  const { dims, newlines, eosId } = options;
  const n = options.n ?? 20;
  const { b: rows, t: cols } = dims;
  checkLength("itemSegments", "tokenIds", tokenIds, rows * cols);
  checkLength("itemSegments", "mask", mask, rows * cols);
  const segIds = new Int32Array(rows * cols).fill(-1);
  const itemsEmitted = new Int32Array(rows);
  const eosPos = new Int32Array(rows).fill(-1);
  const hasOverflow = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let item = 0;
    let maxItem = -1;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (mask[i] === 0) continue;
      const id = tokenIds[i];
      if (!Number.isInteger(id) || id < 0 || id >= newlines.length) {
        throw new Error(
          `lib/train/rl/item_segments.ts: itemSegments: tokenIds[${r}, ${c}]: expected an id in ` +
            `[0, ${newlines.length}) (the newlines table), got ${id}`,
        );
      }
      segIds[i] = item;
      if (item > maxItem) maxItem = item;
      if (item >= n) hasOverflow[r] = 1;
      if (id === eosId && eosPos[r] < 0) eosPos[r] = c;
      item += newlines[id];
    }
    itemsEmitted[r] = maxItem + 1;
  }
  return { segIds, itemsEmitted, eosPos, hasOverflow, n };
}
