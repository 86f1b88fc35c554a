// The rank objective on tfjs-webgpu tensors with no CPU round trip: tfjs's "webgpu" backend runs on our
// device (lib/model/backend.ts useBackend("webgpu"), webgpuHandle()), the tensors' GPU buffers are bound to
// the kernels, the outputs wrapped as tensors, the gradient supplied through tf.customGrad. The RL update
// uses it through lib/train/rl_loop/gpu_objective.ts.

import * as tf from "@tensorflow/tfjs";
import type { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import type { GpuHandle } from "../lib/gpu/device.ts";
import type { PolicyLossConfig } from "../lib/train/rl/policy_loss.ts";
import type { RankObjectiveGpu } from "./rank_objective.ts";

/** (B, T) tfjs tensors of one update: float32 log-probs and advantages, int32 segIds and mask. */
export interface RankObjectiveTensors {
  readonly logpNew: tf.Tensor2D;
  readonly logpOld: tf.Tensor2D | null;
  readonly logpRef: tf.Tensor2D | null;
  readonly advantages: tf.Tensor2D;
  readonly segIds: tf.Tensor2D;
  readonly mask: tf.Tensor2D;
}

/** Outputs as tfjs tensors on the same device (the caller disposes them). */
export interface RankObjectiveTensorOutputs {
  /** (B, T) per-token loss contribution. */
  readonly tokenLoss: tf.Tensor2D;
  /** (B, T) d loss / d logpNew. */
  readonly grad: tf.Tensor2D;
  /** (B, 8) per-row partials: loss, clip low, clip high, kl, ratio, advantage, tokens, 0. */
  readonly rowStats: tf.Tensor2D;
  /** (1,) int32: non-zero when a kernel loop was cut short (read it when convenient). */
  readonly status: tf.Tensor1D;
}

/**
 * Runs both passes on the tensors' GPU buffers (tfjs `dataToGPU`: a GPU-side copy, no readback)
 * and returns the outputs as tensors (a GPU-side copy into tfjs-owned buffers). Synchronous: one
 * queue submit; await `kernel.ready(config.n)` once before. Needs the backend of
 * tfjs's "webgpu" backend on `gpu.device` (`useBackend("webgpu")`, `gpu = webgpuHandle()`).
 *
 * @example
 * ```ts ignore
 * await obj.ready(20);
 * const out = rankObjectiveOnTensors(obj, gpu, tensors, config); // out.grad: (B, T) on the GPU
 * ```
 */
export function rankObjectiveOnTensors(
  kernel: RankObjectiveGpu,
  gpu: GpuHandle,
  tensors: RankObjectiveTensors,
  config: PolicyLossConfig,
): RankObjectiveTensorOutputs {
  const [b, t] = tensors.logpNew.shape;
  const backend = tf.backend() as WebGPUBackend;
  const held: tf.Tensor[] = [];
  const onGpu = (x: tf.Tensor | null): GPUBuffer | null => {
    if (x === null) return null;
    // a tensor made from CPU values stays on the CPU until an op needs it: upload it (no-op otherwise)
    backend.uploadToGPU(x.dataId);
    const d = x.dataToGPU();
    held.push(d.tensorRef);
    if (d.buffer === undefined) {
      throw new Error("kernels/rank_objective_tfjs.ts: dataToGPU gave no GPUBuffer (not webgpu?)");
    }
    return d.buffer;
  };
  try {
    const enc = kernel.encode(
      {
        logpNew: onGpu(tensors.logpNew)!,
        logpOld: onGpu(tensors.logpOld),
        logpRef: config.beta > 0 ? onGpu(tensors.logpRef) : null,
        advantages: onGpu(tensors.advantages)!,
        segIds: onGpu(tensors.segIds)!,
        mask: onGpu(tensors.mask)!,
      },
      { b, t },
      config,
    );
    const encoder = gpu.device.createCommandEncoder();
    for (const d of enc.dispatches) {
      const pass = encoder.beginComputePass();
      pass.setPipeline(d.kernel.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
      pass.end();
    }
    gpu.device.queue.submit([encoder.finish()]);
    const o = enc.outputs;
    const out = {
      tokenLoss: tf.tensor({ buffer: o.tokenLoss }, [b, t], "float32") as tf.Tensor2D,
      grad: tf.tensor({ buffer: o.grad }, [b, t], "float32") as tf.Tensor2D,
      rowStats: tf.tensor({ buffer: o.rowStats }, [b, 8], "float32") as tf.Tensor2D,
      status: tf.tensor({ buffer: o.status }, [1], "int32") as tf.Tensor1D,
    };
    // tfjs copied the outputs into its own buffers (queued after our submit): ours can go
    for (const x of [...enc.owned, ...Object.values(o)]) x.destroy();
    return out;
  } finally {
    for (const x of held) x.dispose();
  }
}

/**
 * The scalar loss as a function of `logpNew` with the kernel's gradient attached through
 * tf.customGrad, so `tf.grad` / `tf.variableGrads` through the model see d loss / d logpNew
 * without a CPU round trip. Must be called on tfjs's "webgpu" backend on `gpu.device` (`webgpuHandle()`). `onStats`, when given,
 * takes ownership of the forward pass's (B, 8) row partials and (1) status (inside tf.variableGrads,
 * `tf.keep` them to read them after it, then dispose them); without it they are disposed here.
 *
 * @example
 * ```ts ignore
 * const g = tf.grad((x: tf.Tensor2D) => rankObjectiveLoss(obj, gpu, { ...rest, logpNew: x }, cfg));
 * ```
 */
export function rankObjectiveLoss(
  kernel: RankObjectiveGpu,
  gpu: GpuHandle,
  tensors: RankObjectiveTensors,
  config: PolicyLossConfig,
  onStats?: (rowStats: tf.Tensor2D, status: tf.Tensor1D) => void,
): tf.Scalar {
  const f = tf.customGrad((logpNew, save) => {
    const out = rankObjectiveOnTensors(
      kernel,
      gpu,
      { ...tensors, logpNew: logpNew as tf.Tensor2D },
      config,
    );
    const value = tf.sum(out.tokenLoss) as tf.Scalar;
    (save as tf.GradSaveFunc)([out.grad]);
    out.tokenLoss.dispose();
    if (onStats === undefined) tf.dispose([out.rowStats, out.status]);
    else onStats(out.rowStats, out.status);
    return {
      value,
      gradFunc: (dy, saved) => tf.mul(dy, saved[0]),
    };
  });
  return f(tensors.logpNew) as tf.Scalar;
}
