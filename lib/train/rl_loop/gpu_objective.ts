// The RL update's objective on the GPU (gpuObjective; objective path "gpu", objective_path.ts): the
// per-row log-probs are laid out as (B, T) on the device, the WGSL kernels (kernels/rank_objective.ts)
// compute the loss and d loss / d logπθ from the tensors' buffers, and tf.customGrad hands that gradient
// to the decoder's backward pass. Nothing is read back until the update's stats. Same values as the CPU
// closed form (lib/train/rl policyLossAndGrad) within f32 rounding (tests/train/webgpu_smoke_test.ts).
import * as tf from "@tensorflow/tfjs";
import type { GpuHandle } from "../../gpu/device.ts";
import { webgpuHandle } from "../../model/backend.ts";
import {
  createRankObjective,
  finishRowStats,
  type RankObjectiveGpu,
} from "../../../kernels/rank_objective.ts";
import { rankObjectiveLoss } from "../../../kernels/rank_objective_tfjs.ts";
import type { PolicyLossConfig, PolicyLossStats } from "../rl/policy_loss.ts";
import type { TokenDims } from "../rl/shapes.ts";
import { maskedMean, type Objective, type ObjectiveInputs } from "./objective.ts";
import { toCompletionLayout } from "./policy_logprobs.ts";

const compiled = new WeakMap<GPUDevice, Promise<RankObjectiveGpu>>();

/**
 * The objective kernels for `gpu`'s device, compiled once per device, with the pass for lists of `n` ready.
 *
 * @example Needs a WebGPU adapter (tests/gpu/ run it where one exists)
 * ```ts ignore
 * const kernel = await objectiveKernel(webgpuHandle()!, 20);
 * ```
 */
export async function objectiveKernel(gpu: GpuHandle, n: number): Promise<RankObjectiveGpu> {
  let k = compiled.get(gpu.device);
  if (k === undefined) {
    k = createRankObjective(gpu);
    compiled.set(gpu.device, k);
  }
  const kernel = await k;
  await kernel.ready(n);
  return kernel;
}

/** (B, T) inputs that stay fixed over one step's μ updates, as tensors on the active (webgpu) backend. */
export interface ObjectiveConstants {
  /** float32 token advantages */
  readonly advantages: tf.Tensor2D;
  /** int32 item index per token, −1 = padding */
  readonly segIds: tf.Tensor2D;
  /** int32 0/1 completion mask */
  readonly mask: tf.Tensor2D;
  /** float32 reference log-probs; null when β = 0 */
  readonly logpRef: tf.Tensor2D | null;
}

/**
 * Uploads the step's fixed (B, T) inputs (the caller disposes them with {@link disposeObjectiveConstants}).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * await tf.setBackend("cpu"); // this module's imports register wasm first; it needs an explicit init
 * const c = objectiveConstants({
 *   dims: { b: 1, t: 2 },
 *   advantages: [0.5, -1],
 *   segIds: [0, 1],
 *   mask: [1, 1],
 *   logpRef: null,
 * });
 * if (c.advantages.dtype !== "float32" || c.segIds.dtype !== "int32") throw new Error("dtypes");
 * disposeObjectiveConstants(c);
 * ```
 */
export function objectiveConstants(inputs: {
  readonly dims: TokenDims;
  readonly advantages: ArrayLike<number>;
  readonly segIds: ArrayLike<number>;
  readonly mask: ArrayLike<number>;
  readonly logpRef: ArrayLike<number> | null;
}): ObjectiveConstants {
  const shape: [number, number] = [inputs.dims.b, inputs.dims.t];
  const f32 = (x: ArrayLike<number>) => tf.tensor2d(Float32Array.from(x), shape, "float32");
  const i32 = (x: ArrayLike<number>) => tf.tensor2d(Int32Array.from(x), shape, "int32");
  return {
    advantages: f32(inputs.advantages),
    segIds: i32(inputs.segIds),
    mask: i32(inputs.mask),
    logpRef: inputs.logpRef === null ? null : f32(inputs.logpRef),
  };
}

/** Frees {@link objectiveConstants}. */
export function disposeObjectiveConstants(c: ObjectiveConstants): void {
  tf.dispose([c.advantages, c.segIds, c.mask, ...(c.logpRef === null ? [] : [c.logpRef])]);
}

/**
 * (K) per-row values → the (B, T) completion layout on the device (a gather, so differentiable: its
 * gradient scatters back onto the rows). Padding (index −1) reads row 0; the kernels mask it out.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * import * as tf from "@tensorflow/tfjs";
 * await tf.setBackend("cpu");
 * const index = Int32Array.of(1, 2, -1, -1);
 * const out = completionLayoutTensor(tf.tensor1d([0, -1, -2]), index, { b: 2, t: 2 });
 * deepStrictEqual(out.arraySync(), [[-1, -2], [0, 0]]); // padding reads row 0
 * ```
 */
export function completionLayoutTensor(
  values: tf.Tensor1D,
  index: Int32Array,
  dims: TokenDims,
): tf.Tensor2D {
  if (index.length !== dims.b * dims.t) {
    throw new Error(
      `lib/train/rl_loop/gpu_objective.ts: index has ${index.length} entries, expected B·T = ${dims.b}·${dims.t}`,
    );
  }
  return tf.tidy(() => {
    const rows = tf.tensor1d(index.map((i) => Math.max(i, 0)), "int32"); // (B·T)
    return tf.reshape(tf.gather(values, rows), [dims.b, dims.t]) as tf.Tensor2D; // (B, T)
  });
}

/** Where {@link gpuObjectiveLoss} leaves the forward pass's stats tensors (kept; read them once). */
export interface ObjectiveStatsSink {
  rowStats?: tf.Tensor2D;
  status?: tf.Tensor1D;
}

/**
 * The scalar loss of one update with the kernels' d loss / d logπθ attached (call inside
 * tf.variableGrads); the row partials and status go to `sink` for {@link readObjectiveStats}.
 *
 * @example Needs a WebGPU adapter and the kernel of {@link objectiveKernel}
 * ```ts ignore
 * const sink: ObjectiveStatsSink = {};
 * const { grads } = tf.variableGrads(() =>
 *   gpuObjectiveLoss(kernel, gpu, layout, null, consts, algo, sink)
 * );
 * const { loss, stats } = await readObjectiveStats(sink);
 * ```
 */
export function gpuObjectiveLoss(
  kernel: RankObjectiveGpu,
  gpu: GpuHandle,
  logpNew: tf.Tensor2D,
  logpOld: tf.Tensor2D | null,
  consts: ObjectiveConstants,
  config: PolicyLossConfig,
  sink: ObjectiveStatsSink,
): tf.Scalar {
  return rankObjectiveLoss(kernel, gpu, { ...consts, logpNew, logpOld }, config, (rows, status) => {
    sink.rowStats = tf.keep(rows);
    sink.status = tf.keep(status);
  });
}

/**
 * Reads and frees the sink's tensors: the loss (f64 sum of the row partials) and the same batch stats as
 * the CPU path. Throws when a kernel loop was cut short (a software adapter's iteration limit).
 *
 * @example Needs a WebGPU adapter (the sink is filled by {@link gpuObjectiveLoss})
 * ```ts ignore
 * const { loss, stats } = await readObjectiveStats(sink); // stats.clipFraction, stats.meanKl, …
 * ```
 */
export async function readObjectiveStats(
  sink: ObjectiveStatsSink,
): Promise<{ loss: number; stats: PolicyLossStats }> {
  const { rowStats, status } = sink;
  if (rowStats === undefined || status === undefined) {
    throw new Error("lib/train/rl_loop/gpu_objective.ts: no stats: gpuObjectiveLoss did not run");
  }
  try {
    const [rows, flag] = await Promise.all([rowStats.data(), status.data()]);
    if (flag[0] !== 0) {
      throw new Error(
        "lib/train/rl_loop/gpu_objective.ts: a kernel loop was cut short (status " +
          `${flag[0]}); rerun with objective cpu and report the batch shape`,
      );
    }
    const { loss, stats } = finishRowStats(rows as Float32Array);
    return { loss, stats };
  } finally {
    tf.dispose([rowStats, status]);
    delete sink.rowStats;
    delete sink.status;
  }
}

/**
 * The GPU {@link Objective}: the step's fixed inputs uploaded once, logπθ laid out on the device, loss
 * and gradient from the kernels; the stats (and entropy) are read while the gradient norm is.
 * @example Needs tfjs on the webgpu backend (a WebGPU adapter)
 * ```ts ignore
 * const objective = await gpuObjective({
 *   params,
 *   config,
 *   batch,
 *   packed,
 *   refLogp,
 *   algo,
 *   advantages,
 * });
 * ```
 */
export async function gpuObjective(inputs: ObjectiveInputs): Promise<Objective> {
  const { batch, refLogp, algo, advantages } = inputs;
  const gpu = webgpuHandle();
  if (gpu === null) {
    throw new Error(
      'lib/train/rl_loop/gpu_objective.ts: objective "gpu" needs tfjs on webgpu from useBackend("webgpu") ' +
        `(active: "${tf.getBackend()}"); use objective "cpu" or --backend webgpu`,
    );
  }
  const kernel = await objectiveKernel(gpu, algo.n);
  const consts = objectiveConstants({
    dims: batch.dims,
    advantages: advantages.tokenAdvantages,
    segIds: batch.segments.segIds,
    mask: batch.mask,
    logpRef: algo.beta > 0 ? refLogp : null,
  });
  let logpOld: tf.Tensor2D | null = null; // (B, T) the first update's logπθ, detached (μ > 1)
  let sink: ObjectiveStatsSink = {};
  let ent: { values: tf.Tensor1D; index: Int32Array } | null = null;
  return {
    prepare(k) {
      [sink, ent] = [{}, null];
      return Promise.resolve({ entropy: k === 0 });
    },
    loss(lp) {
      if (lp.entropy !== null) ent = { values: tf.keep(lp.entropy), index: lp.index };
      const layout = completionLayoutTensor(lp.logp, lp.index, batch.dims); // (B, T)
      if (algo.mu > 1 && logpOld === null) logpOld = tf.keep(tf.clone(layout));
      return gpuObjectiveLoss(kernel, gpu, layout, logpOld, consts, algo, sink);
    },
    async read() {
      const taken = ent as { values: tf.Tensor1D; index: Int32Array } | null;
      const [objective, entValues] = await Promise.all([
        readObjectiveStats(sink),
        taken === null ? null : taken.values.data().finally(() => taken.values.dispose()),
      ]);
      const entropy = entValues === null
        ? null
        : maskedMean(toCompletionLayout(entValues, taken!.index), batch.mask);
      return { ...objective, entropy };
    },
    dispose() {
      disposeObjectiveConstants(consts);
      (logpOld as tf.Tensor2D | null)?.dispose();
    },
  };
}
