// CPU twin of similarity_topk.wgsl: per query, the k catalog rows with the highest dot product
// (cosine for L2-normalised rows). Paper §5 (Remap) ranks by cosine; this is that top-k, exactly.

/** Queries and catalog, row-major; both L2-normalised by the caller when cosine is meant. */
export interface TopkInputs {
  /** (nq, dim) row-major. */
  readonly queries: Float32Array;
  /** (nc, dim) row-major. */
  readonly catalog: Float32Array;
  /** Embedding width d (any positive integer; no multiple-of-4 requirement). */
  readonly dim: number;
}

/** Options shared by the CPU twin and the GPU dispatch. */
export interface TopkOptions {
  /** Results per query, 1 ≤ k ≤ 128. */
  readonly k: number;
}

/**
 * Per query the top rows, best first: higher score first, then lower catalog index (deterministic
 * tie-break). Row stride is `k`; only the first `valid = min(k, nc)` slots of a row are results, the
 * rest are padding with index −1 and score −Infinity. Rows whose score is NaN or −Infinity are never
 * returned. Scores are f32 (the dot product rounded to f32 before ranking, as on the GPU).
 */
export interface TopkResult {
  readonly nq: number;
  readonly k: number;
  readonly valid: number;
  /** (nq, k) catalog row indices. */
  readonly indices: Int32Array;
  /** (nq, k) scores. */
  readonly scores: Float32Array;
}

/** Largest k the kernels support. */
export const TOPK_MAX_K = 128;

/**
 * Validates shapes; returns (nq, nc). Errors name the field and what was expected.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const inputs = { queries: new Float32Array(6), catalog: new Float32Array(9), dim: 3 };
 * deepStrictEqual(checkTopkInputs(inputs, { k: 2 }), { nq: 2, nc: 3 });
 * ```
 */
export function checkTopkInputs(
  inputs: TopkInputs,
  options: TopkOptions,
): { nq: number; nc: number } {
  const { queries, catalog, dim } = inputs;
  const where = "kernels/similarity_topk_ref.ts";
  if (!Number.isInteger(dim) || dim < 1) {
    throw new Error(`${where}: dim=${dim}: expected a positive integer`);
  }
  if (!Number.isInteger(options.k) || options.k < 1 || options.k > TOPK_MAX_K) {
    throw new Error(`${where}: k=${options.k}: expected an integer in 1..${TOPK_MAX_K}`);
  }
  if (queries.length % dim !== 0) {
    throw new Error(
      `${where}: queries.length=${queries.length}: expected a multiple of dim=${dim}`,
    );
  }
  if (catalog.length % dim !== 0) {
    throw new Error(
      `${where}: catalog.length=${catalog.length}: expected a multiple of dim=${dim}`,
    );
  }
  const nc = catalog.length / dim;
  if (nc > 0x7fffffff) throw new Error(`${where}: catalog rows=${nc}: expected < 2^31`);
  return { nq: queries.length / dim, nc };
}

/** True when (sa, ia) ranks below (sb, ib): lower score, or equal score and higher index. */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

/** Restores the min-heap (root = worst) below `pos` in the heap at `base` of length `size`. */
function siftDown(hs: Float32Array, hi: Int32Array, base: number, size: number, pos: number): void {
  const s = hs[base + pos];
  const i = hi[base + pos];
  for (;;) {
    let c = 2 * pos + 1;
    if (c >= size) break;
    const r = c + 1;
    if (r < size && worse(hs[base + r], hi[base + r], hs[base + c], hi[base + c])) c = r;
    if (!worse(hs[base + c], hi[base + c], s, i)) break;
    hs[base + pos] = hs[base + c];
    hi[base + pos] = hi[base + c];
    pos = c;
  }
  hs[base + pos] = s;
  hi[base + pos] = i;
}

/** Adds (s, i) to the bounded heap at `base`; returns the new size. Indices arrive increasing. */
function offer(
  hs: Float32Array,
  hi: Int32Array,
  base: number,
  size: number,
  cap: number,
  s: number,
  i: number,
): number {
  if (size < cap) {
    // sift up
    let pos = size;
    while (pos > 0) {
      const p = (pos - 1) >> 1;
      if (!worse(s, i, hs[base + p], hi[base + p])) break;
      hs[base + pos] = hs[base + p];
      hi[base + pos] = hi[base + p];
      pos = p;
    }
    hs[base + pos] = s;
    hi[base + pos] = i;
    return size + 1;
  }
  // full: equal score with a higher index never wins (rows are scanned in increasing order)
  if (!(s > hs[base])) return size;
  hs[base] = s;
  hi[base] = i;
  siftDown(hs, hi, base, size, 0);
  return size;
}

/** Pops the heap at `base` into result row `q`, best first. */
function drain(
  hs: Float32Array,
  hi: Int32Array,
  base: number,
  size: number,
  out: { indices: Int32Array; scores: Float32Array },
  rowBase: number,
): void {
  for (let n = size; n > 0; n--) {
    out.scores[rowBase + n - 1] = hs[base];
    out.indices[rowBase + n - 1] = hi[base];
    hs[base] = hs[base + n - 1];
    hi[base] = hi[base + n - 1];
    siftDown(hs, hi, base, n - 1, 0);
  }
}

/** Query rows handled together (register blocking: each catalog load feeds QB dots). */
const QB = 4;

/**
 * Top-k by dot product for every query row: a register-blocked loop (4 queries x 2 catalog rows, 8
 * accumulators; each dot summed over d in order in f64, then rounded to f32) and one bounded min-heap
 * per query; no allocation per row.
 *
 * @example
 * ```ts
 * const r = similarityTopkRef(
 *   { queries: new Float32Array([1, 0]), catalog: new Float32Array([0, 1, 1, 0, 0.6, 0.8]), dim: 2 },
 *   { k: 2 },
 * );
 * // r.indices = [1, 2], r.scores ≈ [1, 0.6]
 * if (r.indices[0] !== 1 || r.indices[1] !== 2) throw new Error(`indices ${r.indices}`);
 * ```
 */
export function similarityTopkRef(inputs: TopkInputs, options: TopkOptions): TopkResult {
  const { nq, nc } = checkTopkInputs(inputs, options);
  const { queries: Q, catalog: C, dim: d } = inputs;
  const k = options.k;
  const valid = Math.min(k, nc);
  const indices = new Int32Array(nq * k).fill(-1); // (nq, k)
  const scores = new Float32Array(nq * k).fill(-Infinity); // (nq, k)
  const out = { indices, scores };
  const cap = Math.max(valid, 1);
  const hs = new Float32Array(QB * cap); // (QB, cap) heap scores
  const hi = new Int32Array(QB * cap); // (QB, cap) heap indices
  const fround = Math.fround;
  let q = 0;
  for (; q + QB <= nq; q += QB) {
    const a = q * d, b = a + d, c = b + d, e = c + d; // query row offsets
    let n0 = 0, n1 = 0, n2 = 0, n3 = 0; // heap sizes
    const h1 = cap, h2 = 2 * cap, h3 = 3 * cap; // heap bases
    let r = 0;
    for (; r + 2 <= nc; r += 2) {
      // 4 queries x 2 rows: 8 accumulators, each summed over j in order (same as the 1x1 loop)
      const o = r * d, p = o + d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let j = 0; j < d; j++) {
        const x = C[o + j], y = C[p + j];
        const q0 = Q[a + j], q1 = Q[b + j], q2 = Q[c + j], q3 = Q[e + j];
        s0 += q0 * x, s1 += q1 * x, s2 += q2 * x, s3 += q3 * x;
        t0 += q0 * y, t1 += q1 * y, t2 += q2 * y, t3 += q3 * y;
      }
      s0 = fround(s0), s1 = fround(s1), s2 = fround(s2), s3 = fround(s3);
      t0 = fround(t0), t1 = fround(t1), t2 = fround(t2), t3 = fround(t3);
      if (s0 > -Infinity && (n0 < cap || s0 > hs[0])) n0 = offer(hs, hi, 0, n0, cap, s0, r);
      if (t0 > -Infinity && (n0 < cap || t0 > hs[0])) n0 = offer(hs, hi, 0, n0, cap, t0, r + 1);
      if (s1 > -Infinity && (n1 < cap || s1 > hs[h1])) n1 = offer(hs, hi, h1, n1, cap, s1, r);
      if (t1 > -Infinity && (n1 < cap || t1 > hs[h1])) n1 = offer(hs, hi, h1, n1, cap, t1, r + 1);
      if (s2 > -Infinity && (n2 < cap || s2 > hs[h2])) n2 = offer(hs, hi, h2, n2, cap, s2, r);
      if (t2 > -Infinity && (n2 < cap || t2 > hs[h2])) n2 = offer(hs, hi, h2, n2, cap, t2, r + 1);
      if (s3 > -Infinity && (n3 < cap || s3 > hs[h3])) n3 = offer(hs, hi, h3, n3, cap, s3, r);
      if (t3 > -Infinity && (n3 < cap || t3 > hs[h3])) n3 = offer(hs, hi, h3, n3, cap, t3, r + 1);
    }
    for (; r < nc; r++) {
      const o = r * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let j = 0; j < d; j++) {
        const x = C[o + j];
        s0 += Q[a + j] * x, s1 += Q[b + j] * x, s2 += Q[c + j] * x, s3 += Q[e + j] * x;
      }
      s0 = fround(s0), s1 = fround(s1), s2 = fround(s2), s3 = fround(s3);
      if (s0 > -Infinity && (n0 < cap || s0 > hs[0])) n0 = offer(hs, hi, 0, n0, cap, s0, r);
      if (s1 > -Infinity && (n1 < cap || s1 > hs[h1])) n1 = offer(hs, hi, h1, n1, cap, s1, r);
      if (s2 > -Infinity && (n2 < cap || s2 > hs[h2])) n2 = offer(hs, hi, h2, n2, cap, s2, r);
      if (s3 > -Infinity && (n3 < cap || s3 > hs[h3])) n3 = offer(hs, hi, h3, n3, cap, s3, r);
    }
    drain(hs, hi, 0, Math.min(n0, valid), out, q * k);
    drain(hs, hi, cap, Math.min(n1, valid), out, (q + 1) * k);
    drain(hs, hi, 2 * cap, Math.min(n2, valid), out, (q + 2) * k);
    drain(hs, hi, 3 * cap, Math.min(n3, valid), out, (q + 3) * k);
  }
  for (; q < nq; q++) {
    const a = q * d;
    let n0 = 0;
    for (let r = 0; r < nc; r++) {
      const o = r * d;
      let s0 = 0;
      for (let j = 0; j < d; j++) s0 += Q[a + j] * C[o + j];
      s0 = fround(s0);
      if (s0 > -Infinity && (n0 < cap || s0 > hs[0])) n0 = offer(hs, hi, 0, n0, cap, s0, r);
    }
    drain(hs, hi, 0, Math.min(n0, valid), out, q * k);
  }
  return { nq, k, valid, indices, scores };
}
