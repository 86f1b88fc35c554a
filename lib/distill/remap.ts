// Remap (paper.md §5 step 1): scores every catalog item c for one conversation by
//   s_remap(c) = Σ_k p_k·(S(t_k, c) + I_exact(t_k, c)) + λ·s_context(c),   p_k = 1/√k,
// and keeps the top N_r. The paper writes `p·(S + I)` compactly; we read it as this sum over the
// teacher's parsed items k = 1..K (first 20 distinct items, in order; a repeat keeps its first rank),
// which is what a per-rank weight p_k implies. S = cosine of metadata embeddings, s_context = cosine of
// the conversation and catalog metadata embeddings. I_exact = 1 when the item's normalised title
// (`titleKey`: whitespace-collapsed, casefolded) and exact year match the catalog item — an exact pair
// or a case/space variant of it; a wrong year is not exact (S still scores it high).
// Because S and s_context are dot products with unit rows, s_remap(c) = e_c·q + bonus(c) with
// q = Σ_k p_k e_{t_k} + λ e_x: ONE top-k query per conversation (CPU twin or WebGPU kernel), then the
// ≤ K exact bonuses are merged. Items whose title is a seen title are excluded (never candidates).
import { createSimilarityTopk } from "../../kernels/similarity_topk.ts";
import {
  similarityTopkRef,
  TOPK_MAX_K,
  type TopkInputs,
  type TopkOptions,
  type TopkResult,
} from "../../kernels/similarity_topk_ref.ts";
import { acquireGpu, choosePath, type GpuHandle } from "../gpu/device.ts";

/** One conversation's Remap inputs. */
export interface RemapQuery {
  /** (K, d) embeddings of the teacher's items, rank order. */
  readonly teacherRows: Float32Array;
  /** Per teacher item: the catalog index it exactly is, or −1. */
  readonly exact: readonly number[];
  /** (d) embedding of the conversation text. */
  readonly context: Float32Array;
  /** Catalog indices that may not be candidates (items with a seen title). */
  readonly excluded: readonly number[];
}

/** The top N_r candidates of one conversation, best first. */
export interface RemapCandidates {
  /** (≤ N_r) catalog indices. */
  readonly indices: Int32Array;
  /** (≤ N_r) s_remap of each. */
  readonly scores: Float64Array;
}

/** A top-k over (queries × catalog) dot products: the CPU twin or the GPU dispatch. */
export type TopkFn = (inputs: TopkInputs, options: TopkOptions) => Promise<TopkResult> | TopkResult;

/** Remap weights. */
export interface RemapOptions {
  /** Weight of s_context. @default 1 */
  readonly lambda?: number;
  /** Candidates kept per conversation. @default 100 */
  readonly nR?: number;
}

/**
 * The rank weight p_k = 1/√k (k from 1).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(rankWeight(4), 0.5);
 * ```
 */
export function rankWeight(k: number): number {
  return 1 / Math.sqrt(k);
}

/**
 * The query vector q = Σ_k p_k e_{t_k} + λ e_x, shape (d).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const q = remapQueryVector(new Float32Array([1, 0]), new Float32Array([0, 1]), 2, 1);
 * deepStrictEqual(q, Float32Array.of(1, 1));
 * ```
 */
export function remapQueryVector(
  teacherRows: Float32Array,
  context: Float32Array,
  dim: number,
  lambda: number,
): Float32Array {
  const q = new Float32Array(dim); // (d)
  const K = teacherRows.length / dim;
  for (let k = 0; k < K; k++) {
    const p = rankWeight(k + 1);
    for (let j = 0; j < dim; j++) q[j] += p * teacherRows[k * dim + j];
  }
  for (let j = 0; j < dim; j++) q[j] += lambda * context[j];
  return q;
}

/**
 * The exact-match bonus Σ_{k: t_k is c} p_k per catalog index.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(exactBonus([3, -1, 3]), new Map([[3, 1 + 1 / Math.sqrt(3)]]));
 * ```
 */
export function exactBonus(exact: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  exact.forEach((c, k) => {
    if (c >= 0) m.set(c, (m.get(c) ?? 0) + rankWeight(k + 1));
  });
  return m;
}

/**
 * s_remap of every catalog item, shape (C,), −Infinity for excluded items: the dense reference of
 * {@link remapCandidates} (and what tests compare it against).
 *
 * @example
 * ```ts
 * // a 3-item catalog in d = 2; one teacher item, exactly catalog item 0
 * const catalogRows = Float32Array.of(1, 0, 0, 1, 0.6, 0.8);
 * const query = {
 *   teacherRows: Float32Array.of(1, 0), exact: [0], context: Float32Array.of(0, 1), excluded: [],
 * };
 * const s = remapScoresDense(query, catalogRows, 2, { lambda: 1 }); // one score per catalog item
 * if (s.length !== 3 || !(s[0] > s[1])) throw new Error(`${s}`);
 * ```
 */
export function remapScoresDense(
  query: RemapQuery,
  catalog: Float32Array,
  dim: number,
  options: RemapOptions = {},
): Float64Array {
  const q = remapQueryVector(query.teacherRows, query.context, dim, options.lambda ?? 1);
  const nc = catalog.length / dim;
  const s = new Float64Array(nc); // (C,)
  for (let c = 0; c < nc; c++) {
    let acc = 0;
    for (let j = 0; j < dim; j++) acc += q[j] * catalog[c * dim + j];
    s[c] = acc;
  }
  for (const [c, bonus] of exactBonus(query.exact)) s[c] += bonus;
  for (const c of query.excluded) s[c] = -Infinity;
  return s;
}

/**
 * The top N_r candidates of every conversation: one batched top-k call over all query vectors, fetching
 * N_r + max(|exact| + |excluded|) rows so that dropping excluded and re-scoring exact items still leaves
 * N_r; when that exceeds the kernels' k ≤ 128 the dense reference runs instead. Exact bonuses are then
 * merged and excluded items dropped. Ties: lower catalog index first.
 *
 * @example
 * ```ts
 * import { similarityTopkRef } from "../../kernels/similarity_topk_ref.ts";
 * const catalogRows = Float32Array.of(1, 0, 0, 1, 0.6, 0.8);
 * const query = {
 *   teacherRows: Float32Array.of(1, 0), exact: [0], context: Float32Array.of(0, 1), excluded: [2],
 * };
 * const [cands] = await remapCandidates([query], catalogRows, 2, similarityTopkRef, { nR: 2 });
 * if (cands.indices.includes(2)) throw new Error("excluded items are never candidates");
 * ```
 */
export async function remapCandidates(
  queries: readonly RemapQuery[],
  catalog: Float32Array,
  dim: number,
  topk: TopkFn,
  options: RemapOptions = {},
): Promise<RemapCandidates[]> {
  const lambda = options.lambda ?? 1;
  const nR = options.nR ?? 100;
  const nc = catalog.length / dim;
  const bonuses = queries.map((q) => exactBonus(q.exact));
  const extra = queries.map((q, i) => bonuses[i].size + new Set(q.excluded).size);
  const kFetch = Math.min(nc, nR + Math.max(0, ...extra));
  const out: RemapCandidates[] = new Array(queries.length);
  const viaTopk = kFetch <= TOPK_MAX_K ? queries.map((_, i) => i) : [];
  if (viaTopk.length > 0) {
    const Q = new Float32Array(viaTopk.length * dim); // (nq, d)
    viaTopk.forEach((qi, r) => {
      const { teacherRows, context } = queries[qi];
      Q.set(remapQueryVector(teacherRows, context, dim, lambda), r * dim);
    });
    const res = await topk({ queries: Q, catalog, dim }, { k: kFetch });
    viaTopk.forEach((qi, r) => {
      const bonus = bonuses[qi];
      const excluded = new Set(queries[qi].excluded);
      const merged: [number, number][] = []; // (catalog index, score)
      for (let j = 0; j < res.valid; j++) {
        const c = res.indices[r * res.k + j];
        if (c < 0 || excluded.has(c) || bonus.has(c)) continue;
        merged.push([c, res.scores[r * res.k + j]]);
      }
      if (bonus.size > 0) {
        const q = remapQueryVector(queries[qi].teacherRows, queries[qi].context, dim, lambda);
        for (const [c, b] of bonus) {
          if (excluded.has(c)) continue;
          let acc = 0;
          for (let j = 0; j < dim; j++) acc += q[j] * catalog[c * dim + j];
          merged.push([c, Math.fround(acc) + b]);
        }
      }
      out[qi] = topOf(merged, nR);
    });
  }
  queries.forEach((q, qi) => {
    if (out[qi] !== undefined) return;
    const s = remapScoresDense(q, catalog, dim, { lambda });
    const all: [number, number][] = [];
    for (let c = 0; c < nc; c++) if (s[c] > -Infinity) all.push([c, Math.fround(s[c])]);
    out[qi] = topOf(all, nR);
  });
  return out;
}

function topOf(pairs: [number, number][], n: number): RemapCandidates {
  pairs.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const top = pairs.slice(0, n);
  return {
    indices: Int32Array.from(top, ([c]) => c),
    scores: Float64Array.from(top, ([, s]) => s),
  };
}

/** Which top-k path Remap runs, why, and the function itself (record `path` and `reason` in the run). */
export interface TopkChoice {
  readonly path: "cpu" | "gpu";
  readonly reason: string;
  readonly run: TopkFn;
  /** Releases the GPU device (absent on the CPU path). */
  readonly dispose?: () => void;
}

/** CPU twin throughput (FLOP/s) used for the path decision; measured by tests/bench/distill_bench.ts. */
export const CPU_TOPK_FLOPS = 1.5e9;

/**
 * Picks the top-k path: `cpu` always takes the CPU twin; `auto` probes for a WebGPU device and takes it
 * only when `choosePath` says it pays (a hardware adapter and work above the submit cost); `gpu` takes
 * the device whenever one exists (for benches and parity checks) and fails without one.
 *
 * @example
 * ```ts
 * const t = await chooseTopk("cpu", { nq: 450, nc: 2576, dim: 256 });
 * if (t.path !== "cpu") throw new Error(t.reason); // "auto" takes the GPU only where it pays
 * ```
 */
export async function chooseTopk(
  mode: "auto" | "cpu" | "gpu",
  work: { readonly nq: number; readonly nc: number; readonly dim: number },
): Promise<TopkChoice> {
  const cpu = (reason: string): TopkChoice => ({ path: "cpu", reason, run: similarityTopkRef });
  if (mode === "cpu") return cpu('gpu: "cpu" in the config');
  let gpu: GpuHandle;
  try {
    gpu = await acquireGpu({ timeoutMs: 5000 });
  } catch (e) {
    if (mode === "gpu") {
      throw new Error(
        `lib/distill/remap.ts: chooseTopk: gpu: no WebGPU device (${(e as Error).message})`,
      );
    }
    return cpu(`no GPU device (${(e as Error).message})`);
  }
  const estimatedCpuMs = (2 * work.nq * work.nc * work.dim) / CPU_TOPK_FLOPS * 1000;
  const choice = mode === "gpu"
    ? { path: "gpu" as const, reason: `gpu: "gpu" in the config (${gpu.info.description})` }
    : choosePath({ device: gpu, estimatedCpuMs });
  if (choice.path === "cpu") {
    gpu.dispose();
    return cpu(choice.reason);
  }
  const kernel = await createSimilarityTopk(gpu);
  return {
    path: "gpu",
    reason: choice.reason,
    run: (i, o) => kernel.run(i, o),
    dispose: () => gpu.dispose(),
  };
}
