// Importance ratios in log space (paper.md §4): token level (GRPO), sequence level = mean token log-ratio
// over the mask (GSPO), rank level = mean over each item's tokens (Rank-GRPO); overflow items share bin N.

import { checkLength, type TokenDims } from "./shapes.ts";

/** Where a token's importance weight is pooled: itself, its whole sequence, or its item. */
export type RatioLevel = "token" | "sequence" | "item";

/** Token → bin map of one ratio level. */
export interface RatioBins {
  /** (B, T) bin of each token within its row; −1 on padding (mask 0). */
  bins: Int32Array;
  /** Bins per row: T (token), 1 (sequence), N + 1 (item: N items and one overflow bin). */
  numBins: number;
}

/**
 * Per-token log-ratio logπθ − logπθold; 0 on padding. `logpOld = null` means on-policy (μ = 1, old =
 * new detached): every log-ratio is exactly 0, so every ratio is exactly 1.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const r = tokenLogRatios(Float64Array.of(-1, -2), Float64Array.of(-1.5, -2), {
 *   dims: { b: 1, t: 2 },
 *   mask: Uint8Array.of(1, 1),
 * });
 * deepStrictEqual(Array.from(r), [0.5, 0]);
 * ```
 */
export function tokenLogRatios(
  logpNew: ArrayLike<number>, // (B, T)
  logpOld: ArrayLike<number> | null, // (B, T)
  options: { dims: TokenDims; mask: ArrayLike<number> },
): Float64Array {
  const size = options.dims.b * options.dims.t;
  checkLength("tokenLogRatios", "logpNew", logpNew, size);
  checkLength("tokenLogRatios", "mask", options.mask, size);
  const out = new Float64Array(size); // (B, T)
  if (logpOld === null) return out;
  checkLength("tokenLogRatios", "logpOld", logpOld, size);
  for (let i = 0; i < size; i++) if (options.mask[i] !== 0) out[i] = logpNew[i] - logpOld[i];
  return out;
}

/**
 * Bins of a ratio level. Item level clamps natural item indices into [0, N] (N = overflow bin).
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const { bins } = ratioBins("item", Int32Array.of(0, 1, 2, 3, -1), {
 *   dims: { b: 1, t: 5 },
 *   n: 2,
 * });
 * deepStrictEqual(Array.from(bins), [0, 1, 2, 2, -1]); // items ≥ N share the overflow bin
 * ```
 */
export function ratioBins(
  level: RatioLevel,
  segIds: ArrayLike<number>, // (B, T), −1 on padding
  options: { dims: TokenDims; n: number },
): RatioBins {
  const { b: rows, t: cols } = options.dims;
  const n = options.n;
  checkLength("ratioBins", "segIds", segIds, rows * cols);
  const bins = new Int32Array(rows * cols); // (B, T)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const seg = segIds[i];
      bins[i] = seg < 0 ? -1 : level === "token" ? c : level === "sequence" ? 0 : Math.min(seg, n);
    }
  }
  const numBins = level === "token" ? cols : level === "sequence" ? 1 : n + 1;
  return { bins, numBins };
}

/** Result of {@link binMeans}. */
export interface BinMeans {
  /** (B, numBins) mean of the values of each bin's tokens (0 for an empty bin). */
  means: Float64Array;
  /** (B, numBins) tokens per bin. */
  counts: Int32Array;
}

/**
 * Per-row, per-bin means of token values over the tokens with bin ≥ 0 (count clamped to ≥ 1).
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const { means } = binMeans(Float64Array.of(1, 3, 5), {
 *   bins: Int32Array.of(0, 0, 1),
 *   numBins: 2,
 * }, {
 *   b: 1,
 *   t: 3,
 * });
 * deepStrictEqual(Array.from(means), [2, 5]);
 * ```
 */
export function binMeans(
  values: ArrayLike<number>, // (B, T)
  bins: RatioBins,
  dims: TokenDims,
): BinMeans {
  const { b: rows, t: cols } = dims;
  const k = bins.numBins;
  checkLength("binMeans", "values", values, rows * cols);
  checkLength("binMeans", "bins", bins.bins, rows * cols);
  const means = new Float64Array(rows * k); // (B, K)
  const counts = new Int32Array(rows * k); // (B, K)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const bin = bins.bins[r * cols + c];
      if (bin < 0) continue;
      means[r * k + bin] += values[r * cols + c];
      counts[r * k + bin]++;
    }
  }
  for (let j = 0; j < rows * k; j++) means[j] /= Math.max(1, counts[j]);
  return { means, counts };
}

/** Broadcasts (B, K) bin values back to (B, T) tokens; padding (bin −1) gets 0. */
export function broadcastBins(
  binValues: Float64Array,
  bins: RatioBins,
  dims: TokenDims,
): Float64Array {
  const { b: rows, t: cols } = dims;
  const out = new Float64Array(rows * cols); // (B, T)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const bin = bins.bins[r * cols + c];
      if (bin >= 0) out[r * cols + c] = binValues[r * bins.numBins + bin];
    }
  }
  return out;
}

/**
 * GSPO sequence log-weight: mean token log-ratio over the mask, one per row (count clamped ≥ 1).
 * @example
 * ```ts
 * const s = sequenceLogRatios(Float64Array.of(0.2, 0.4, 9), Uint8Array.of(1, 1, 0), {
 *   b: 1,
 *   t: 3,
 * });
 * if (s.length !== 1 || Math.abs(s[0] - 0.3) > 1e-12) throw new Error(`want [0.3], got ${s}`);
 * ```
 */
export function sequenceLogRatios(
  logRatios: ArrayLike<number>, // (B, T)
  mask: ArrayLike<number>, // (B, T)
  dims: TokenDims,
): Float64Array {
  checkLength("sequenceLogRatios", "mask", mask, dims.b * dims.t);
  const segIds = Int32Array.from(mask, (m) => (m !== 0 ? 0 : -1));
  return binMeans(logRatios, ratioBins("sequence", segIds, { dims, n: 1 }), dims).means; // (B,)
}

/**
 * Rank-GRPO log-weights: the mean token log-ratio of each item bin (items 0..N−1 and one shared
 * overflow bin N), broadcast back to its tokens; padding gets 0. Returns (B, T).
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const r = rankLogRatios(Float64Array.of(0.1, 0.3, 0.5, 0.7), Int32Array.of(0, 0, 1, 2), {
 *   dims: { b: 1, t: 4 },
 *   n: 1,
 * });
 * // items 1 and 2 are overflow (≥ N) and share one bin
 * deepStrictEqual(Array.from(r, (v) => Math.round(v * 1e4) / 1e4), [0.2, 0.2, 0.6, 0.6]);
 * ```
 */
export function rankLogRatios(
  logRatios: ArrayLike<number>, // (B, T)
  segIds: ArrayLike<number>, // (B, T), −1 on padding
  options: { dims: TokenDims; n: number },
): Float64Array {
  const bins = ratioBins("item", segIds, options);
  return broadcastBins(binMeans(logRatios, bins, options.dims).means, bins, options.dims);
}
