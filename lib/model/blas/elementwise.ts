// Typed-array float32 kernels for the ops a decoder train step spends its time in on tfjs cpu:
// broadcast Add/Sub/Mul/Div, last-axis Softmax and SplitV. The stock cpu kernels index per element.
import { fastExp } from "./fast_exp.ts";

/** Binary ops {@link broadcastBinary} implements. */
export type BinaryOp = "add" | "sub" | "mul" | "div";

/** Broadcast shape of two shapes (numpy rules), or throws naming both. */
export function broadcastShape(aShape: number[], bShape: number[]): number[] {
  const r = Math.max(aShape.length, bShape.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const a = aShape[aShape.length - r + i] ?? 1, b = bShape[bShape.length - r + i] ?? 1;
    if (a !== b && a !== 1 && b !== 1) {
      throw new Error(`broadcastShape: shapes [${aShape}] and [${bShape}] do not broadcast`);
    }
    out.push(a === 1 ? b : a);
  }
  return out;
}

/** Output dims with the matching strides of a and b (0 where broadcast), size-1 dims dropped, runs merged. */
function collapse(out: number[], aShape: number[], bShape: number[]) {
  const r = out.length;
  const pad = (s: number[]) => [...new Array(r - s.length).fill(1), ...s];
  const pa = pad(aShape), pb = pad(bShape);
  const stridesOf = (s: number[]) => {
    const st = new Array(r).fill(0);
    let acc = 1;
    for (let i = r - 1; i >= 0; i--) {
      st[i] = s[i] === 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  const sa = stridesOf(pa), sb = stridesOf(pb);
  const dims: number[] = [], as: number[] = [], bs: number[] = [];
  for (let i = 0; i < r; i++) {
    if (out[i] === 1) continue;
    const l = dims.length - 1;
    if (l >= 0 && as[l] === sa[i] * out[i] && bs[l] === sb[i] * out[i]) {
      dims[l] *= out[i];
      as[l] = sa[i];
      bs[l] = sb[i];
    } else {
      dims.push(out[i]);
      as.push(sa[i]);
      bs.push(sb[i]);
    }
  }
  if (dims.length === 0) return { dims: [1], as: [0], bs: [0] };
  return { dims, as, bs };
}

/** o[oi..oi+n) = a[ia + j·sa] op b[ib + j·sb]. */
function innerLoop(
  op: BinaryOp,
  o: Float32Array,
  a: Float32Array,
  b: Float32Array,
  at: { oi: number; ia: number; ib: number; n: number; sa: number; sb: number },
): void {
  const { oi, n, sa, sb } = at;
  let { ia, ib } = at;
  const end = oi + n;
  switch (op) {
    case "add":
      for (let i = oi; i < end; i++, ia += sa, ib += sb) o[i] = a[ia] + b[ib];
      break;
    case "sub":
      for (let i = oi; i < end; i++, ia += sa, ib += sb) o[i] = a[ia] - b[ib];
      break;
    case "mul":
      for (let i = oi; i < end; i++, ia += sa, ib += sb) o[i] = a[ia] * b[ib];
      break;
    case "div":
      for (let i = oi; i < end; i++, ia += sa, ib += sb) o[i] = a[ia] / b[ib];
      break;
  }
}

/**
 * Elementwise `a op b` with numpy broadcasting, float32.
 *
 * @example
 * ```ts
 * const r = broadcastBinary("add", Float32Array.of(1, 2), [2, 1], Float32Array.of(10, 20), [2]);
 * // [11, 21, 12, 22] with shape [2, 2]
 * if (r.values.join() !== "11,21,12,22" || r.shape.join() !== "2,2") throw new Error(`${r.values}`);
 * ```
 */
export function broadcastBinary(
  op: BinaryOp,
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
): { shape: number[]; values: Float32Array } {
  const shape = broadcastShape(aShape, bShape);
  const size = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(size);
  if (size === 0) return { shape, values };
  const { dims, as, bs } = collapse(shape, aShape, bShape);
  const r = dims.length, n = dims[r - 1], sa = as[r - 1], sb = bs[r - 1];
  const idx = new Array(r - 1).fill(0);
  let ia = 0, ib = 0;
  for (let oi = 0; oi < size; oi += n) {
    innerLoop(op, values, a, b, { oi, ia, ib, n, sa, sb });
    for (let d = r - 2; d >= 0; d--) { // odometer over the outer dims
      idx[d]++;
      ia += as[d];
      ib += bs[d];
      if (idx[d] < dims[d]) break;
      ia -= as[d] * dims[d];
      ib -= bs[d] * dims[d];
      idx[d] = 0;
    }
  }
  return { shape, values };
}

/**
 * Softmax over the last axis of rows of length `n` (max-subtracted, float64 sums).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(softmaxRows(Float32Array.of(0, 0, 1, 1), 2), Float32Array.of(0.5, 0.5, 0.5, 0.5));
 * ```
 */
export function softmaxRows(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += n) {
    let max = -Infinity;
    for (let j = r; j < r + n; j++) if (x[j] > max) max = x[j];
    let sum = 0;
    for (let j = r; j < r + n; j++) {
      const e = fastExp(x[j] - max);
      out[j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = r; j < r + n; j++) out[j] *= inv;
  }
  return out;
}

/**
 * Split `x` of `shape` along `axis` into pieces of `sizes` (summing to shape[axis]).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const parts = splitValues(Float32Array.of(1, 2, 3, 4), [2, 2], { axis: 1, sizes: [1, 1] });
 * deepStrictEqual(parts, [Float32Array.of(1, 3), Float32Array.of(2, 4)]);
 * ```
 */
export function splitValues(
  x: Float32Array,
  shape: number[],
  options: { axis: number; sizes: number[] },
): Float32Array[] {
  const { axis, sizes } = options;
  const total = sizes.reduce((s, v) => s + v, 0);
  if (total !== shape[axis]) {
    throw new Error(`splitValues: sizes [${sizes}] sum to ${total}, axis ${axis} of [${shape}]`);
  }
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const row = total * inner;
  let start = 0;
  return sizes.map((s) => {
    const out = new Float32Array(outer * s * inner), len = s * inner;
    for (let o = 0; o < outer; o++) {
      const src = o * row + start * inner;
      out.set(x.subarray(src, src + len), o * len);
    }
    start += s;
    return out;
  });
}

/**
 * Sum of `x` (shape `shape`) over `axes` when they are a leading or a trailing run of dims (float64
 * accumulation); undefined for other axis sets (the caller falls back to a general kernel).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(sumLeadingOrTrailing(Float32Array.of(1, 2, 3, 4), [2, 2], [0]), Float32Array.of(4, 6));
 * ```
 */
export function sumLeadingOrTrailing(
  x: Float32Array,
  shape: number[],
  axes: number[],
): Float32Array | undefined {
  const r = shape.length, sorted = [...axes].sort((a, b) => a - b);
  const run = sorted.every((a, i) => a === sorted[0] + i);
  if (!run || sorted.length === 0) return undefined;
  const prod = (s: number[]) => s.reduce((p, d) => p * d, 1);
  if (sorted[sorted.length - 1] === r - 1) { // trailing: row sums
    const inner = prod(shape.slice(sorted[0])), rows = prod(shape.slice(0, sorted[0]));
    const out = new Float32Array(rows);
    for (let n = 0, o = 0; n < rows; n++, o += inner) {
      let s = 0;
      for (let j = o; j < o + inner; j++) s += x[j];
      out[n] = s;
    }
    return out;
  }
  if (sorted[0] !== 0) return undefined;
  const rows = prod(shape.slice(0, sorted.length)), inner = prod(shape.slice(sorted.length));
  const acc = new Float64Array(inner); // leading: column sums
  for (let n = 0, o = 0; n < rows; n++, o += inner) {
    for (let j = 0; j < inner; j++) acc[j] += x[o + j];
  }
  return Float32Array.from(acc);
}
