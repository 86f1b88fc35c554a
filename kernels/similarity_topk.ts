// WebGPU dispatch of similarity top-k (similarity_topk.wgsl scan + similarity_topk_merge.wgsl merge);
// same inputs/options/result as the CPU twin similarityTopkRef. Paper §5 Remap's cosine top-k.
// Reads the .wgsl files at run time: needs --allow-read for kernels/.

import type { GpuHandle } from "../lib/gpu/device.ts";
import {
  bindDispatch,
  createKernel,
  type Dispatch,
  type Kernel,
  type KernelSpec,
  loadWgsl,
  LOOP_BUDGET,
  storageBuffer,
  submitAndRead,
  uploadArray,
} from "../lib/gpu/kernel.ts";
import {
  checkTopkInputs,
  type TopkInputs,
  type TopkOptions,
  type TopkResult,
} from "./similarity_topk_ref.ts";

/** Pass 1: per (query, lane) top-k heap over a block of catalog rows of one segment. */
export const SCAN_SPEC: KernelSpec = {
  name: "similarity_topk.scan",
  entryPoint: "scan",
  inputs: [
    { name: "queries_t", type: "array<vec4<f32>>" }, // (dim4, nq_stride) transposed, zero-padded
    { name: "catalog", type: "array<vec4<f32>>" }, // (seg_rows, dim4) one segment, zero-padded
  ],
  outputs: [
    { name: "cand_scores", type: "array<f32>" }, // (nq, lanes_total, k) unsorted heaps
    { name: "cand_indices", type: "array<i32>" }, // (nq, lanes_total, k), padding -1
    { name: "status", type: "array<atomic<u32>>" }, // [0] = 1 when a loop was cut short
  ],
  params: {
    nq: "u32",
    nq_stride: "u32",
    dim4: "u32",
    k: "u32",
    seg_rows: "u32",
    seg_base: "u32",
    rows_per_lane: "u32",
    lane_base: "u32",
    lanes_total: "u32",
  },
};

/** Pass 2..n: per (query, group of lists), merge into one sorted top-k list. */
export const MERGE_SPEC: KernelSpec = {
  name: "similarity_topk.merge",
  entryPoint: "merge",
  inputs: [
    { name: "in_scores", type: "array<f32>" }, // (nq, lanes_in, k)
    { name: "in_indices", type: "array<i32>" }, // (nq, lanes_in, k)
  ],
  outputs: [
    { name: "out_scores", type: "array<f32>" }, // (nq, lanes_out, k) sorted best first
    { name: "out_indices", type: "array<i32>" }, // (nq, lanes_out, k)
    { name: "status", type: "array<atomic<u32>>" },
  ],
  params: { nq: "u32", k: "u32", lanes_in: "u32", group: "u32", lanes_out: "u32" },
};

/** Worst-case loop iterations of one heap insert (sift up or down) for a heap of k. */
function siftCost(k: number): number {
  return Math.ceil(Math.log2(Math.max(k, 2))) + 1;
}

/**
 * Catalog rows per scan invocation within {@link LOOP_BUDGET}: per row 1/4 block iteration + dim4/4
 * inner iterations + one heap insert, plus a ≤3-row tail and the k-slot write.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(scanRowsPerLane({ dim: 256, k: 100 }), 1964);
 * ```
 */
export function scanRowsPerLane(options: { readonly dim: number; readonly k: number }): number {
  const d4 = Math.ceil(options.dim / 4);
  const l = siftCost(options.k);
  const fixed = options.k + 3 * (1 + d4 + l) + 8;
  const r = Math.floor((LOOP_BUDGET - fixed) / (0.25 + d4 / 4 + l));
  return Math.max(4, r - (r % 4));
}

/**
 * Lists one merge invocation may merge within {@link LOOP_BUDGET}: each candidate costs one
 * iteration plus one heap insert, and the sorted write-out k more.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(mergeGroup(100), 52);
 * ```
 */
export function mergeGroup(k: number): number {
  return Math.max(2, Math.floor(LOOP_BUDGET / (k * (1 + siftCost(k)))) - 1);
}

/** A catalog uploaded once and queried many times. */
export interface ResidentCatalog {
  readonly nc: number;
  readonly dim: number;
  /** Top-k for `queries` ((nq, dim) row-major) against the resident catalog. */
  run(queries: Float32Array, options: TopkOptions): Promise<TopkResult>;
  /** Frees the catalog's GPU buffers. */
  dispose(): void;
}

/** The GPU similarity top-k bound to a device. */
export interface SimilarityTopkGpu {
  /** Same signature as `similarityTopkRef` (async): uploads the catalog, runs, frees it. */
  run(inputs: TopkInputs, options: TopkOptions): Promise<TopkResult>;
  /** Uploads a catalog ((nc, dim) row-major) for repeated queries; tuning defaults to the kernel's. */
  withCatalog(
    catalog: Float32Array,
    options: { readonly dim: number } & SimilarityTopkTuning,
  ): ResidentCatalog;
}

/** Work split of the GPU top-k (results do not depend on it). */
export interface SimilarityTopkTuning {
  /** At most this many catalog rows per scan invocation. @default scanRowsPerLane({ dim, k }) */
  readonly rowsPerLane?: number;
  /** Upper bound on the candidate buffer per submit (queries are batched to fit). @default 64 MiB */
  readonly maxCandidateBytes?: number;
  /** Upper bound on one catalog segment's buffer. @default the device's maxStorageBufferBindingSize */
  readonly maxSegmentBytes?: number;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** (dim4, nb, 4) transpose of query rows [q0, q0 + nb), zero-padded to dim4 = ceil(dim / 4) vec4s. */
function transposeQueries(
  queries: Float32Array,
  dim: number,
  q0: number,
  nb: number,
): Float32Array {
  const d4 = Math.ceil(dim / 4);
  const t = new Float32Array(d4 * nb * 4); // (dim4, nb, 4)
  for (let q = 0; q < nb; q++) {
    const o = (q0 + q) * dim;
    for (let j = 0; j < dim; j++) t[((j >> 2) * nb + q) * 4 + (j & 3)] = queries[o + j];
  }
  return t;
}

/** Rows [r0, r0 + rows) of a (nc, dim) matrix as (rows, 4 * dim4), zero-padded (a view if dim % 4 == 0). */
function paddedRows(m: Float32Array, dim: number, r0: number, rows: number): Float32Array {
  if (dim % 4 === 0) return m.subarray(r0 * dim, (r0 + rows) * dim);
  const dp = Math.ceil(dim / 4) * 4;
  const out = new Float32Array(rows * dp); // (rows, dp)
  for (let r = 0; r < rows; r++) out.set(m.subarray((r0 + r) * dim, (r0 + r + 1) * dim), r * dp);
  return out;
}

/**
 * Loads the WGSL sources and binds the kernel to `gpu`. Pipelines are compiled per (k cap, workgroup
 * size) on first use and cached in the returned object (keep it for the device's lifetime).
 *
 * @example
 * ```ts
 * import { acquireGpu, gpuAvailable } from "../lib/gpu/device.ts";
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu();
 *   const topk = await createSimilarityTopk(gpu);
 *   const queries = Float32Array.of(1, 0);
 *   const catalog = Float32Array.of(0, 1, 1, 0, 0.6, 0.8);
 *   const r = await topk.run({ queries, catalog, dim: 2 }, { k: 2 });
 *   if (r.indices[0] !== 1 || r.indices[1] !== 2) throw new Error(`indices ${r.indices}`);
 *   gpu.dispose();
 * }
 * ```
 */
export async function createSimilarityTopk(
  gpu: GpuHandle,
  defaults: SimilarityTopkTuning = {},
): Promise<SimilarityTopkGpu> {
  const scanSource = await loadWgsl(new URL("./similarity_topk.wgsl", import.meta.url));
  const mergeSource = await loadWgsl(new URL("./similarity_topk_merge.wgsl", import.meta.url));
  const pipelines = new Map<string, Promise<Kernel>>();
  const kernelFor = (spec: KernelSpec, source: string, cap: number, wg: number) => {
    const key = `${spec.name}/${cap}/${wg}`;
    let p = pipelines.get(key);
    if (p === undefined) {
      p = createKernel(gpu, spec, { source, workgroupSize: wg, consts: { TOPK_CAP: cap } });
      pipelines.set(key, p);
    }
    return p;
  };
  const maxBinding = gpu.info.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;

  const withCatalog = (
    catalog: Float32Array,
    options: { readonly dim: number } & SimilarityTopkTuning,
  ): ResidentCatalog => {
    const dim = options.dim;
    const tuning = { ...defaults, ...options };
    const maxCandidateBytes = Math.min(tuning.maxCandidateBytes ?? 64 * 1024 * 1024, maxBinding);
    const { nc } = checkTopkInputs({ queries: new Float32Array(0), catalog, dim }, { k: 1 });
    const d4 = Math.ceil(dim / 4);
    // segments: at most one storage binding each; uploaded once, rows zero-padded to 4 * d4 floats
    const segRowsMax = Math.floor(
      Math.min(tuning.maxSegmentBytes ?? maxBinding, maxBinding) / (16 * d4),
    );
    if (segRowsMax < 4) {
      throw new Error(`kernels/similarity_topk.ts: dim=${dim} leaves < 4 rows per segment`);
    }
    const segments: { base: number; rows: number; buffer: GPUBuffer }[] = [];
    for (let base = 0; base < nc; base += segRowsMax) {
      const rows = Math.min(segRowsMax, nc - base);
      segments.push({ base, rows, buffer: uploadArray(gpu, paddedRows(catalog, dim, base, rows)) });
    }
    const run = async (queries: Float32Array, opts: TopkOptions): Promise<TopkResult> => {
      const { nq } = checkTopkInputs({ queries, catalog: new Float32Array(0), dim }, opts);
      const k = opts.k;
      const valid = Math.min(k, nc);
      const indices = new Int32Array(nq * k).fill(-1); // (nq, k)
      const scores = new Float32Array(nq * k).fill(-Infinity); // (nq, k)
      if (nq === 0 || nc === 0) return { nq, k, valid, indices, scores };
      const cap = k <= 32 ? 32 : 128;
      const budgetRows = scanRowsPerLane({ dim, k });
      const rpl = Math.max(4, Math.min(tuning.rowsPerLane ?? budgetRows, budgetRows));
      const segLanes = segments.map((sg) => Math.ceil(sg.rows / rpl));
      const lanesTotal = segLanes.reduce((a, b) => a + b, 0);
      const group = mergeGroup(k);
      const perQuery = lanesTotal * k * 4;
      const batch = Math.max(1, Math.min(nq, Math.floor(maxCandidateBytes / perQuery)));
      for (let q0 = 0; q0 < nq; q0 += batch) {
        const nb = Math.min(batch, nq - q0);
        const wg = Math.min(64, nextPow2(nb));
        const gx = Math.ceil(nb / wg);
        const scan = await kernelFor(SCAN_SPEC, scanSource, cap, wg);
        const merge = await kernelFor(MERGE_SPEC, mergeSource, cap, wg);
        const queriesT = uploadArray(gpu, transposeQueries(queries, dim, q0, nb));
        const candA = [storageBuffer(gpu, nb * perQuery), storageBuffer(gpu, nb * perQuery)];
        const lanes1 = Math.ceil(lanesTotal / group);
        const candB = [
          storageBuffer(gpu, nb * lanes1 * k * 4),
          storageBuffer(gpu, nb * lanes1 * k * 4),
        ];
        const status = storageBuffer(gpu, 4);
        const owned: GPUBuffer[] = [queriesT, ...candA, ...candB, status];
        const dispatches: Dispatch[] = [];
        let laneBase = 0;
        segments.forEach((seg, si) => {
          const d = bindDispatch(gpu, scan, {
            buffers: {
              queries_t: queriesT,
              catalog: seg.buffer,
              cand_scores: candA[0],
              cand_indices: candA[1],
              status,
            },
            params: {
              nq: nb,
              nq_stride: nb,
              dim4: d4,
              k,
              seg_rows: seg.rows,
              seg_base: seg.base,
              rows_per_lane: rpl,
              lane_base: laneBase,
              lanes_total: lanesTotal,
            },
            workgroups: [gx, segLanes[si], 1],
          });
          laneBase += segLanes[si];
          if (d.uniform !== null) owned.push(d.uniform);
          dispatches.push(d);
        });
        // merge passes until one sorted list per query remains (at least one pass, which sorts)
        let src = candA, dst = candB, lanesIn = lanesTotal;
        for (;;) {
          const lanesOut = Math.ceil(lanesIn / group);
          const m = bindDispatch(gpu, merge, {
            buffers: {
              in_scores: src[0],
              in_indices: src[1],
              out_scores: dst[0],
              out_indices: dst[1],
              status,
            },
            params: { nq: nb, k, lanes_in: lanesIn, group, lanes_out: lanesOut },
            workgroups: [gx, lanesOut, 1],
          });
          if (m.uniform !== null) owned.push(m.uniform);
          dispatches.push(m);
          [src, dst, lanesIn] = [dst, src, lanesOut];
          if (lanesOut === 1) break;
        }
        try {
          const [sBuf, iBuf, stBuf] = await submitAndRead(gpu, dispatches, [
            { buffer: src[0], bytes: nb * k * 4 },
            { buffer: src[1], bytes: nb * k * 4 },
            { buffer: status, bytes: 4 },
          ]);
          if (new Uint32Array(stBuf)[0] !== 0) {
            throw new Error(
              "kernels/similarity_topk.ts: a kernel loop was cut short (software adapter loop " +
                `limit?) at nc=${nc} dim=${dim} k=${k} rowsPerLane=${rpl}; use the CPU twin`,
            );
          }
          scores.set(new Float32Array(sBuf), q0 * k);
          indices.set(new Int32Array(iBuf), q0 * k);
        } finally {
          for (const b of owned) b.destroy();
        }
      }
      return { nq, k, valid, indices, scores };
    };
    return {
      nc,
      dim,
      run,
      dispose() {
        for (const s of segments) s.buffer.destroy();
      },
    };
  };

  return {
    withCatalog,
    async run(inputs: TopkInputs, opts: TopkOptions): Promise<TopkResult> {
      checkTopkInputs(inputs, opts);
      const resident = withCatalog(inputs.catalog, { dim: inputs.dim });
      try {
        return await resident.run(inputs.queries, opts);
      } finally {
        resident.dispose();
      }
    },
  };
}
