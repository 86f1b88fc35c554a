// A tfjs backend "cpu-blas": the stock pure-JS cpu backend with BatchMatMul/_FusedMatMul on OpenBLAS
// sgemm and the hot elementwise kernels on typed-array loops. Same results as cpu up to f32 rounding.
import * as tf from "@tensorflow/tfjs";
import { BLAS_BACKEND_NAME } from "../backend_names.ts";
import { type CpuStore, f32, fastKernels, stockKernel } from "./fast_kernels.ts";
import { causalAttentionKernels } from "./fused_causal_attention.ts";
import { type OpenBlas, openBlas } from "./openblas.ts";

/** Name the BLAS-backed backend is registered under by default. */
export { BLAS_BACKEND_NAME };

/** The OpenBLAS each BLAS backend registered by this module runs on, by backend name. */
const backendBlasHandles = new Map<string, OpenBlas>();

/** Activation name of _FusedMatMul → the stock kernel that applies it (and its attrs). */
const ACTIVATION_KERNELS: Record<string, string> = {
  relu: "Relu",
  relu6: "Relu6",
  elu: "Elu",
  sigmoid: "Sigmoid",
  leakyrelu: "LeakyRelu",
  prelu: "Prelu",
};

/** Row-major strides of `shape`. */
function strides(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** For each batch of the broadcast shape `out`, the flat batch index into an input of batch shape `dims`. */
function batchOffsets(out: number[], dims: number[]): Int32Array {
  const total = out.reduce((p, d) => p * d, 1);
  const pad = [...new Array(out.length - dims.length).fill(1), ...dims];
  const inStrides = strides(pad), outStrides = strides(out);
  const idx = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    let rem = i, flat = 0;
    for (let d = 0; d < out.length; d++) {
      const c = Math.floor(rem / outStrides[d]);
      rem -= c * outStrides[d];
      flat += (pad[d] === 1 ? 0 : c) * inStrides[d];
    }
    idx[i] = flat;
  }
  return idx;
}

/**
 * op(a) @ op(b) over broadcast batch dims with sgemm: a (..., m, k) or (..., k, m) with transposeA,
 * b (..., k, n) or (..., n, k) with transposeB → (..., m, n). Float32 only.
 *
 * @example
 * ```ts
 * import { plainSgemm } from "../generate/array_decode.ts";
 * const blas = { path: "plain JS", threads: 1, sgemm: plainSgemm, close() {} }; // or openBlas()
 * const a = Float32Array.of(1, 2, 3, 4, 5, 6), b = new Float32Array(12).fill(1);
 * const { shape, values } = blasMatMul(blas, { a, aShape: [2, 3], b, bShape: [3, 4] }); // [2, 4]
 * if (shape.join() !== "2,4" || values[4] !== 15) throw new Error(`${shape}: ${values}`);
 * ```
 */
export function blasMatMul(
  blas: OpenBlas,
  args: {
    a: Float32Array;
    aShape: number[];
    b: Float32Array;
    bShape: number[];
    transposeA?: boolean;
    transposeB?: boolean;
  },
): { shape: number[]; values: Float32Array } {
  const { a, aShape, b, bShape, transposeA = false, transposeB = false } = args;
  const ra = aShape.length, rb = bShape.length;
  if (ra < 2 || rb < 2) {
    throw new Error(`blasMatMul: inputs must be rank ≥ 2, got [${aShape}] and [${bShape}]`);
  }
  const k = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  if (k !== kb) {
    throw new Error(
      `blasMatMul: inner sizes ${k} and ${kb} differ for [${aShape}] and [${bShape}] ` +
        `(transposeA=${transposeA}, transposeB=${transposeB})`,
    );
  }
  const outer = tf.backend_util.assertAndGetBroadcastShape(
    aShape.slice(0, -2),
    bShape.slice(0, -2),
  );
  const offA = batchOffsets(outer, aShape.slice(0, -2));
  const offB = batchOffsets(outer, bShape.slice(0, -2));
  const values = new Float32Array(offA.length * m * n);
  for (let i = 0; i < offA.length; i++) {
    blas.sgemm(
      a.subarray(offA[i] * m * k, (offA[i] + 1) * m * k),
      b.subarray(offB[i] * k * n, (offB[i] + 1) * k * n),
      values.subarray(i * m * n, (i + 1) * m * n),
      { m, n, k, transA: transposeA, transB: transposeB },
    );
  }
  return { shape: [...outer, m, n], values };
}

function matMulKernel(blas: OpenBlas): tf.KernelFunc {
  const stock = stockKernel("BatchMatMul");
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return stock(args);
    const backend = args.backend as unknown as CpuStore;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const out = blasMatMul(blas, {
      a: f32(backend, a),
      aShape: a.shape,
      b: f32(backend, b),
      bShape: b.shape,
      transposeA,
      transposeB,
    });
    return backend.makeTensorInfo(out.shape, "float32", out.values);
  };
}

function fusedMatMulKernel(blas: OpenBlas, backendName: string): tf.KernelFunc {
  const matMul = matMulKernel(blas);
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation: string;
      leakyreluAlpha?: number;
    };
    const backend = args.backend as unknown as tf.KernelBackend;
    const run = (name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}) =>
      tf.getKernel(name, backendName)!.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
    let out = matMul({
      inputs: { a, b },
      backend,
      attrs: { transposeA, transposeB },
    }) as tf.TensorInfo;
    const replace = (next: tf.TensorInfo) => {
      backend.disposeData(out.dataId);
      out = next;
    };
    if (bias) replace(run("Add", { a: out, b: bias }));
    if (activation && activation !== "linear") {
      const name = ACTIVATION_KERNELS[activation];
      if (!name) {
        throw new Error(`blas_backend.ts: _FusedMatMul activation "${activation}" unknown`);
      }
      if (name === "Prelu") replace(run(name, { x: out, alpha: preluActivationWeights }));
      else if (name === "LeakyRelu") {
        replace(run(name, { x: out }, { alpha: leakyreluAlpha ?? 0.2 }));
      } else replace(run(name, { x: out }));
    }
    return out;
  };
}

/**
 * Register a tfjs backend (default "cpu-blas") that runs every stock cpu kernel, except matmuls
 * (sgemm on `blas`) and float32 transposes (blocked loops). Idempotent per name; returns the name.
 * Select it with `await tf.setBackend(name)`. The stock "cpu" backend is left untouched.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { plainSgemm } from "../generate/array_decode.ts";
 * const blas = { path: "plain JS", threads: 1, sgemm: plainSgemm, close() {} }; // or openBlas()
 * const name = registerBlasBackend(blas, { name: "cpu-plain" });
 * await tf.setBackend(name);
 * if (tf.matMul(tf.ones([3, 4]), tf.ones([4, 5])).dataSync()[0] !== 4) throw new Error("matMul");
 * ```
 */
export function registerBlasBackend(blas: OpenBlas, options: { name?: string } = {}): string {
  const name = options.name ?? BLAS_BACKEND_NAME;
  if (tf.findBackendFactory(name)) return name;
  backendBlasHandles.set(name, blas);
  const cpuFactory = tf.findBackendFactory("cpu");
  if (!cpuFactory) throw new Error("blas_backend.ts: the tfjs cpu backend is not registered");
  tf.registerBackend(name, cpuFactory, -1); // never picked as a default
  const own: Record<string, tf.KernelFunc> = {
    ...fastKernels(),
    ...causalAttentionKernels(blas),
    BatchMatMul: matMulKernel(blas),
    _FusedMatMul: fusedMatMulKernel(blas, name),
  };
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!(k.kernelName in own)) tf.registerKernel({ ...k, backendName: name });
  }
  for (const [kernelName, kernelFunc] of Object.entries(own)) {
    tf.registerKernel({ kernelName, backendName: name, kernelFunc });
  }
  return name;
}

/**
 * The OpenBLAS behind tfjs backend `name` when it is a BLAS backend of this module, else undefined — for
 * code that calls sgemm on plain arrays next to the backend's kernels (e.g. the array decoder).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { plainSgemm } from "../generate/array_decode.ts";
 * const blas = { path: "plain JS", threads: 1, sgemm: plainSgemm, close() {} };
 * await tf.setBackend(registerBlasBackend(blas, { name: "cpu-plain" }));
 * if (backendBlas(tf.getBackend()) !== blas) throw new Error("the handle of the active backend");
 * ```
 */
export function backendBlas(name: string): OpenBlas | undefined {
  return backendBlasHandles.get(name);
}

/**
 * Load OpenBLAS, register the BLAS backend (once) and make it the active tfjs backend; returns its name.
 * Needs --allow-ffi; throws naming the apt package when OpenBLAS is missing.
 *
 * @example
 * ```ts
 * import { openBlasAvailable } from "./openblas.ts";
 * if (openBlasAvailable().ok) { // needs libopenblas and --allow-ffi
 *   const name = await useBlasBackend({ threads: 2 }); // "cpu-blas"
 * }
 * ```
 */
export async function useBlasBackend(
  options: { threads?: number; path?: string; name?: string } = {},
): Promise<string> {
  const name = options.name ?? BLAS_BACKEND_NAME;
  if (!tf.findBackendFactory(name)) {
    registerBlasBackend(openBlas({ threads: options.threads, path: options.path }), { name });
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend "${name}" failed to initialise`);
  await tf.ready();
  return name;
}
