// The pluggable text embedding of Remap (paper.md §5 step 1): texts → an (n, d) row-major Float32Array
// of L2-normalised rows, so a dot product is a cosine. The paper uses a 400M sentence model; ours is pluggable.

/** Embeds texts; rows are L2-normalised (a zero row only for a text with no features). */
export interface Embedder {
  /** Short name recorded in run configs, e.g. `hashed-tfidf:d256`. */
  readonly name: string;
  /** Row width d. */
  readonly dim: number;
  /** (texts.length, dim) row-major. */
  readonly embed: (texts: readonly string[]) => Promise<Float32Array>;
}

/**
 * L2-normalises every row of an (n, d) matrix in place (zero rows stay zero) and returns it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(normalizeRows(new Float32Array([3, 4]), 2), Float32Array.of(0.6, 0.8));
 * ```
 */
export function normalizeRows(m: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < m.length; o += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += m[o + j] * m[o + j];
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) m[o + j] *= inv;
  }
  return m;
}

/**
 * Stacks equal-length vectors into one (n, d) row-major matrix; errors name the first bad row.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const m = stackRows([new Float32Array([1, 0]), new Float32Array([0, 1])], 2);
 * deepStrictEqual(m, Float32Array.of(1, 0, 0, 1));
 * ```
 */
export function stackRows(rows: readonly ArrayLike<number>[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim); // (n, d)
  rows.forEach((r, i) => {
    if (r.length !== dim) {
      throw new Error(
        `lib/distill/embed/embedder.ts: stackRows: row ${i}: expected ${dim} values, got ${r.length}`,
      );
    }
    out.set(r, i * dim);
  });
  return out;
}
