// Fused rotary embedding x·cos + rotate_half(x)·sin and its gradient for the cpu-blas backend: one typed-array
// pass each way (the stock composition runs SplitV, Neg, Concat, two Multiply and an Add per call).
import * as tf from "@tensorflow/tfjs";

/**
 * RoPE of x (B, H, T, hd) with tables cos/sin (B, 1, T, hd); `inverse` applies the transpose rotation
 * (the gradient): dx = dy·cos + rotate_halfᵀ(dy·sin), rotate_halfᵀ(z) = cat(z2, −z1).
 *
 * @example
 * ```ts
 * const [x, cos, sin] = [Float32Array.of(1, 2), Float32Array.of(0, 0), Float32Array.of(1, 1)];
 * const y = ropeValues(x, cos, sin, { shape: [1, 1, 1, 2] }); // [x0·c0 − x1·s0, x1·c1 + x0·s1]
 * if (y.join() !== "-2,1") throw new Error(`${y}`);
 * ```
 */
export function ropeValues(
  x: Float32Array,
  cos: Float32Array,
  sin: Float32Array,
  options: { shape: number[]; inverse?: boolean },
): Float32Array {
  const [B, H, T, hd] = options.shape, half = hd / 2, sign = options.inverse ? -1 : 1;
  const y = new Float32Array(x.length);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const o = ((b * H + h) * T + t) * hd, c = (b * T + t) * hd;
        for (let i = 0; i < half; i++) {
          const x1 = x[o + i], x2 = x[o + half + i];
          if (sign > 0) {
            y[o + i] = x1 * cos[c + i] - x2 * sin[c + i];
            y[o + half + i] = x2 * cos[c + half + i] + x1 * sin[c + half + i];
          } else {
            y[o + i] = x1 * cos[c + i] + x2 * sin[c + half + i];
            y[o + half + i] = x2 * cos[c + half + i] - x1 * sin[c + i];
          }
        }
      }
    }
  }
  return y;
}

/**
 * x·cos + rotate_half(x)·sin for x (B, H, T, hd) and cos/sin (B, 1, T, hd), differentiable w.r.t. x
 * (the tables are constants), reading values synchronously (cpu-like backends). Equals
 * lib/model/rope.ts' stock composition up to float rounding.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const q0 = tf.tensor4d([1, 2], [1, 1, 1, 2]); // (B, H, T, hd)
 * const [cos, sin] = [tf.zeros([1, 1, 1, 2]) as tf.Tensor4D, tf.ones([1, 1, 1, 2]) as tf.Tensor4D];
 * const q = fusedRope(q0, cos, sin); // (B, H, T, hd): a quarter turn, [-2, 1]
 * if (q.dataSync().join() !== "-2,1") throw new Error(`${q}`);
 * ```
 */
export function fusedRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const [B, , T, hd] = x.shape;
  const want = [B, 1, T, hd].join(",");
  if (cos.shape.join(",") !== want || sin.shape.join(",") !== want || hd % 2 !== 0) {
    throw new Error(
      `fused_rope.ts: x [${x.shape}] needs cos/sin [${want}] and an even head dim; ` +
        `got [${cos.shape}] and [${sin.shape}]`,
    );
  }
  const c = cos.dataSync() as Float32Array, s = sin.dataSync() as Float32Array;
  const op = tf.customGrad(
    ((xi: tf.Tensor, _save: tf.GradSaveFunc) => {
      const y = ropeValues(xi.dataSync() as Float32Array, c, s, { shape: xi.shape });
      return {
        value: tf.tensor(y, xi.shape),
        gradFunc: (dy: tf.Tensor) =>
          tf.tensor(
            ropeValues(dy.dataSync() as Float32Array, c, s, { shape: dy.shape, inverse: true }),
            dy.shape,
          ),
      };
    }) as unknown as Parameters<typeof tf.customGrad<tf.Tensor>>[0],
  );
  return op(x) as tf.Tensor4D;
}
