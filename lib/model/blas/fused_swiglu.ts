// Fused SwiGLU gate silu(gate)·up and its gradient for the cpu-blas backend: one typed-array pass each way
// with the polynomial exp (the stock composition runs Sigmoid, two Multiply and their gradients).
import * as tf from "@tensorflow/tfjs";
import { fastExp } from "./fast_exp.ts";

/**
 * h = gate·sigmoid(gate)·up elementwise.
 *
 * @example
 * ```ts
 * const h = siluMulValues(Float32Array.of(0, 1), Float32Array.of(2, 2)); // [0, 1.4621]
 * if (h[0] !== 0 || Math.abs(h[1] - 1.4621) > 1e-4) throw new Error(`${h}`);
 * ```
 */
export function siluMulValues(gate: Float32Array, up: Float32Array): Float32Array {
  const h = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i];
    h[i] = (g / (1 + fastExp(-g))) * up[i];
  }
  return h;
}

/**
 * Gradients of {@link siluMulValues}: dgate = dh·up·σ·(1 + g·(1 − σ)), dup = dh·g·σ.
 *
 * @example
 * ```ts
 * const [gate, up, dh] = [Float32Array.of(0, 1), Float32Array.of(2, 2), Float32Array.of(1, 1)];
 * const { dgate, dup } = siluMulGradValues(gate, up, dh); // shapes of gate and up
 * if (dup[0] !== 0) throw new Error(`${dup}`); // d/dup silu(0)·up = silu(0) = 0
 * ```
 */
export function siluMulGradValues(
  gate: Float32Array,
  up: Float32Array,
  dh: Float32Array,
): { dgate: Float32Array; dup: Float32Array } {
  const dgate = new Float32Array(gate.length), dup = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i], s = 1 / (1 + fastExp(-g)), d = dh[i];
    dup[i] = d * g * s;
    dgate[i] = d * up[i] * s * (1 + g * (1 - s));
  }
  return { dgate, dup };
}

/**
 * silu(gate)·up of two same-shape tensors as one differentiable op reading values synchronously
 * (cpu-like backends). Equals tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) up to float rounding.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const h = fusedSiluMul(tf.tensor2d([[0, 1]]), tf.tensor2d([[2, 2]])); // (N, F): [[0, 1.4621]]
 * if (Math.abs(h.dataSync()[1] - 1.4621) > 1e-4) throw new Error(`${h}`);
 * ```
 */
export function fusedSiluMul(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (gate.shape.join(",") !== up.shape.join(",")) {
    throw new Error(`fused_swiglu.ts: gate [${gate.shape}] and up [${up.shape}] differ`);
  }
  const op = tf.customGrad(
    ((g: tf.Tensor, u: tf.Tensor, save: tf.GradSaveFunc) => {
      save([g, u]);
      const h = siluMulValues(g.dataSync() as Float32Array, u.dataSync() as Float32Array);
      return {
        value: tf.tensor(h, g.shape),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sg, su] = saved;
          const { dgate, dup } = siluMulGradValues(
            sg.dataSync() as Float32Array,
            su.dataSync() as Float32Array,
            dy.dataSync() as Float32Array,
          );
          return [tf.tensor(dgate, sg.shape), tf.tensor(dup, su.shape)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad<tf.Tensor>>[0],
  );
  return op(gate, up);
}
