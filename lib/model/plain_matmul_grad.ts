// A BatchMatMul gradient whose matMuls are all non-transposed (explicit tf.transpose first), installed
// for the duration of a call. Not in the paper: on tfjs wasm, transposed matMuls miss XNNPACK (~10x slower).
import * as tf from "@tensorflow/tfjs";

/** Last-two-axes transpose of a rank ≥ 2 tensor: (..., m, n) → (..., n, m). */
function swapLast(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return tf.transpose(x, perm);
}

/** The stock gradient's matMul(x, y, tA, tB), computed as a plain matMul of explicit transposes. */
function plainMatMul(x: tf.Tensor, y: tf.Tensor, tA: boolean, tB: boolean): tf.Tensor {
  return tf.matMul(tA ? swapLast(x) : x, tB ? swapLast(y) : y);
}

/**
 * The BatchMatMul gradient config with the stock formulas (tfjs BatchMatMul_grad) but every product a
 * plain matMul. Only for inputs of equal rank and batch shape (what the decoder uses); otherwise the
 * stock gradient is used.
 */
function plainGradConfig(stock: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: "BatchMatMul",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const sameBatch = a.rank === b.rank &&
        a.shape.slice(0, -2).join(",") === b.shape.slice(0, -2).join(",");
      if (!sameBatch) return stock.gradFunc(dy, saved, attrs);
      const dY = dy as tf.Tensor;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) {
        return {
          a: () => plainMatMul(dY, b, false, true),
          b: () => plainMatMul(a, dY, true, false),
        };
      } else if (!transposeA && transposeB) {
        return {
          a: () => plainMatMul(dY, b, false, false),
          b: () => plainMatMul(dY, a, true, false),
        };
      } else if (transposeA && !transposeB) {
        return {
          a: () => plainMatMul(b, dY, false, true),
          b: () => plainMatMul(a, dY, false, false),
        };
      }
      return { a: () => plainMatMul(b, dY, true, true), b: () => plainMatMul(dY, a, true, true) };
    },
  };
}

/**
 * Run `fn` with the plain-matMul BatchMatMul gradient registered, then restore the stock one (also on
 * error); on the cpu-blas and webgpu backends `fn` runs with the stock gradient. Values equal the stock gradient's up to float rounding of the summation order.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const [x, w] = [tf.ones([2, 3]), tf.ones([3, 4])];
 * const g = await withPlainMatMulGrad(() => tf.grad((x) => tf.sum(tf.matMul(x, w)))(x)); // (2, 3), all 4
 * if (g.dataSync()[0] !== 4) throw new Error(`${g}`);
 * ```
 */
export async function withPlainMatMulGrad<T>(fn: () => Promise<T> | T): Promise<T> {
  // cpu-blas passes transposes to sgemm for free: explicit transposes there only cost (1948 → 2250
  // tokens/s on the built-in SFT step when skipped); webgpu's matMul shader reads transposed operands
  // in place, so explicit transposes would only add kernel launches and memory traffic
  const backend = tf.getBackend();
  if (backend === "cpu-blas" || backend === "webgpu") return await fn();
  const stock = tf.getGradient("BatchMatMul");
  if (stock === undefined) throw new Error("withPlainMatMulGrad: tfjs has no BatchMatMul gradient");
  tf.registerGradient(plainGradConfig(stock));
  try {
    return await fn();
  } finally {
    tf.registerGradient(stock);
  }
}
