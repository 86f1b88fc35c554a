// The cached decoder forward pass of decode_forward.ts on plain Float32Arrays: every matrix product is one
// sgemm call (OpenBLAS on cpu-blas, a JS loop elsewhere), the KV cache is preallocated once per generate call
// and written in place, and finished rows are dropped by re-indexing, not copying. Same math as
// decodeForward (the tfjs twin it is tested against: tests/model/generate/array_decode_test.ts).
import { headDim, type ModelConfig } from "../config.ts";
import { fastExp } from "../blas/fast_exp.ts";
import type { SgemmDims } from "../blas/openblas.ts";
import { ropeInvFreq } from "../rope.ts";
import type { DecodeWeights } from "./decode_weights.ts";

/** Row-major C = alpha·op(A)·op(B) + beta·C, as OpenBlas.sgemm. */
export type Sgemm = (a: Float32Array, b: Float32Array, c: Float32Array, dims: SgemmDims) => void;

/** One layer of {@link ArrayDecodeWeights}: the decode layout's matrices as flat arrays. */
export interface ArrayDecodeLayer {
  inputNorm: Float32Array;
  /** (D, Qw) with Qw = (nh + 2·nkv)·hd */
  qkv: Float32Array;
  qkvBias?: Float32Array;
  /** (nh·hd, D) */
  o: Float32Array;
  oBias?: Float32Array;
  postNorm: Float32Array;
  /** (D, 2F) */
  gateUp: Float32Array;
  gateUpBias?: Float32Array;
  /** (F, D) */
  down: Float32Array;
  downBias?: Float32Array;
}

/** The decode layout's weights read back once as Float32Arrays (shared with the tensors' storage). */
export interface ArrayDecodeWeights {
  config: ModelConfig;
  /** (V, D) */
  embed: Float32Array;
  layers: ArrayDecodeLayer[];
  norm: Float32Array;
  /** (D, V) */
  head: Float32Array;
  /** RoPE inverse frequencies (hd/2), float64 as ropeInvFreq */
  invFreq: Float64Array;
}

const readBack = new WeakMap<DecodeWeights, ArrayDecodeWeights>();

/**
 * The arrays of `dw` (read once per DecodeWeights and remembered; never written to).
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * import { prepareDecodeWeights } from "./decode_weights.ts";
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const aw = arrayDecodeWeights(prepareDecodeWeights(weights, config)); // plain Float32Arrays
 * ```
 */
export function arrayDecodeWeights(dw: DecodeWeights): ArrayDecodeWeights {
  const known = readBack.get(dw);
  if (known) return known;
  const f32 = (t: { dataSync(): unknown }) => t.dataSync() as Float32Array;
  const opt = (t?: { dataSync(): unknown }) => (t ? f32(t) : undefined);
  const aw: ArrayDecodeWeights = {
    config: dw.config,
    embed: f32(dw.embed),
    norm: f32(dw.norm),
    head: f32(dw.head),
    invFreq: ropeInvFreq(dw.config),
    layers: dw.layers.map((l) => ({
      inputNorm: f32(l.inputNorm),
      qkv: f32(l.qkv),
      qkvBias: opt(l.qkvBias),
      o: f32(l.o),
      oBias: opt(l.oBias),
      postNorm: f32(l.postNorm),
      gateUp: f32(l.gateUp),
      gateUpBias: opt(l.gateUpBias),
      down: f32(l.down),
      downBias: opt(l.downBias),
    })),
  };
  readBack.set(dw, aw);
  return aw;
}

/**
 * Keys and values of up to `capacity` positions for `rows` physical rows, allocated once:
 * per layer k and v are (rows, nkv, capacity, hd); `valid` (rows, capacity) marks real tokens.
 * Every row holds the same number of slots, `length` (left padding keeps prompts aligned).
 */
export interface ArrayKvCache {
  rows: number;
  capacity: number;
  length: number;
  k: Float32Array[];
  v: Float32Array[];
  valid: Uint8Array;
}

/**
 * An empty cache for `rows` rows of at most `capacity` positions.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * const { config } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const cache = createArrayKvCache(config, 8, 300); // 8 rows, prompt + new tokens ≤ 300
 * ```
 */
export function createArrayKvCache(
  config: ModelConfig,
  rows: number,
  capacity: number,
): ArrayKvCache {
  const size = rows * config.num_key_value_heads * capacity * headDim(config);
  return {
    rows,
    capacity,
    length: 0,
    k: Array.from({ length: config.num_hidden_layers }, () => new Float32Array(size)),
    v: Array.from({ length: config.num_hidden_layers }, () => new Float32Array(size)),
    valid: new Uint8Array(rows * capacity),
  };
}

/**
 * A new cache whose row i is a copy of row `sources[i]` of `cache` (its first `length` slots), with room
 * for `capacity` positions — e.g. one prefilled prompt copied for its G samples.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * const { config } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const cache = createArrayKvCache(config, 2, 300);
 * const expanded = copyArrayKvRows(config, cache, [0, 0, 1, 1], 300); // 2 prompts × 2 samples
 * ```
 */
export function copyArrayKvRows(
  config: ModelConfig,
  cache: ArrayKvCache,
  sources: readonly number[],
  capacity = cache.capacity,
): ArrayKvCache {
  if (capacity < cache.length) {
    throw new Error(
      `lib/model/generate/array_decode.ts: capacity ${capacity} < cached length ${cache.length}`,
    );
  }
  const out = createArrayKvCache(config, sources.length, capacity);
  out.length = cache.length;
  const nkv = config.num_key_value_heads, hd = headDim(config), n = cache.length * hd;
  sources.forEach((src, i) => {
    if (!(Number.isInteger(src) && src >= 0 && src < cache.rows)) {
      throw new Error(
        `lib/model/generate/array_decode.ts: source row ${src} outside 0..${cache.rows - 1}`,
      );
    }
    for (let l = 0; l < cache.k.length; l++) {
      for (let h = 0; h < nkv; h++) {
        const from = (src * nkv + h) * cache.capacity * hd, to = (i * nkv + h) * capacity * hd;
        out.k[l].set(cache.k[l].subarray(from, from + n), to);
        out.v[l].set(cache.v[l].subarray(from, from + n), to);
      }
    }
    out.valid.set(
      cache.valid.subarray(src * cache.capacity, src * cache.capacity + cache.length),
      i * capacity,
    );
  });
  return out;
}

/**
 * Row-major sgemm in plain JS (float64 accumulation): the fallback where OpenBLAS is not loaded, and the
 * reference the tests check the OpenBLAS path against.
 *
 * @example
 * ```ts
 * const c = new Float32Array(4);
 * plainSgemm(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), c, { m: 2, n: 2, k: 2 });
 * if (c.join() !== "1,2,3,4") throw new Error(`${c}`); // A · I = A
 * ```
 */
export function plainSgemm(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  dims: SgemmDims,
): void {
  const { m, n, k, transA = false, transB = false, alpha = 1, beta = 0 } = dims;
  const lda = dims.lda ?? (transA ? m : k), ldb = dims.ldb ?? (transB ? k : n);
  const ldc = dims.ldc ?? n;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[p * lda + i] : a[i * lda + p];
        const y = transB ? b[j * ldb + p] : b[p * ldb + j];
        s += x * y;
      }
      const at = i * ldc + j;
      c[at] = alpha * s + (beta === 0 ? 0 : beta * c[at]);
    }
  }
}

/** y (N, D) = x / sqrt(mean(x²) + eps) · w, row by row. */
function rmsNormRows(x: Float32Array, w: Float32Array, eps: number, N: number, D: number) {
  const y = new Float32Array(N * D);
  for (let r = 0; r < N; r++) {
    let ss = 0;
    for (let d = 0; d < D; d++) ss += x[r * D + d] * x[r * D + d];
    const inv = 1 / Math.sqrt(ss / D + eps);
    for (let d = 0; d < D; d++) y[r * D + d] = x[r * D + d] * inv * w[d];
  }
  return y;
}

/** y (N, out) = x (N, in) · W (in, out) + bias. */
function linear(
  sgemm: Sgemm,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  N: number,
  K: number,
  M: number,
): Float32Array {
  const y = new Float32Array(N * M);
  if (bias) { for (let r = 0; r < N; r++) y.set(bias, r * M); }
  sgemm(x, w, y, { m: N, n: M, k: K, beta: bias ? 1 : 0 });
  return y;
}

/** cos/sin (N, hd/2) of each position's RoPE angles, rounded to float32 as ropeTables; once per call. */
function ropeAngles(positions: Int32Array, invFreq: Float64Array) {
  const half = invFreq.length, cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  for (let r = 0; r < positions.length; r++) {
    for (let i = 0; i < half; i++) {
      const angle = positions[r] * invFreq[i];
      cos[r * half + i] = Math.cos(angle);
      sin[r * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** In place: rotate_half RoPE on `heads` heads of width hd starting at column `col` of each row. */
function ropeInPlace(
  qkv: Float32Array,
  rowWidth: number,
  col: number,
  heads: number,
  hd: number,
  angles: { cos: Float32Array; sin: Float32Array },
): void {
  const half = hd / 2, { cos, sin } = angles, N = cos.length / half;
  for (let r = 0; r < N; r++) {
    for (let h = 0; h < heads; h++) {
      const base = r * rowWidth + col + h * hd;
      for (let i = 0; i < half; i++) {
        const c = cos[r * half + i], s = sin[r * half + i];
        const x1 = qkv[base + i], x2 = qkv[base + half + i];
        qkv[base + i] = x1 * c - x2 * s;
        qkv[base + half + i] = x2 * c + x1 * s;
      }
    }
  }
}

/** The new tokens of one decode call: A active rows (physical cache rows) × T positions. */
export interface ArrayDecodeInput {
  /** physical cache row of each active row (A) */
  rows: Int32Array;
  /** token ids, A × T row-major */
  ids: Int32Array;
  /** RoPE position of each token, A × T */
  positions: Int32Array;
  /** 1 where the token is real, 0 for left padding (never attended to), A × T */
  valid: Uint8Array;
}

/**
 * Run T new positions of A rows through the decoder, writing their keys/values into `cache` at slots
 * length..length+T−1 of their physical rows (then length += T); returns the last position's logits (A, V).
 * A query attends to the cached slots and the new ones up to itself whose token is valid; a query with no
 * valid key (padding) gets zeros.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * import { prepareDecodeWeights } from "./decode_weights.ts";
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const aw = arrayDecodeWeights(prepareDecodeWeights(weights, config));
 * const cache = createArrayKvCache(config, 2, 64);
 * const logits = arrayDecodeForward(aw, cache, {
 *   rows: Int32Array.of(0, 1), ids: Int32Array.of(0, 5, 4, 2), positions: Int32Array.of(0, 0, 0, 1),
 *   valid: Uint8Array.of(0, 1, 1, 1),
 * }, plainSgemm); // (2, V)
 * if (logits.length !== 2 * config.vocab_size) throw new Error(`${logits.length}`);
 * ```
 */
export function arrayDecodeForward(
  aw: ArrayDecodeWeights,
  cache: ArrayKvCache,
  input: ArrayDecodeInput,
  sgemm: Sgemm,
): Float32Array {
  const where = "lib/model/generate/array_decode.ts";
  const cfg = aw.config, D = cfg.hidden_size, V = cfg.vocab_size, F = cfg.intermediate_size;
  const nh = cfg.num_attention_heads, nkv = cfg.num_key_value_heads, g = nh / nkv;
  const hd = headDim(cfg), Qw = (nh + 2 * nkv) * hd, eps = cfg.rms_norm_eps;
  const A = input.rows.length, N = input.ids.length, T = A === 0 ? 0 : N / A;
  const P = cache.length, S = P + T, C = cache.capacity;
  if (A === 0 || !Number.isInteger(T) || T === 0) {
    throw new Error(`${where}: expected A ≥ 1 rows of T ≥ 1 ids, got ${N} ids for ${A} rows`);
  }
  if (input.positions.length !== N || input.valid.length !== N) {
    throw new Error(`${where}: positions/valid must hold A × T = ${N} entries`);
  }
  if (S > C) throw new Error(`${where}: ${P} cached + ${T} new positions exceed capacity ${C}`);
  for (let i = 0; i < N; i++) {
    const id = input.ids[i];
    if (!(id >= 0 && id < V)) throw new Error(`${where}: ids[${i}] = ${id}, expected 0..${V - 1}`);
  }
  for (let a = 0; a < A; a++) {
    const r = input.rows[a];
    if (!(r >= 0 && r < cache.rows)) {
      throw new Error(`${where}: rows[${a}] = ${r} outside the cache's 0..${cache.rows - 1}`);
    }
    cache.valid.set(input.valid.subarray(a * T, (a + 1) * T), r * C + P);
  }

  let h = new Float32Array(N * D); // (N, D)
  for (let i = 0; i < N; i++) {
    h.set(aw.embed.subarray(input.ids[i] * D, (input.ids[i] + 1) * D), i * D);
  }
  const scale = 1 / Math.sqrt(hd), angles = ropeAngles(input.positions, aw.invFreq);
  const scores = new Float32Array(Math.max(T, g) * S);
  aw.layers.forEach((layer, l) => {
    const x = rmsNormRows(h, layer.inputNorm, eps, N, D);
    const qkv = linear(sgemm, x, layer.qkv, layer.qkvBias, N, D, Qw); // (N, Qw)
    ropeInPlace(qkv, Qw, 0, nh, hd, angles); // q heads
    ropeInPlace(qkv, Qw, nh * hd, nkv, hd, angles); // k heads
    const K = cache.k[l], Vc = cache.v[l];
    for (let a = 0; a < A; a++) {
      const r = input.rows[a];
      for (let t = 0; t < T; t++) {
        const src = (a * T + t) * Qw;
        for (let kv = 0; kv < nkv; kv++) {
          const dst = ((r * nkv + kv) * C + P + t) * hd;
          K.set(qkv.subarray(src + (nh + kv) * hd, src + (nh + kv + 1) * hd), dst);
          Vc.set(qkv.subarray(src + (nh + nkv + kv) * hd, src + (nh + nkv + kv + 1) * hd), dst);
        }
      }
    }
    const att = new Float32Array(N * nh * hd); // (N, nh·hd)
    // one query row per head and position: a single new position puts the g heads of a KV group in one
    // sgemm (their columns are adjacent); a longer input takes one sgemm per head over its T positions
    const m = T === 1 ? g : T, calls = T === 1 ? nkv : nh, qStride = T === 1 ? hd : Qw;
    for (let a = 0; a < A; a++) {
      const r = input.rows[a], valid = cache.valid.subarray(r * C, r * C + S);
      for (let c = 0; c < calls; c++) {
        const kv = T === 1 ? c : Math.floor(c / g), col = (T === 1 ? c * g : c) * hd;
        const kvOff = (r * nkv + kv) * C * hd;
        // scores (m, S) = q (m, hd) · K (S, hd)ᵀ
        sgemm(qkv.subarray(a * T * Qw + col), K.subarray(kvOff), scores, {
          m,
          n: S,
          k: hd,
          transB: true,
          alpha: scale,
          lda: qStride,
        });
        for (let i = 0; i < m; i++) { // softmax over the valid keys s ≤ P + t (t = i, or 0 for T = 1)
          const row = i * S, last = P + (T === 1 ? 0 : i);
          let max = -Infinity;
          for (let s = 0; s <= last; s++) {
            if (valid[s] && scores[row + s] > max) max = scores[row + s];
          }
          let sum = 0;
          for (let s = 0; s < S; s++) {
            const e = s <= last && valid[s] ? fastExp(scores[row + s] - max) : 0;
            scores[row + s] = e;
            sum += e;
          }
          const inv = sum > 0 ? 1 / sum : 0;
          for (let s = 0; s <= last; s++) scores[row + s] *= inv;
        }
        // att (m, hd) = probs (m, S) · V (S, hd), into the heads' columns of the (N, nh·hd) output
        sgemm(scores, Vc.subarray(kvOff), att.subarray(a * T * nh * hd + col), {
          m,
          n: hd,
          k: S,
          ldc: T === 1 ? hd : nh * hd,
        });
      }
    }
    const o = linear(sgemm, att, layer.o, layer.oBias, N, nh * hd, D);
    for (let i = 0; i < N * D; i++) h[i] += o[i];
    const gu = linear(
      sgemm,
      rmsNormRows(h, layer.postNorm, eps, N, D),
      layer.gateUp,
      layer.gateUpBias,
      N,
      D,
      2 * F,
    );
    const act = new Float32Array(N * F); // silu(gate) · up
    for (let i = 0; i < N; i++) {
      for (let f = 0; f < F; f++) {
        const gate = gu[i * 2 * F + f];
        act[i * F + f] = (gate / (1 + fastExp(-gate))) * gu[i * 2 * F + F + f];
      }
    }
    const d = linear(sgemm, act, layer.down, layer.downBias, N, F, D);
    for (let i = 0; i < N * D; i++) h[i] += d[i];
  });
  cache.length = S;
  const last = new Float32Array(A * D); // (A, D)
  for (let a = 0; a < A; a++) last.set(h.subarray(((a + 1) * T - 1) * D, (a + 1) * T * D), a * D);
  h = rmsNormRows(last, aw.norm, eps, A, D);
  return linear(sgemm, h, aw.head, undefined, A, D, V); // (A, V)
}
