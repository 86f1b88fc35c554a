// Fused causal-masked softmax of attention scores for the cpu-blas backend: softmax(scale·s + causal
// mask) and its gradient on typed arrays, skipping masked keys (no (B, H, T, S) mask tensor, no exp of them).
import * as tf from "@tensorflow/tfjs";
import { fastExp } from "./fast_exp.ts";

/** Layout of score rows: keys S = past + T; row r is query t = r mod T, which sees keys s ≤ past + t. */
export interface CausalLayout {
  /** query positions per head block */
  T: number;
  /** cached key positions before the new queries */
  past: number;
  /** multiplier applied to the raw scores before the softmax */
  scale: number;
}

/**
 * Row softmax of scale·x with keys s > past + (r mod T) masked out (their probability is exactly 0).
 * x holds rows of S = past + T scores.
 *
 * @example
 * ```ts
 * const p = causalSoftmaxValues(Float32Array.of(1, 2, 1, 2), { T: 2, past: 0, scale: 1 });
 * // [1, 0, 0.269, 0.731]
 * if (p[1] !== 0 || Math.abs(p[2] - 0.2689) > 1e-3) throw new Error(`${p}`);
 * ```
 */
export function causalSoftmaxValues(x: Float32Array, layout: CausalLayout): Float32Array {
  const { T, past, scale } = layout;
  const S = past + T;
  const rows = x.length / S;
  if (!Number.isInteger(rows)) {
    throw new Error(`fused_attention.ts: causalSoftmaxValues: ${x.length} scores not rows of ${S}`);
  }
  const y = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * S, end = o + past + (r % T) + 1;
    let max = -Infinity;
    for (let j = o; j < end; j++) if (x[j] > max) max = x[j];
    const m = max * scale;
    let sum = 0;
    for (let j = o; j < end; j++) {
      const e = fastExp(x[j] * scale - m);
      y[j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = o; j < end; j++) y[j] *= inv;
  }
  return y;
}

/**
 * Gradient of {@link causalSoftmaxValues} w.r.t. x: scale·y·(dy − Σ dy·y) per row (0 at masked keys).
 *
 * @example
 * ```ts
 * const layout = { T: 2, past: 0, scale: 0.125 };
 * const y = causalSoftmaxValues(Float32Array.of(1, 2, 1, 2), layout);
 * const dx = causalSoftmaxGradValues(y, Float32Array.of(1, 0, 0, 1), layout); // same length as y
 * if (dx.length !== y.length) throw new Error(`${dx}`);
 * ```
 */
export function causalSoftmaxGradValues(
  y: Float32Array,
  dy: Float32Array,
  layout: CausalLayout,
): Float32Array {
  const { T, past, scale } = layout;
  const S = past + T;
  const rows = y.length / S;
  const dx = new Float32Array(y.length);
  for (let r = 0; r < rows; r++) {
    const o = r * S, end = o + past + (r % T) + 1;
    let dot = 0;
    for (let j = o; j < end; j++) dot += dy[j] * y[j];
    for (let j = o; j < end; j++) dx[j] = scale * y[j] * (dy[j] - dot);
  }
  return dx;
}

/**
 * softmax(scale·scores + causal mask) over the last axis of `scores` (..., R, S) with R a multiple of
 * T (e.g. g·T rows of g query heads), as one differentiable op. Reads values synchronously: for
 * cpu-like backends. Equals tf.softmax(scores·scale + causalMask(past, T, g)) up to float rounding.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const scores = tf.tensor4d([1, 2, 1, 2], [1, 1, 2, 2]); // (B, nkv, g·T, S)
 * const probs = fusedCausalSoftmax(scores, { T: 2, past: 0, scale: 1 }); // (B, nkv, g·T, S)
 * if (probs.dataSync()[1] !== 0) throw new Error("row 0 sees key 0 only");
 * ```
 */
export function fusedCausalSoftmax<R extends tf.Rank>(
  scores: tf.Tensor<R>,
  layout: CausalLayout,
): tf.Tensor<R> {
  const S = scores.shape[scores.rank - 1];
  if (S !== layout.past + layout.T || scores.shape[scores.rank - 2] % layout.T !== 0) {
    throw new Error(
      `fused_attention.ts: fusedCausalSoftmax: scores [${scores.shape}] do not fit T=${layout.T}, ` +
        `past=${layout.past} (expected last axis past+T and rows a multiple of T)`,
    );
  }
  const op = tf.customGrad<tf.Tensor>(
    ((x: tf.Tensor, save: tf.GradSaveFunc) => {
      const y = tf.tensor(causalSoftmaxValues(x.dataSync() as Float32Array, layout), x.shape); // (..., R, S)
      save([y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const yv = saved[0].dataSync() as Float32Array;
          const dx = causalSoftmaxGradValues(yv, dy.dataSync() as Float32Array, layout);
          return tf.tensor(dx, dy.shape);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad<tf.Tensor>>[0],
  );
  return op(scores) as tf.Tensor<R>;
}
