// The clipped surrogate per token, −min(w·A, clip(w, 1−ε_low, 1+ε_high)·A) with w = exp(log weight), and
// the k3 KL to the reference, exp(ref−logp) − (ref−logp) − 1 (paper.md §4), each with its derivative.

import { checkLength } from "./shapes.ts";

/** Options of {@link clippedObjective}. */
export interface ClipOptions {
  /** (B, T) 0/1: tokens outside the mask get loss 0, gradient 0 and are never clipped. */
  mask: ArrayLike<number>;
  /** Lower clip range: w is clamped at 1 − ε_low. */
  eps_low: number;
  /** Upper clip range: w is clamped at 1 + ε_high. */
  eps_high: number;
}

/** Result of {@link clippedObjective}. */
export interface ClippedObjective {
  /** (B, T) per-token loss −min(w·A, clip(w)·A). */
  loss: Float64Array;
  /** (B, T) d loss / d log w: −w·A where the unclipped branch is the min, 0 where the clip is active. */
  dLogWeight: Float64Array;
  /** (B, T) the clip is active from below: w < 1 − ε_low and A < 0. */
  clippedLow: Uint8Array;
  /** (B, T) the clip is active from above: w > 1 + ε_high and A > 0. */
  clippedHigh: Uint8Array;
  /** (B, T) w = exp(log w). */
  ratio: Float64Array;
}

/**
 * Per-token clipped surrogate loss (to minimise) and its derivative w.r.t. the log weight (paper
 * Eq. 7: zero gradient where the clipped branch is active).
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const { loss } = clippedObjective(Float64Array.of(0, Math.log(2)), Float64Array.of(1, 1), {
 *   mask: Uint8Array.of(1, 1),
 *   eps_low: 0.2,
 *   eps_high: 0.2,
 * });
 * deepStrictEqual(Array.from(loss, (v) => Math.round(v * 1e4) / 1e4), [-1, -1.2]); // ratio 2 clipped to 1.2
 * ```
 */
export function clippedObjective(
  logWeights: ArrayLike<number>, // (B, T)
  advantages: ArrayLike<number>, // (B, T)
  options: ClipOptions,
): ClippedObjective {
  const size = logWeights.length;
  const { mask, eps_low, eps_high } = options;
  checkLength("clippedObjective", "advantages", advantages, size);
  checkLength("clippedObjective", "mask", mask, size);
  const loss = new Float64Array(size);
  const dLogWeight = new Float64Array(size);
  const clippedLow = new Uint8Array(size);
  const clippedHigh = new Uint8Array(size);
  const ratio = new Float64Array(size);
  const lo = 1 - eps_low;
  const hi = 1 + eps_high;
  for (let i = 0; i < size; i++) {
    if (mask[i] === 0) continue;
    const w = Math.exp(logWeights[i]);
    const a = advantages[i];
    ratio[i] = w;
    const low = w < lo && a < 0;
    const high = w > hi && a > 0;
    if (low || high) {
      // clip(w)·A < w·A: the constant clipped branch is the min.
      loss[i] = -(low ? lo : hi) * a;
      clippedLow[i] = low ? 1 : 0;
      clippedHigh[i] = high ? 1 : 0;
    } else {
      loss[i] = -Math.min(w * a, Math.min(Math.max(w, lo), hi) * a);
      dLogWeight[i] = -w * a;
    }
  }
  return { loss, dLogWeight, clippedLow, clippedHigh, ratio };
}

/** Result of {@link k3Kl}. */
export interface K3Kl {
  /** (B, T) exp(ref − logp) − (ref − logp) − 1 (0 outside the mask). */
  kl: Float64Array;
  /** (B, T) d kl / d logp = 1 − exp(ref − logp). */
  dLogp: Float64Array;
}

/**
 * The k3 estimator of KL(πθ ‖ πref) per token, and its derivative w.r.t. logπθ.
 * @example
 * ```ts
 * const { kl } = k3Kl(Float64Array.of(-1), Float64Array.of(-1 + Math.log(2)), Uint8Array.of(1));
 * // [2 − ln 2 − 1] ≈ [0.3069]
 * if (Math.abs(kl[0] - (1 - Math.log(2))) > 1e-12) throw new Error(`k3Kl: got ${kl[0]}`);
 * ```
 */
export function k3Kl(
  logpNew: ArrayLike<number>, // (B, T)
  logpRef: ArrayLike<number>, // (B, T)
  mask: ArrayLike<number>, // (B, T)
): K3Kl {
  const size = logpNew.length;
  checkLength("k3Kl", "logpRef", logpRef, size);
  checkLength("k3Kl", "mask", mask, size);
  const kl = new Float64Array(size);
  const dLogp = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    if (mask[i] === 0) continue;
    const d = logpRef[i] - logpNew[i];
    const e = Math.exp(d);
    kl[i] = e - d - 1;
    dLogp[i] = 1 - e;
  }
  return { kl, dLogp };
}
