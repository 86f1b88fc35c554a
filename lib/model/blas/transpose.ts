// Float32 transpose for any permutation with cache-blocked inner tiles: the cpu-blas Transpose kernel
// (the stock cpu kernel computes a multi-index per element and runs ~10x slower here).

const TILE = 32;

/** Row-major strides of `shape`. */
function stridesOf(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/**
 * Output dims and their input strides with size-1 dims dropped and runs that stay contiguous in the input
 * merged: e.g. perm [0, 2, 1, 3] of (B, T, H, D) stays rank 4, perm [0, 1] becomes one dim.
 */
function collapse(shape: number[], perm: number[]): { dims: number[]; strides: number[] } {
  const inStrides = stridesOf(shape);
  const dims: number[] = [], strides: number[] = [];
  for (const p of perm) {
    if (shape[p] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === inStrides[p] * shape[p]) {
      dims[last] *= shape[p];
      strides[last] = inStrides[p];
    } else {
      dims.push(shape[p]);
      strides.push(inStrides[p]);
    }
  }
  return { dims, strides };
}

/**
 * `x` of `shape` permuted by `perm` (output dim i = input dim perm[i]), as a new array.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const t = transposeValues(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], [1, 0]);
 * deepStrictEqual(t, Float32Array.of(1, 4, 2, 5, 3, 6));
 * ```
 */
export function transposeValues(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  if (perm.length !== shape.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`transposeValues: perm [${perm}] is not a permutation of rank ${shape.length}`);
  }
  const size = shape.reduce((p, d) => p * d, 1);
  if (x.length !== size) {
    throw new Error(`transposeValues: ${x.length} values for shape [${shape}] (expected ${size})`);
  }
  const out = new Float32Array(size);
  const { dims, strides } = collapse(shape, perm);
  if (dims.length <= 1) {
    out.set(x);
    return out;
  }
  const r = dims.length;
  const rows = dims[r - 2], cols = dims[r - 1], rs = strides[r - 2], cs = strides[r - 1];
  const outer = dims.slice(0, r - 2), outerStrides = strides.slice(0, r - 2);
  const nOuter = outer.reduce((p, d) => p * d, 1);
  const idx = new Array(outer.length).fill(0);
  let base = 0, o = 0;
  for (let b = 0; b < nOuter; b++) {
    // (rows, cols) tile of the output at o, reading input from base with strides rs, cs
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(i0 + TILE, rows);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(j0 + TILE, cols);
        for (let i = i0; i < i1; i++) {
          const src = base + i * rs, dst = o + i * cols;
          for (let j = j0; j < j1; j++) out[dst + j] = x[src + j * cs];
        }
      }
    }
    o += rows * cols;
    for (let d = outer.length - 1; d >= 0; d--) { // odometer over the outer output dims
      idx[d]++;
      base += outerStrides[d];
      if (idx[d] < outer[d]) break;
      base -= outerStrides[d] * outer[d];
      idx[d] = 0;
    }
  }
  return out;
}
