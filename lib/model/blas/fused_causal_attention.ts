// Fused causal attention core softmax(scale·Q·Kᵀ + causal mask)·V and its gradient for the cpu-blas backend:
// query blocks of BLOCK rows see only their causal key prefix (sgemm on views), so masked keys cost nothing.
import * as tf from "@tensorflow/tfjs";
import { f32 } from "./fast_kernels.ts";
import type { CpuStore } from "./fast_kernels.ts";
import { fastExp } from "./fast_exp.ts";
import type { OpenBlas } from "./openblas.ts";

/** Kernel names registered on the cpu-blas backend by {@link causalAttentionKernels}. */
export const CAUSAL_ATTENTION_KERNEL = "ConvrecCausalAttention";
/** Gradient kernel name (inputs dctx, q, k, v, probs). */
export const CAUSAL_ATTENTION_GRAD_KERNEL = "ConvrecCausalAttentionGrad";

/** Default query rows per sgemm block: smaller skips more masked keys, larger makes fewer, bigger calls. */
export const ATTENTION_BLOCK = 64;

/** Sizes of one attention call: `bh` (batch × KV heads) blocks of R = groups·T query rows and S keys. */
export interface AttentionDims {
  /** batch × KV heads */
  bh: number;
  /** query positions per head */
  T: number;
  /** query heads sharing one KV head (rows R = groups·T) */
  groups: number;
  /** cached key positions before the new queries (keys S = past + T) */
  past: number;
  /** head dim */
  hd: number;
  /** multiplier of the raw scores */
  scale: number;
  /** query rows per block @default ATTENTION_BLOCK */
  block?: number;
}

/** Calls fn(o, qRow, tb, e) for each query block: q row offset in rows, block rows, keys it sees. */
function forBlocks(
  d: AttentionDims,
  fn: (o: number, row: number, tb: number, e: number, t0: number) => void,
): void {
  const { bh, T, groups, past, block = ATTENTION_BLOCK } = d;
  for (let o = 0; o < bh; o++) {
    for (let j = 0; j < groups; j++) {
      for (let t0 = 0; t0 < T; t0 += block) {
        const tb = Math.min(block, T - t0);
        fn(o, j * T + t0, tb, past + t0 + tb, t0);
      }
    }
  }
}

/**
 * ctx (bh, R, hd) = softmax(scale·q·kᵀ + causal mask)·v, and the probabilities (bh, R, S) (exact 0 at
 * masked keys), from q (bh, R, hd), k and v (bh, S, hd). Query row r is position t = r mod T, which
 * sees keys s ≤ past + t.
 *
 * @example
 * ```ts
 * import { plainSgemm } from "../generate/array_decode.ts";
 * const blas = { path: "plain JS", threads: 1, sgemm: plainSgemm, close() {} }; // or openBlas()
 * const [q, k, v] = [new Float32Array(8).fill(1), new Float32Array(8).fill(1), Float32Array.of(1, 1, 1, 1, 3, 3, 3, 3)];
 * const { ctx, probs } = causalAttentionValues(blas, { q, k, v }, { bh: 1, T: 2, groups: 1, past: 0, hd: 4, scale: 0.5 });
 * // row 0 attends to key 0 only, row 1 to both equally: ctx = [1, 1, 1, 1, 2, 2, 2, 2]
 * if (ctx[4] !== 2 || probs[1] !== 0) throw new Error(`${ctx}`);
 * ```
 */
export function causalAttentionValues(
  blas: OpenBlas,
  x: { q: Float32Array; k: Float32Array; v: Float32Array },
  d: AttentionDims,
): { ctx: Float32Array; probs: Float32Array } {
  const { bh, T, groups, past, hd, scale } = d;
  const R = groups * T, S = past + T;
  const ctx = new Float32Array(bh * R * hd), probs = new Float32Array(bh * R * S);
  forBlocks(d, (o, row, tb, e, t0) => {
    const qOff = (o * R + row) * hd, kOff = o * S * hd, pOff = (o * R + row) * S;
    const p = probs.subarray(pOff);
    blas.sgemm(x.q.subarray(qOff), x.k.subarray(kOff), p, {
      m: tb,
      n: e,
      k: hd,
      transB: true,
      alpha: scale,
      ldc: S,
    });
    for (let i = 0; i < tb; i++) {
      const a = i * S, valid = a + past + t0 + i + 1, end = a + e;
      let max = -Infinity;
      for (let j = a; j < valid; j++) if (p[j] > max) max = p[j];
      let sum = 0;
      for (let j = a; j < valid; j++) {
        const ex = fastExp(p[j] - max);
        p[j] = ex;
        sum += ex;
      }
      const inv = 1 / sum;
      for (let j = a; j < valid; j++) p[j] *= inv;
      for (let j = valid; j < end; j++) p[j] = 0;
    }
    blas.sgemm(p, x.v.subarray(kOff), ctx.subarray(qOff), { m: tb, n: hd, k: e, lda: S });
  });
  return { ctx, probs };
}

/**
 * Gradients (dq, dk, dv) of {@link causalAttentionValues} given dctx (bh, R, hd) and its saved probs.
 *
 * @example
 * ```ts
 * import { plainSgemm } from "../generate/array_decode.ts";
 * const blas = { path: "plain JS", threads: 1, sgemm: plainSgemm, close() {} }; // or openBlas()
 * const dims = { bh: 1, T: 2, groups: 1, past: 0, hd: 4, scale: 0.5 };
 * const [q, k, v] = [new Float32Array(8).fill(1), new Float32Array(8).fill(1), new Float32Array(8).fill(1)];
 * const { probs } = causalAttentionValues(blas, { q, k, v }, dims);
 * const dctx = new Float32Array(8).fill(1);
 * const { dq, dk, dv } = causalAttentionGradValues(blas, { dctx, q, k, v, probs }, dims);
 * if (dv.length !== 8) throw new Error(`${dv}`); // dq, dk, dv: the shapes of q, k, v
 * ```
 */
export function causalAttentionGradValues(
  blas: OpenBlas,
  x: { dctx: Float32Array; q: Float32Array; k: Float32Array; v: Float32Array; probs: Float32Array },
  d: AttentionDims,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const { bh, T, groups, past, hd, scale } = d;
  const R = groups * T, S = past + T;
  const dq = new Float32Array(bh * R * hd);
  const dk = new Float32Array(bh * S * hd), dv = new Float32Array(bh * S * hd);
  const ds = new Float32Array(Math.min(d.block ?? ATTENTION_BLOCK, T) * S); // (tb, e) scratch: dP, then dScores
  forBlocks(d, (o, row, tb, e, t0) => {
    const qOff = (o * R + row) * hd, kOff = o * S * hd, pOff = (o * R + row) * S;
    const p = x.probs.subarray(pOff), dctx = x.dctx.subarray(qOff);
    blas.sgemm(dctx, x.v.subarray(kOff), ds, { m: tb, n: e, k: hd, transB: true }); // dP = dctx·vᵀ
    for (let i = 0; i < tb; i++) {
      const a = i * e, pa = i * S, valid = past + t0 + i + 1;
      let dot = 0;
      for (let j = 0; j < valid; j++) dot += ds[a + j] * p[pa + j];
      for (let j = 0; j < valid; j++) ds[a + j] = scale * p[pa + j] * (ds[a + j] - dot);
      for (let j = valid; j < e; j++) ds[a + j] = 0;
    }
    blas.sgemm(ds, x.k.subarray(kOff), dq.subarray(qOff), { m: tb, n: hd, k: e }); // dS·k
    blas.sgemm(ds, x.q.subarray(qOff), dk.subarray(kOff), {
      m: e,
      n: hd,
      k: tb,
      transA: true,
      beta: 1,
    }); // += dSᵀ·q
    blas.sgemm(p, dctx, dv.subarray(kOff), { m: e, n: hd, k: tb, transA: true, lda: S, beta: 1 }); // += Pᵀ·dctx
  });
  return { dq, dk, dv };
}

/** AttentionDims of q (B, nkv, R, hd) and k (B, nkv, S, hd) with attrs {T, past, scale}. */
function dimsOf(q: tf.TensorInfo, k: tf.TensorInfo, attrs: tf.NamedAttrMap): AttentionDims {
  const [B, nkv, R, hd] = q.shape, S = k.shape[2];
  const { T, past, scale, block } = attrs as unknown as {
    T: number;
    past: number;
    scale: number;
    block?: number;
  };
  if (S !== past + T || R % T !== 0) {
    throw new Error(
      `fused_causal_attention.ts: q [${q.shape}] / k [${k.shape}] do not fit T=${T}, past=${past}`,
    );
  }
  return { bh: B * nkv, T, groups: R / T, past, hd, scale, block };
}

/**
 * The cpu-blas kernels behind {@link fusedCausalAttention}, keyed by kernel name (registered by
 * registerBlasBackend).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { plainSgemm } from "../generate/array_decode.ts";
 * const blas = { path: "plain JS", threads: 1, sgemm: plainSgemm, close() {} }; // or openBlas()
 * const kernels = causalAttentionKernels(blas); // registerBlasBackend registers these on its backend
 * for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
 *   tf.registerKernel({ kernelName, backendName: "cpu", kernelFunc });
 * }
 * ```
 */
export function causalAttentionKernels(blas: OpenBlas): Record<string, tf.KernelFunc> {
  return {
    [CAUSAL_ATTENTION_KERNEL]: (args) => {
      const { q, k, v } = args.inputs as Record<string, tf.TensorInfo>;
      const be = args.backend as unknown as CpuStore;
      const d = dimsOf(q, k, args.attrs!);
      const { ctx, probs } = causalAttentionValues(blas, {
        q: f32(be, q),
        k: f32(be, k),
        v: f32(be, v),
      }, d);
      return [
        be.makeTensorInfo(q.shape, "float32", ctx),
        be.makeTensorInfo([...q.shape.slice(0, 3), k.shape[2]], "float32", probs),
      ];
    },
    [CAUSAL_ATTENTION_GRAD_KERNEL]: (args) => {
      const { dctx, q, k, v, probs } = args.inputs as Record<string, tf.TensorInfo>;
      const be = args.backend as unknown as CpuStore;
      const g = causalAttentionGradValues(blas, {
        dctx: f32(be, dctx),
        q: f32(be, q),
        k: f32(be, k),
        v: f32(be, v),
        probs: f32(be, probs),
      }, dimsOf(q, k, args.attrs!));
      return [
        be.makeTensorInfo(q.shape, "float32", g.dq),
        be.makeTensorInfo(k.shape, "float32", g.dk),
        be.makeTensorInfo(v.shape, "float32", g.dv),
      ];
    },
  };
}

/**
 * softmax(scale·q·kᵀ + causal mask)·v for q (B, nkv, g·T, hd) (g query heads per KV head, T new
 * positions each) and k, v (B, nkv, past + T, hd), as one differentiable op. Only on the cpu-blas
 * backend (it runs that backend's kernels); equals the stock matMul/softmax/matMul composition of
 * lib/model/attention.ts up to float rounding.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { registerBlasBackend } from "./blas_backend.ts";
 * import { plainSgemm } from "../generate/array_decode.ts";
 * const blas = { path: "plain JS", threads: 1, sgemm: plainSgemm, close() {} }; // or openBlas()
 * await tf.setBackend(registerBlasBackend(blas, { name: "cpu-plain" }));
 * const [T, hd] = [2, 4];
 * const qg = tf.ones([1, 1, T, hd]) as tf.Tensor4D, k = tf.ones([1, 1, T, hd]) as tf.Tensor4D;
 * const v = tf.ones([1, 1, T, hd]) as tf.Tensor4D;
 * const ctx = fusedCausalAttention(qg, k, v, { T, past: 0, scale: 1 / Math.sqrt(hd) }); // (B, nkv, g·T, hd)
 * if (ctx.dataSync()[7] !== 1) throw new Error(`${ctx}`);
 * ```
 */
export function fusedCausalAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  layout: { T: number; past: number; scale: number; block?: number },
): tf.Tensor4D {
  const { T, past } = layout;
  const [B, nkv, R, hd] = q.shape;
  const fits = (t: tf.Tensor4D) =>
    t.shape[0] === B && t.shape[1] === nkv && t.shape[2] === past + T && t.shape[3] === hd;
  if (R % T !== 0 || !fits(k) || !fits(v)) {
    throw new Error(
      `fused_causal_attention.ts: q [${q.shape}], k [${k.shape}], v [${v.shape}] do not fit ` +
        `T=${T}, past=${past} (expected q (B, nkv, g·T, hd), k and v (B, nkv, past+T, hd))`,
    );
  }
  const attrs = { ...layout } as unknown as tf.NamedAttrMap;
  const engine = tf.engine();
  const op = tf.customGrad(
    ((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
      const [ctx, probs] = engine.runKernel(
        CAUSAL_ATTENTION_KERNEL,
        { q: qi, k: ki, v: vi },
        attrs,
      ) as tf.Tensor[]; // (B, nkv, R, hd), (B, nkv, R, S)
      save([qi, ki, vi, probs]);
      return {
        value: ctx,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sq, sk, sv, sp] = saved;
          return engine.runKernel(
            CAUSAL_ATTENTION_GRAD_KERNEL,
            { dctx: dy, q: sq, k: sk, v: sv, probs: sp },
            attrs,
          ) as tf.Tensor[];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad<tf.Tensor>>[0],
  );
  return op(q, k, v) as tf.Tensor4D;
}
