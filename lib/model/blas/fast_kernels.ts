// tfjs kernel functions for the cpu-blas backend built on the typed-array loops of elementwise.ts and
// transpose.ts: float32 inputs only, other dtypes fall through to the stock cpu kernel.
import * as tf from "@tensorflow/tfjs";
import { type BinaryOp, broadcastBinary, softmaxRows, splitValues } from "./elementwise.ts";
import { transposeValues } from "./transpose.ts";

/** The cpu backend's storage as its kernels read it (values are plain typed arrays). */
export interface CpuStore {
  data: { get(id: tf.DataId): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** The kernel function registered for `name` on the stock cpu backend. */
export function stockKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, "cpu");
  if (!k) throw new Error(`fast_kernels.ts: stock cpu kernel "${name}" is not registered`);
  return k.kernelFunc;
}

/** Float32 values of a cpu tensor (no copy). */
export function f32(backend: CpuStore, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

function binary(kernelName: string, op: BinaryOp): tf.KernelFunc {
  const stock = stockKernel(kernelName);
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return stock(args);
    const backend = args.backend as unknown as CpuStore;
    const out = broadcastBinary(op, f32(backend, a), a.shape, f32(backend, b), b.shape);
    return backend.makeTensorInfo(out.shape, "float32", out.values);
  };
}

function softmax(): tf.KernelFunc {
  const stock = stockKernel("Softmax");
  return (args) => {
    const { logits } = args.inputs as { logits: tf.TensorInfo };
    const { dim } = args.attrs as { dim: number };
    const rank = logits.shape.length;
    if (logits.dtype !== "float32" || rank === 0 || (dim !== -1 && dim !== rank - 1)) {
      return stock(args);
    }
    const backend = args.backend as unknown as CpuStore;
    const values = softmaxRows(f32(backend, logits), logits.shape[rank - 1]);
    return backend.makeTensorInfo(logits.shape, "float32", values);
  };
}

function splitV(): tf.KernelFunc {
  const stock = stockKernel("SplitV");
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    if (x.dtype !== "float32") return stock(args);
    const backend = args.backend as unknown as CpuStore;
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const pieces = splitValues(f32(backend, x), x.shape, { axis: ax, sizes });
    return pieces.map((v, i) => {
      const shape = x.shape.slice();
      shape[ax] = sizes[i];
      return backend.makeTensorInfo(shape, "float32", v);
    });
  };
}

function transpose(): tf.KernelFunc {
  const stock = stockKernel("Transpose");
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    if (x.dtype !== "float32") return stock(args);
    const backend = args.backend as unknown as CpuStore;
    const values = transposeValues(f32(backend, x), x.shape, perm);
    return backend.makeTensorInfo(perm.map((p) => x.shape[p]), "float32", values);
  };
}

/**
 * Fast float32 replacements of stock cpu kernels, keyed by tfjs kernel name.
 *
 * @example
 * ```ts
 * const kernels = fastKernels(); // { Add, Sub, Multiply, RealDiv, Softmax, SplitV, Transpose }
 * ```
 */
export function fastKernels(): Record<string, tf.KernelFunc> {
  return {
    Add: binary("Add", "add"),
    Sub: binary("Sub", "sub"),
    Multiply: binary("Multiply", "mul"),
    RealDiv: binary("RealDiv", "div"),
    Softmax: softmax(),
    SplitV: splitV(),
    Transpose: transpose(),
  };
}
