// tfjs kernel functions for the cpu-blas backend built on the typed-array loops of elementwise.ts and
// transpose.ts: float32 inputs only, other dtypes fall through to the stock cpu kernel.
import * as tf from "@tensorflow/tfjs";
import {
  type BinaryOp,
  broadcastBinary,
  softmaxRows,
  splitValues,
  sumLeadingOrTrailing,
} from "./elementwise.ts";
import { legacyBlasPath } from "./fused_kernels.ts";
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

function sum(): tf.KernelFunc {
  const stock = stockKernel("Sum");
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== "float32" || legacyBlasPath()) return stock(args);
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const backend = args.backend as unknown as CpuStore;
    const values = sumLeadingOrTrailing(f32(backend, x), x.shape, axes);
    if (values === undefined) return stock(args);
    const shape = keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    return backend.makeTensorInfo(shape, "float32", values);
  };
}

/** GatherV2 of whole rows (axis 0, no batch dims) of a float32 tensor: one block copy per index. */
function gatherRows(): tf.KernelFunc {
  const stock = stockKernel("GatherV2");
  return (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    if (x.dtype !== "float32" || axis !== 0 || batchDims !== 0 || legacyBlasPath()) {
      return stock(args);
    }
    const backend = args.backend as unknown as CpuStore;
    const src = f32(backend, x);
    const idx = backend.data.get(indices.dataId).values as ArrayLike<number>;
    const row = x.shape.slice(1).reduce((p, d) => p * d, 1), n = x.shape[0];
    const out = new Float32Array(idx.length * row);
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i];
      if (!(r >= 0 && r < n)) return stock(args); // let the stock kernel report bad indices
      out.set(src.subarray(r * row, (r + 1) * row), i * row);
    }
    return backend.makeTensorInfo([...indices.shape, ...x.shape.slice(1)], "float32", out);
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
 * const kernels = fastKernels(); // { Add, ..., GatherV2, SplitV, Sum, Transpose }
 * if (typeof kernels.Add !== "function") throw new Error(Object.keys(kernels).join());
 * ```
 */
export function fastKernels(): Record<string, tf.KernelFunc> {
  return {
    Add: binary("Add", "add"),
    Sub: binary("Sub", "sub"),
    Multiply: binary("Multiply", "mul"),
    RealDiv: binary("RealDiv", "div"),
    Softmax: softmax(),
    GatherV2: gatherRows(),
    SplitV: splitV(),
    Sum: sum(),
    Transpose: transpose(),
  };
}
