// WebGPU dispatch of the rank objective: pass 1 segment statistics (rank_objective_stats.wgsl), pass 2
// objective + gradient (rank_objective.wgsl), one submit. Same inputs/result as rankObjectiveRef; the
// scalar loss and stats are summed on the CPU from per-row partial sums (B × 8 floats).

import type { GpuHandle } from "../lib/gpu/device.ts";
import {
  bindDispatch,
  createKernel,
  type Dispatch,
  type Kernel,
  type KernelSpec,
  loadWgsl,
  storageBuffer,
  submitAndRead,
  uploadArray,
} from "../lib/gpu/kernel.ts";
import type { PolicyLossConfig } from "../lib/train/rl/policy_loss.ts";
import {
  checkObjectiveInputs,
  type RankObjective,
  type RankObjectiveInputs,
} from "./rank_objective_ref.ts";
import { LOOP_BUDGET } from "../lib/gpu/kernel.ts";

/** Pass 1: per (row, item bin 0..N) Σ log-ratio and token count over the loss mask. */
export const STATS_SPEC: KernelSpec = {
  name: "rank_objective.stats",
  entryPoint: "stats",
  inputs: [
    { name: "logp_new", type: "array<f32>" }, // (B, T)
    { name: "logp_old", type: "array<f32>" }, // (B, T); logp_new again when has_old = 0
    { name: "seg_ids", type: "array<i32>" }, // (B, T)
    { name: "mask", type: "array<i32>" }, // (B, T)
  ],
  outputs: [
    { name: "item_stats", type: "array<f32>" }, // (B, N + 1, 2): Σ log-ratio, count
    { name: "status", type: "array<atomic<u32>>" }, // [0] = 1 when a loop was cut short
  ],
  params: { b: "u32", t: "u32", n: "u32", has_old: "u32" },
};

/** Pass 2: per-token loss, weight and gradient; per-row partial sums. */
export const OBJECTIVE_SPEC: KernelSpec = {
  name: "rank_objective.objective",
  entryPoint: "objective",
  inputs: [
    { name: "logp_new", type: "array<f32>" }, // (B, T)
    { name: "logp_old", type: "array<f32>" }, // (B, T)
    { name: "logp_ref", type: "array<f32>" }, // (B, T); logp_new again when β = 0
    { name: "advantages", type: "array<f32>" }, // (B, T)
    { name: "seg_ids", type: "array<i32>" }, // (B, T)
    { name: "mask", type: "array<i32>" }, // (B, T)
    { name: "item_stats", type: "array<f32>" }, // (B, N + 1, 2) from pass 1
  ],
  outputs: [
    { name: "token_loss", type: "array<f32>" }, // (B, T)
    { name: "grad", type: "array<f32>" }, // (B, T)
    { name: "ratio_out", type: "array<f32>" }, // (B, T)
    { name: "row_stats", type: "array<f32>" }, // (B, 8): loss, low, high, kl, ratio, adv, tokens, 0
    { name: "status", type: "array<atomic<u32>>" },
  ],
  params: {
    b: "u32",
    t: "u32",
    n: "u32",
    has_old: "u32",
    level: "u32",
    norm: "u32",
    eps_low: "f32",
    eps_high: "f32",
    beta: "f32",
  },
};

const STATS_WG = 32;
const OBJECTIVE_WG = 64;
/** Floats per row in `row_stats`. */
export const ROW_STATS = 8;
/** Largest N: the item bins (N + 1) live in workgroup memory. */
export const MAX_ITEMS = 1023;

const LEVEL_CODE = { token: 0, sequence: 1, item: 2 } as const;
const NORM_CODE = { token: 0, rank: 1 } as const;

/**
 * Worst-case loop iterations per invocation of each pass (compared with {@link LOOP_BUDGET}: software
 * adapters silently cut loops beyond 65535 iterations per invocation).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(objectiveLoopCost({ b: 64, t: 256, n: 20, level: "item" }), {
 *   stats: 257,
 *   objective: 304,
 * });
 * ```
 */
export function objectiveLoopCost(
  q: { readonly b: number; readonly t: number; readonly n: number; readonly level: string },
): { stats: number; objective: number } {
  const nb = q.n + 1;
  const stats = Math.ceil(nb / STATS_WG) * (q.t + 1);
  const log = Math.log2(OBJECTIVE_WG);
  const perBin = q.level === "item"
    ? Math.ceil(nb / OBJECTIVE_WG) * (q.t + 2)
    : q.level === "sequence"
    ? nb + q.t + 2
    : 0;
  const objective = Math.ceil((q.b * nb) / OBJECTIVE_WG) + Math.ceil(nb / OBJECTIVE_WG) +
    2 * Math.ceil(q.t / OBJECTIVE_WG) + perBin + 2 * log + 4;
  return { stats, objective };
}

/** Device buffers of one update's inputs (e.g. tfjs tensors' buffers); see {@link RankObjectiveGpu}. */
export interface RankObjectiveBuffers {
  readonly logpNew: GPUBuffer;
  readonly logpOld: GPUBuffer | null;
  readonly logpRef: GPUBuffer | null;
  readonly advantages: GPUBuffer;
  /** i32. */
  readonly segIds: GPUBuffer;
  /** i32. */
  readonly mask: GPUBuffer;
}

/** What {@link RankObjectiveGpu.encode} returns: dispatches, output buffers, buffers to free. */
export interface EncodedObjective {
  readonly dispatches: Dispatch[];
  /** (B, T) f32 each; (B, 8) f32 row stats; u32 status. */
  readonly outputs: {
    readonly tokenLoss: GPUBuffer;
    readonly grad: GPUBuffer;
    readonly ratio: GPUBuffer;
    readonly rowStats: GPUBuffer;
    readonly status: GPUBuffer;
  };
  /** Intermediate buffers and uniforms: destroy after the submit (outputs are the caller's). */
  readonly owned: GPUBuffer[];
}

/** The rank objective bound to a device. */
export interface RankObjectiveGpu {
  /** Same signature as `rankObjectiveRef` (async): upload, one submit, one readback. */
  run(inputs: RankObjectiveInputs, config: PolicyLossConfig): Promise<RankObjective>;
  /** Compiles the pass-2 pipeline for lists of length `n` (run() does this itself). */
  ready(n: number): Promise<void>;
  /**
   * Encodes both passes over buffers already on the device (B ≥ 1, T ≥ 1); synchronous, so it can
   * run inside a tfjs gradient closure. Throws unless `ready(config.n)` has resolved.
   */
  encode(
    buffers: RankObjectiveBuffers,
    dims: { readonly b: number; readonly t: number },
    config: PolicyLossConfig,
  ): EncodedObjective;
}

/**
 * Sums the (B, 8) row partials in f64 into the loss, clip counts and {@link RankObjective} stats.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(finishRowStats(Float32Array.of(-1, 0, 0, 0, 2, 2, 2, 0)).loss, -1);
 * ```
 */
export function finishRowStats(
  rowStats: Float32Array,
): Pick<RankObjective, "loss" | "clipLow" | "clipHigh" | "stats"> {
  const s = new Float64Array(ROW_STATS);
  for (let i = 0; i < rowStats.length; i++) s[i % ROW_STATS] += rowStats[i];
  const tokens = Math.round(s[6]);
  const denom = Math.max(1, tokens);
  const clipLow = Math.round(s[1]);
  const clipHigh = Math.round(s[2]);
  return {
    loss: s[0],
    clipLow,
    clipHigh,
    stats: {
      tokens,
      clipLowFraction: clipLow / denom,
      clipHighFraction: clipHigh / denom,
      clipFraction: (clipLow + clipHigh) / denom,
      meanKl: s[3] / denom,
      meanRatio: s[4] / denom,
      meanAdvantage: s[5] / denom,
    },
  };
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Loads both WGSL passes and binds them to `gpu`; pipelines are compiled per bin capacity on first use.
 *
 * @example
 * ```ts
 * import { acquireGpu, gpuAvailable } from "../lib/gpu/device.ts";
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu();
 *   const obj = await createRankObjective(gpu);
 *   const r = await obj.run({
 *     dims: { b: 1, t: 2 }, logpNew: Float32Array.of(-1, -2), logpOld: null, logpRef: null,
 *     advantages: Float32Array.of(1, 1), segIds: Int32Array.of(0, 0), mask: Int32Array.of(1, 1),
 *   }, { level: "item", eps_low: 0.06, eps_high: 0.08, beta: 0, loss_norm: "token", n: 20 });
 *   if (Math.abs(r.loss + 1) > 1e-6) throw new Error(`loss ${r.loss}, expected -1`);
 *   gpu.dispose();
 * }
 * ```
 */
export async function createRankObjective(gpu: GpuHandle): Promise<RankObjectiveGpu> {
  const where = "kernels/rank_objective.ts";
  const statsSource = await loadWgsl(new URL("./rank_objective_stats.wgsl", import.meta.url));
  const objSource = await loadWgsl(new URL("./rank_objective.wgsl", import.meta.url));
  const stats = await createKernel(gpu, STATS_SPEC, {
    source: statsSource,
    workgroupSize: STATS_WG,
  });
  const binCap = (n: number) => Math.max(32, nextPow2(n + 1));
  const objectives = new Map<number, Kernel>(); // bin capacity -> compiled pass-2 pipeline
  const ready = async (n: number) => {
    const cap = binCap(n);
    if (objectives.has(cap)) return;
    const k = await createKernel(gpu, OBJECTIVE_SPEC, {
      source: objSource,
      workgroupSize: OBJECTIVE_WG,
      consts: { BIN_CAP: cap, WG_CAP: OBJECTIVE_WG },
    });
    objectives.set(cap, k);
  };
  const maxGroups = gpu.info.limits.maxComputeWorkgroupsPerDimension ?? 65535;

  const encode: RankObjectiveGpu["encode"] = (buffers, dims, config) => {
    const { b, t } = dims;
    const n = config.n;
    if (b < 1 || t < 1) throw new Error(`${where}: dims b=${b} t=${t}: expected ≥ 1 each`);
    if (b > maxGroups) {
      throw new Error(`${where}: b=${b}: expected ≤ ${maxGroups} rows (one workgroup each)`);
    }
    if (!Number.isInteger(n) || n < 1 || n > MAX_ITEMS) {
      throw new Error(`${where}: n=${n}: expected an integer in 1..${MAX_ITEMS}`);
    }
    if (config.beta > 0 && buffers.logpRef === null) {
      throw new Error(`${where}: logpRef: expected a buffer when beta=${config.beta} > 0`);
    }
    const cost = objectiveLoopCost({ b, t, n, level: config.level });
    if (Math.max(cost.stats, cost.objective) > LOOP_BUDGET) {
      throw new Error(
        `${where}: b=${b} t=${t} n=${n} level=${config.level}: ${
          Math.max(cost.stats, cost.objective)
        } loop iterations per invocation exceed LOOP_BUDGET=${LOOP_BUDGET}; use the CPU twin`,
      );
    }
    const objective = objectives.get(binCap(n));
    if (objective === undefined) {
      throw new Error(`${where}: n=${n}: pipeline not compiled; await ready(${n}) first`);
    }
    const hasOld = buffers.logpOld === null ? 0 : 1;
    const logpOld = buffers.logpOld ?? buffers.logpNew;
    const itemStats = storageBuffer(gpu, b * (n + 1) * 2 * 4);
    const outputs = {
      tokenLoss: storageBuffer(gpu, b * t * 4),
      grad: storageBuffer(gpu, b * t * 4),
      ratio: storageBuffer(gpu, b * t * 4),
      rowStats: storageBuffer(gpu, b * ROW_STATS * 4),
      status: storageBuffer(gpu, 4),
    };
    const d1 = bindDispatch(gpu, stats, {
      buffers: {
        logp_new: buffers.logpNew,
        logp_old: logpOld,
        seg_ids: buffers.segIds,
        mask: buffers.mask,
        item_stats: itemStats,
        status: outputs.status,
      },
      params: { b, t, n, has_old: hasOld },
      workgroups: [b, 1, 1],
    });
    const d2 = bindDispatch(gpu, objective, {
      buffers: {
        logp_new: buffers.logpNew,
        logp_old: logpOld,
        logp_ref: buffers.logpRef ?? buffers.logpNew,
        advantages: buffers.advantages,
        seg_ids: buffers.segIds,
        mask: buffers.mask,
        item_stats: itemStats,
        token_loss: outputs.tokenLoss,
        grad: outputs.grad,
        ratio_out: outputs.ratio,
        row_stats: outputs.rowStats,
        status: outputs.status,
      },
      params: {
        b,
        t,
        n,
        has_old: hasOld,
        level: LEVEL_CODE[config.level],
        norm: NORM_CODE[config.loss_norm],
        eps_low: config.eps_low,
        eps_high: config.eps_high,
        beta: config.beta,
      },
      workgroups: [b, 1, 1],
    });
    const owned = [itemStats];
    for (const d of [d1, d2]) if (d.uniform !== null) owned.push(d.uniform);
    return { dispatches: [d1, d2], outputs, owned };
  };

  return {
    ready,
    encode,
    async run(inputs, config) {
      checkObjectiveInputs(inputs, config);
      await ready(config.n);
      const { b, t } = inputs.dims;
      if (b * t === 0) {
        const e = new Float32Array(0);
        return {
          tokenLoss: e,
          grad: e,
          ratio: e,
          ...finishRowStats(new Float32Array(0)),
        };
      }
      const up = (a: Float32Array | Int32Array | null) => (a === null ? null : uploadArray(gpu, a));
      const buffers = {
        logpNew: up(inputs.logpNew)!,
        logpOld: up(inputs.logpOld),
        logpRef: config.beta > 0 ? up(inputs.logpRef) : null,
        advantages: up(inputs.advantages)!,
        segIds: up(inputs.segIds)!,
        mask: up(inputs.mask)!,
      };
      const uploaded = Object.values(buffers).filter((x): x is GPUBuffer => x !== null);
      let enc: EncodedObjective;
      try {
        enc = encode(buffers, { b, t }, config);
      } catch (e) {
        for (const x of uploaded) x.destroy();
        throw e;
      }
      try {
        const o = enc.outputs;
        const [tl, g, r, rs, st] = await submitAndRead(gpu, enc.dispatches, [
          { buffer: o.tokenLoss, bytes: b * t * 4 },
          { buffer: o.grad, bytes: b * t * 4 },
          { buffer: o.ratio, bytes: b * t * 4 },
          { buffer: o.rowStats, bytes: b * ROW_STATS * 4 },
          { buffer: o.status, bytes: 4 },
        ]);
        if (new Uint32Array(st)[0] !== 0) {
          throw new Error(
            `${where}: a kernel loop was cut short (software adapter loop limit?) at b=${b} t=${t} ` +
              `n=${config.n}; use the CPU twin`,
          );
        }
        return {
          tokenLoss: new Float32Array(tl),
          grad: new Float32Array(g),
          ratio: new Float32Array(r),
          ...finishRowStats(new Float32Array(rs)),
        };
      } finally {
        for (const x of [...uploaded, ...enc.owned, ...Object.values(enc.outputs)]) x.destroy();
      }
    },
  };
}
