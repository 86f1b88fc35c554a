// Fused RMSNorm x·rsqrt(mean(x²) + eps)·w and its gradient for the cpu-blas backend: one pass over the rows
// each way on typed arrays (the stock composition runs ~8 kernels and a transposing Sum for dw).
import * as tf from "@tensorflow/tfjs";

/**
 * y = x·r·w per row of length D with r = 1/sqrt(mean(x²) + eps); returns y and r (one per row).
 *
 * @example
 * ```ts
 * const { y } = rmsNormValues(Float32Array.of(3, 4), Float32Array.of(1, 1), 0); // [0.8485, 1.1314]
 * if (Math.abs(y[0] - 0.8485) > 1e-4) throw new Error(`${y}`);
 * ```
 */
export function rmsNormValues(
  x: Float32Array,
  w: Float32Array,
  eps: number,
): { y: Float32Array; r: Float32Array } {
  const D = w.length, rows = x.length / D;
  const y = new Float32Array(x.length), r = new Float32Array(rows);
  for (let n = 0, o = 0; n < rows; n++, o += D) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += x[o + j] * x[o + j];
    const inv = 1 / Math.sqrt(ss / D + eps);
    r[n] = inv;
    for (let j = 0; j < D; j++) y[o + j] = x[o + j] * inv * w[j];
  }
  return { y, r };
}

/**
 * Gradients of {@link rmsNormValues}: dx = r·g − x·r³·Σ(g·x)/D with g = dy·w, and dw = Σ_rows dy·x·r.
 *
 * @example
 * ```ts
 * const [x, w, dy] = [Float32Array.of(3, 4), Float32Array.of(1, 1), Float32Array.of(1, 0)];
 * const { r } = rmsNormValues(x, w, 0);
 * const { dx, dw } = rmsNormGradValues({ x, w, r, dy }); // shapes of x and w
 * if (dx.length !== 2 || dw.length !== 2) throw new Error(`${dx} ${dw}`);
 * ```
 */
export function rmsNormGradValues(
  v: { x: Float32Array; w: Float32Array; r: Float32Array; dy: Float32Array },
): { dx: Float32Array; dw: Float32Array } {
  const { x, w, r, dy } = v;
  const D = w.length, rows = r.length;
  const dx = new Float32Array(x.length), acc = new Float64Array(D);
  for (let n = 0, o = 0; n < rows; n++, o += D) {
    const inv = r[n];
    let dot = 0;
    for (let j = 0; j < D; j++) {
      const xj = x[o + j], dyj = dy[o + j];
      dot += dyj * w[j] * xj;
      acc[j] += dyj * xj * inv;
    }
    const c = (inv * inv * inv * dot) / D;
    for (let j = 0; j < D; j++) dx[o + j] = inv * dy[o + j] * w[j] - x[o + j] * c;
  }
  return { dx, dw: Float32Array.from(acc) };
}

/**
 * RMSNorm of the last axis of `x` scaled by `weight` (D,), one differentiable op reading values
 * synchronously (cpu-like backends). Equals lib/model/rmsnorm.ts' stock composition up to float rounding.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const h = tf.tensor2d([[3, 4]]);
 * const y = fusedRmsNorm(h, tf.ones([2]), 1e-6); // same shape as h: [[0.8485, 1.1314]]
 * if (Math.abs(y.dataSync()[0] - 0.8485) > 1e-4) throw new Error(`${y}`);
 * ```
 */
export function fusedRmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const D = x.shape[x.rank - 1];
  if (weight.rank !== 1 || weight.shape[0] !== D) {
    throw new Error(
      `fused_rmsnorm.ts: weight [${weight.shape}] does not match the last axis of x [${x.shape}]`,
    );
  }
  const op = tf.customGrad(
    ((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
      const { y, r } = rmsNormValues(
        xi.dataSync() as Float32Array,
        wi.dataSync() as Float32Array,
        eps,
      );
      const rt = tf.tensor1d(r); // (rows,)
      save([xi, wi, rt]);
      return {
        value: tf.tensor(y, xi.shape),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw, sr] = saved;
          const { dx, dw } = rmsNormGradValues({
            x: sx.dataSync() as Float32Array,
            w: sw.dataSync() as Float32Array,
            r: sr.dataSync() as Float32Array,
            dy: dy.dataSync() as Float32Array,
          });
          return [tf.tensor(dx, sx.shape), tf.tensor1d(dw)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad<tf.Tensor>>[0],
  );
  return op(x, weight);
}
