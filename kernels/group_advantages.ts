// WebGPU dispatch of per-rank group advantages (group_advantages.wgsl); same inputs, options and
// result as the CPU twin groupAdvantagesRef (paper.md §4). Reads the .wgsl at run time (--allow-read).

import type { GpuHandle } from "../lib/gpu/device.ts";
import {
  bindDispatch,
  createKernel,
  type Dispatch,
  type KernelSpec,
  loadWgsl,
  storageBuffer,
  submitAndRead,
  uploadArray,
} from "../lib/gpu/kernel.ts";
import {
  checkGroupInputs,
  type GroupAdvantagesF32,
  type GroupAdvantagesOptions,
  type GroupDims,
} from "./group_advantages_ref.ts";
import { LOOP_BUDGET } from "../lib/gpu/kernel.ts";

/** One invocation per (prompt, rank): three loops over the G rollouts. */
export const GROUP_ADVANTAGES_SPEC: KernelSpec = {
  name: "group_advantages",
  entryPoint: "main",
  inputs: [{ name: "rewards", type: "array<f32>" }], // (P·G, N)
  outputs: [
    { name: "advantages", type: "array<f32>" }, // (P·G, N)
    { name: "mean", type: "array<f32>" }, // (P, N)
    { name: "std_out", type: "array<f32>" }, // (P, N)
    { name: "counts", type: "array<atomic<u32>>" }, // [0] zero-std groups, [1] = 1 if a loop was cut
  ],
  params: { prompts: "u32", g: "u32", n: "u32", std_eps: "f32" },
};

/** GPU buffers of one group-advantages dispatch (owned by the caller once encoded). */
export interface GroupAdvantagesBuffers {
  readonly advantages: GPUBuffer;
  readonly mean: GPUBuffer;
  readonly std: GPUBuffer;
  readonly counts: GPUBuffer;
}

/** The group-advantages kernel bound to a device. */
export interface GroupAdvantagesGpu {
  /** Same signature as `groupAdvantagesRef` (async): upload, one submit, one readback. */
  run(
    rewards: Float32Array,
    dims: GroupDims,
    options?: GroupAdvantagesOptions,
  ): Promise<GroupAdvantagesF32>;
  /**
   * Encodes the dispatch over a rewards buffer already on the device (e.g. a tfjs tensor's buffer);
   * returns the dispatch and new output buffers, plus everything to destroy after the submit.
   */
  encode(
    rewards: GPUBuffer,
    dims: GroupDims & { readonly prompts: number },
    options?: GroupAdvantagesOptions,
  ): { dispatch: Dispatch; outputs: GroupAdvantagesBuffers; owned: GPUBuffer[] };
}

const WG = 32;

/**
 * Compiles the kernel for `gpu`.
 *
 * @example
 * ```ts
 * import { acquireGpu, gpuAvailable } from "../lib/gpu/device.ts";
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu();
 *   const ga = await createGroupAdvantages(gpu);
 *   const r = await ga.run(Float32Array.of(1, 0, 0, 0), { g: 2, n: 2 });
 *   if (r.zeroStdGroups !== 1) throw new Error("expected one zero-variance group");
 *   gpu.dispose();
 * }
 * ```
 */
export async function createGroupAdvantages(gpu: GpuHandle): Promise<GroupAdvantagesGpu> {
  const source = await loadWgsl(new URL("./group_advantages.wgsl", import.meta.url));
  const kernel = await createKernel(gpu, GROUP_ADVANTAGES_SPEC, { source, workgroupSize: WG });
  const maxGroups = gpu.info.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  const where = "kernels/group_advantages.ts";

  const encode: GroupAdvantagesGpu["encode"] = (rewards, dims, options = {}) => {
    const { prompts, g, n } = dims;
    if (prompts > maxGroups) {
      throw new Error(`${where}: prompts=${prompts}: expected ≤ ${maxGroups} (one workgroup each)`);
    }
    if (3 * g + 8 > LOOP_BUDGET) {
      throw new Error(`${where}: g=${g}: 3·G loop iterations exceed LOOP_BUDGET=${LOOP_BUDGET}`);
    }
    const outputs = {
      advantages: storageBuffer(gpu, prompts * g * n * 4),
      mean: storageBuffer(gpu, prompts * n * 4),
      std: storageBuffer(gpu, prompts * n * 4),
      counts: storageBuffer(gpu, 8),
    };
    const d = bindDispatch(gpu, kernel, {
      buffers: {
        rewards,
        advantages: outputs.advantages,
        mean: outputs.mean,
        std_out: outputs.std,
        counts: outputs.counts,
      },
      params: { prompts, g, n, std_eps: options.stdEps ?? 1e-4 },
      workgroups: [Math.max(1, prompts), Math.ceil(n / WG), 1],
    });
    return { dispatch: d, outputs, owned: d.uniform === null ? [] : [d.uniform] };
  };

  return {
    encode,
    async run(rewards, dims, options = {}) {
      const prompts = checkGroupInputs(rewards, dims);
      const { g, n } = dims;
      if (prompts === 0) {
        const e = new Float32Array(0);
        return { advantages: e, mean: e, std: e, zeroStdGroups: 0, zeroStdFraction: 0 };
      }
      const input = uploadArray(gpu, rewards);
      const { dispatch, outputs, owned } = encode(input, { prompts, g, n }, options);
      try {
        const [a, m, s, c] = await submitAndRead(gpu, [dispatch], [
          { buffer: outputs.advantages, bytes: prompts * g * n * 4 },
          { buffer: outputs.mean, bytes: prompts * n * 4 },
          { buffer: outputs.std, bytes: prompts * n * 4 },
          { buffer: outputs.counts, bytes: 8 },
        ]);
        const counts = new Uint32Array(c);
        if (counts[1] !== 0) {
          throw new Error(
            `${where}: a kernel loop was cut short at g=${g} n=${n}; use the CPU twin`,
          );
        }
        return {
          advantages: new Float32Array(a),
          mean: new Float32Array(m),
          std: new Float32Array(s),
          zeroStdGroups: counts[0],
          zeroStdFraction: counts[0] / (prompts * n),
        };
      } finally {
        for (const b of [input, ...owned, ...Object.values(outputs)]) b.destroy();
      }
    },
  };
}
