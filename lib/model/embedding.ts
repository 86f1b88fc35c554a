// Token embedding lookup with a gradient that works on every tfjs backend and scales to 150k vocabs:
// forward tf.gather; backward a scatter-add (segment sum of dy rows per distinct id, placed by scatterND).
import * as tf from "@tensorflow/tfjs";

/** Backends whose tensors live off the CPU: segment sums stay on device there (no readback). */
const DEVICE_BACKENDS: ReadonlySet<string> = new Set(["webgpu", "webgl"]);

/** Distinct ids of a lookup and which distinct id each position holds. */
export interface TokenSegments {
  /** distinct ids in first-seen order (U) */
  unique: Int32Array;
  /** segment[n] = index into `unique` of ids[n] (N) */
  segment: Int32Array;
}

/** Where the per-id sums of dy rows are formed. */
export type SegmentSumMode = "auto" | "js" | "device";

/**
 * Group positions by token id: `unique[segment[n]] === ids[n]`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const seg = tokenSegments(Int32Array.from([7, 3, 7]));
 * deepStrictEqual([...seg.unique, ...seg.segment], [7, 3, 0, 1, 0]); // unique [7, 3], segment [0, 1, 0]
 * ```
 */
export function tokenSegments(ids: Int32Array): TokenSegments {
  const slot = new Map<number, number>();
  const segment = new Int32Array(ids.length);
  ids.forEach((id, n) => {
    if (!slot.has(id)) slot.set(id, slot.size);
    segment[n] = slot.get(id)!;
  });
  return { unique: Int32Array.from(slot.keys()), segment };
}

/**
 * Sum rows of `dy` (N, D), row-major, that share a segment → (U, D), accumulated in float64 and
 * rounded once (so the result does not depend on how many rows repeat an id).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const seg = tokenSegments(Int32Array.from([5, 2, 5]));
 * deepStrictEqual([...segmentSumRows(Float32Array.from([1, 2, 3]), seg, 1)], [4, 2]);
 * ```
 */
export function segmentSumRows(dy: Float32Array, segments: TokenSegments, D: number): Float32Array {
  const { unique, segment } = segments;
  if (dy.length !== segment.length * D) {
    throw new Error(
      `segmentSumRows: dy holds ${dy.length} values, expected N·D = ${segment.length}·${D}`,
    );
  }
  const acc = new Float64Array(unique.length * D); // (U, D)
  for (let n = 0; n < segment.length; n++) {
    const out = segment[n] * D, row = n * D;
    for (let j = 0; j < D; j++) acc[out + j] += dy[row + j];
  }
  return Float32Array.from(acc);
}

/**
 * Gradient of `gather(table, ids)` w.r.t. a (V, D) table, given the upstream gradient `dy` (N, D):
 * row v of the result is the sum of dy's rows n with ids[n] = v, zero for ids absent from the batch.
 * Costs O(N·D) to sum (in JS on CPU-resident backends; as a compact (U, N) one-hot matmul on GPU
 * backends, U = distinct ids ≤ N) plus O(V·D) to place the U rows with tf.scatterND — never V×N.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const g = embeddingGrad(tf.ones([3, 2]), Int32Array.from([4, 1, 4]), { vocab: 5 }); // (5, 2)
 * // rows: 0 → [0,0], 1 → [1,1], 4 → [2,2]
 * if (g.arraySync()[4].join() !== "2,2") throw new Error(`${g}`);
 * ```
 */
export function embeddingGrad(
  dy: tf.Tensor2D,
  ids: Int32Array,
  options: {
    /** vocabulary size V (rows of the table) */
    vocab: number;
    /** "js" reads dy back and sums in JS; "device" sums with a (U, N) matmul @default "auto" */
    segmentSum?: SegmentSumMode;
  },
): tf.Tensor2D {
  const V = options.vocab, [N, D] = dy.shape;
  if (N !== ids.length) {
    throw new Error(`embeddingGrad: dy has ${N} rows but ${ids.length} ids were looked up`);
  }
  const segments = tokenSegments(ids);
  const U = segments.unique.length;
  if (U === 0) return tf.zeros([V, D]);
  const mode = options.segmentSum ?? "auto";
  const onDevice = mode === "device" ||
    (mode === "auto" && DEVICE_BACKENDS.has(tf.getBackend()));
  return tf.tidy(() => {
    let sums: tf.Tensor2D; // (U, D)
    if (onDevice) {
      const oneHot = new Float32Array(U * N); // (U, N), built in JS: uploaded masks are exact everywhere
      segments.segment.forEach((s, n) => (oneHot[s * N + n] = 1));
      sums = tf.matMul(tf.tensor2d(oneHot, [U, N]), dy);
    } else {
      sums = tf.tensor2d(segmentSumRows(dy.dataSync() as Float32Array, segments, D), [U, D]);
    }
    const at = tf.tensor2d(segments.unique, [U, 1], "int32"); // (U, 1) distinct → unique indices
    return tf.scatterND(at, sums, [V, D]) as tf.Tensor2D; // (V, D)
  });
}

/**
 * Rows `ids` of `table` (V, D) → (N, D), differentiable w.r.t. `table` on cpu, cpu-blas, wasm and
 * webgpu (tf.gather's own gradient needs UnsortedSegmentSum: missing on wasm, O(V·N·D) on cpu).
 * A table also used elsewhere (a tied LM head) gets the sum of both gradients from tfjs' tape.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * import * as tf from "@tensorflow/tfjs";
 * const x = embedTokens(tf.eye(4), Int32Array.from([3, 1]));
 * deepStrictEqual(x.arraySync(), [[0, 0, 0, 1], [0, 1, 0, 0]]);
 * ```
 */
export function embedTokens(
  table: tf.Tensor2D,
  ids: Int32Array,
  options: {
    /** where the backward pass sums dy rows per id @default "auto" */
    segmentSum?: SegmentSumMode;
  } = {},
): tf.Tensor2D {
  const [V] = table.shape;
  for (const id of ids) {
    if (!(id >= 0 && id < V)) {
      throw new Error(`embedTokens: token id ${id} outside vocab [0, ${V})`);
    }
  }
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor2D; // (V, D)
    const value = tf.tidy(() => tf.gather(t, tf.tensor1d(ids, "int32"))); // (N, D)
    const gradFunc = (dy: tf.Tensor) =>
      embeddingGrad(dy as tf.Tensor2D, ids, { vocab: V, segmentSum: options.segmentSum });
    return { value, gradFunc };
  });
  return lookup(table) as tf.Tensor2D;
}
