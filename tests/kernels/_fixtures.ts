// Seeded inputs for the similarity top-k tests and bench: row-normalised random matrices drawn from the
// shared seeded stream (tests/_seeded.ts), plus a brute-force top-k by full sort.

import type { TopkResult } from "../../kernels/similarity_topk_ref.ts";
import { seededUniform } from "../_seeded.ts";

/** (rows, dim) uniform in [−1, 1), each row L2-normalised (a zero row stays zero). */
export function randomRows(rows: number, dim: number, seed: number): Float32Array {
  const u = seededUniform(seed);
  const m = new Float32Array(rows * dim); // (rows, dim)
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) {
      const v = 2 * u() - 1;
      m[r * dim + j] = v;
      ss += v * v;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < dim; j++) m[r * dim + j] *= inv;
  }
  return m;
}

/** Dot of query row q and catalog row r, summed in order over d in f64 and rounded to f32. */
export function dotF32(
  queries: Float32Array,
  catalog: Float32Array,
  dim: number,
  q: number,
  r: number,
): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += queries[q * dim + j] * catalog[r * dim + j];
  return Math.fround(s);
}

/** Top-k by scoring every row and sorting (score desc, index asc); same padding as TopkResult. */
export function bruteTopk(
  queries: Float32Array,
  catalog: Float32Array,
  options: { dim: number; k: number },
): TopkResult {
  const { dim, k } = options;
  const nq = queries.length / dim, nc = catalog.length / dim;
  const valid = Math.min(k, nc);
  const indices = new Int32Array(nq * k).fill(-1);
  const scores = new Float32Array(nq * k).fill(-Infinity);
  for (let q = 0; q < nq; q++) {
    const all = Array.from(
      { length: nc },
      (_, r) => ({ r, s: dotF32(queries, catalog, dim, q, r) }),
    );
    all.sort((a, b) => b.s - a.s || a.r - b.r);
    for (let t = 0; t < valid; t++) {
      indices[q * k + t] = all[t].r;
      scores[q * k + t] = all[t].s;
    }
  }
  return { nq, k, valid, indices, scores };
}
