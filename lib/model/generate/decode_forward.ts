// Inference forward pass over left-padded rows with a per-row key mask and a KV cache, returning only the
// last position's logits. Same math as lib/model/decoder.ts `forward` (which has no padding mask).
import * as tf from "@tensorflow/tfjs";
import { headDim } from "../config.ts";
import type { KvCache } from "../decoder.ts";
import type { LayerCache } from "../attention.ts";
import { rmsNorm } from "../rmsnorm.ts";
import { applyRope, ropeInvFreq, ropeTables } from "../rope.ts";
import type { DecodeLayer, DecodeWeights } from "./decode_weights.ts";

/** Options of {@link decodeForward}. */
export interface DecodeForwardOptions {
  /** keys/values of the P earlier positions of every row (not disposed) @default none */
  cache?: KvCache;
  /** whether each of the P + T key slots of each row holds a real token (false: padding) */
  keyValid: readonly (readonly boolean[])[];
  /** RoPE position of each new token, B rows of T */
  positions: readonly (readonly number[])[];
}

/**
 * Additive attention mask (B, 1, g·T, S) for T new queries after P cached slots: 0 where key slot s ≤ P+t
 * and `keyValid[b][s]`, -1e9 elsewhere; tiled over the g query heads of each KV head.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(paddedCausalMask([[false, true]], 0, 2, 1).arraySync(), [[[[-1e9, -1e9], [-1e9, 0]]]]);
 * ```
 */
export function paddedCausalMask(
  keyValid: readonly (readonly boolean[])[],
  P: number,
  T: number,
  groups: number,
): tf.Tensor4D {
  const B = keyValid.length, S = P + T;
  const m = new Float32Array(B * groups * T * S).fill(-1e9);
  for (let b = 0; b < B; b++) {
    if (keyValid[b].length !== S) {
      throw new Error(
        `lib/model/generate/decode_forward.ts: keyValid row ${b}: ${
          keyValid[b].length
        } slots, expected ${S}`,
      );
    }
    for (let g = 0; g < groups; g++) {
      for (let t = 0; t < T; t++) {
        const base = ((b * groups + g) * T + t) * S;
        for (let s = 0; s <= P + t; s++) if (keyValid[b][s]) m[base + s] = 0;
      }
    }
  }
  return tf.tensor4d(m, [B, 1, groups * T, S]);
}

function plus(y: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  return bias ? tf.add(y, bias) : y;
}

function attention(
  x: tf.Tensor2D,
  layer: DecodeLayer,
  dw: DecodeWeights,
  ctx: {
    B: number;
    T: number;
    cos: tf.Tensor4D;
    sin: tf.Tensor4D;
    mask: tf.Tensor4D;
    past?: LayerCache;
  },
): { out: tf.Tensor2D; cache: LayerCache } {
  const { B, T, cos, sin, mask, past } = ctx;
  const cfg = dw.config, hd = headDim(cfg);
  const nh = cfg.num_attention_heads, nkv = cfg.num_key_value_heads, g = nh / nkv;
  const qkv = plus(tf.matMul(x, layer.qkv), layer.qkvBias); // (B·T, (nh+2nkv)·hd)
  const [qf, kf, vf] = tf.split(qkv, [nh * hd, nkv * hd, nkv * hd], 1);
  const heads = (y: tf.Tensor, n: number) =>
    tf.transpose(tf.reshape(y, [B, T, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // (B, n, T, hd)
  const q = applyRope(heads(qf, nh), cos, sin); // (B, nh, T, hd)
  const kNew = applyRope(heads(kf, nkv), cos, sin); // (B, nkv, T, hd)
  const vNew = heads(vf, nkv); // (B, nkv, T, hd)
  const k = past ? tf.concat([past.k, kNew], 2) : kNew; // (B, nkv, S, hd)
  const v = past ? tf.concat([past.v, vNew], 2) : vNew; // (B, nkv, S, hd)
  const qg = tf.reshape(q, [B, nkv, g * T, hd]); // heads h = kv·g + j → (B, nkv, g·T, hd)
  const scores = tf.matMul(qg, k, false, true); // (B, nkv, g·T, S)
  const masked = tf.add(tf.mul(scores, 1 / Math.sqrt(hd)), mask); // (B, nkv, g·T, S)
  const att = tf.matMul(tf.softmax(masked), v); // (B, nkv, g·T, hd)
  const merged = tf.reshape(
    tf.transpose(tf.reshape(att, [B, nh, T, hd]), [0, 2, 1, 3]), // (B, T, nh, hd)
    [B * T, nh * hd],
  ) as tf.Tensor2D;
  const out = plus(tf.matMul(merged, layer.o), layer.oBias); // (B·T, D)
  return { out, cache: { k: k as tf.Tensor4D, v: v as tf.Tensor4D } };
}

function mlp(x: tf.Tensor2D, layer: DecodeLayer): tf.Tensor2D {
  const F = layer.down.shape[0];
  const [gate, up] = tf.split(plus(tf.matMul(x, layer.gateUp), layer.gateUpBias), [F, F], 1); // (N, F) ×2
  const h = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D; // silu(gate) * up, (N, F)
  return plus(tf.matMul(h, layer.down), layer.downBias); // (N, D)
}

/**
 * Logits of the last position (B, V) for `inputIds` (B rows of T, left-padded), continuing `cache`;
 * returns the cache extended by these T positions (new tensors, owned by the caller).
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * import { prepareDecodeWeights } from "./decode_weights.ts";
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const dw = prepareDecodeWeights(weights, config);
 * const { logits, cache } = decodeForward(dw, [[0, 5, 9], [4, 2, 7]], {
 *   keyValid: [[false, true, true], [true, true, true]],
 *   positions: [[0, 0, 1], [0, 1, 2]],
 * }); // logits (2, V)
 * if (logits.shape.join() !== `2,${config.vocab_size}`) throw new Error(`${logits.shape}`);
 * ```
 */
export function decodeForward(
  dw: DecodeWeights,
  inputIds: readonly (readonly number[])[],
  options: DecodeForwardOptions,
): { logits: tf.Tensor2D; cache: KvCache } {
  const cfg = dw.config;
  const B = inputIds.length, T = inputIds[0]?.length ?? 0, V = cfg.vocab_size;
  if (B === 0 || T === 0) {
    throw new Error(
      `lib/model/generate/decode_forward.ts: inputIds must be non-empty (got ${B} × ${T})`,
    );
  }
  const ids = new Int32Array(B * T);
  inputIds.forEach((row, b) => {
    if (row.length !== T) {
      throw new Error(
        `lib/model/generate/decode_forward.ts: inputIds row ${b}: ${row.length} ids, expected ${T}`,
      );
    }
    row.forEach((id, t) => {
      if (!(Number.isInteger(id) && id >= 0 && id < V)) {
        throw new Error(
          `lib/model/generate/decode_forward.ts: inputIds[${b}][${t}] = ${id}, expected 0..${
            V - 1
          }`,
        );
      }
      ids[b * T + t] = id;
    });
  });
  const past = options.cache;
  const P = past?.layers[0]?.k.shape[2] ?? 0;
  if (past && past.layers[0].k.shape[0] !== B) {
    throw new Error(
      `lib/model/generate/decode_forward.ts: cache batch ${past.layers[0].k.shape[0]} != ${B}`,
    );
  }
  const g = cfg.num_attention_heads / cfg.num_key_value_heads;
  const [logits, ...kv] = tf.tidy(() => {
    const { cos, sin } = ropeTables(ropeInvFreq(cfg), options.positions.map((r) => [...r])); // (B,1,T,hd)
    const mask = paddedCausalMask(options.keyValid, P, T, g); // (B, 1, g·T, S)
    let h = tf.gather(dw.embed, tf.tensor1d(ids, "int32")) as tf.Tensor2D; // (B·T, D)
    const caches: LayerCache[] = [];
    dw.layers.forEach((layer, i) => {
      const normed = rmsNorm(h, layer.inputNorm, cfg.rms_norm_eps) as tf.Tensor2D;
      const a = attention(normed, layer, dw, { B, T, cos, sin, mask, past: past?.layers[i] });
      caches.push(a.cache);
      h = tf.add(h, a.out); // (B·T, D)
      h = tf.add(h, mlp(rmsNorm(h, layer.postNorm, cfg.rms_norm_eps) as tf.Tensor2D, layer));
    });
    const last = T === 1 ? h : tf.reshape(
      tf.slice(tf.reshape(h, [B, T, -1]), [0, T - 1, 0], [B, 1, -1]),
      [B, -1],
    ); // (B, D)
    const final = rmsNorm(last, dw.norm, cfg.rms_norm_eps) as tf.Tensor2D; // (B, D)
    return [tf.matMul(final, dw.head), ...caches.flatMap((c) => [c.k, c.v])]; // (B, V), kv
  });
  const layers = Array.from({ length: kv.length / 2 }, (_, i) => ({
    k: kv[2 * i] as tf.Tensor4D,
    v: kv[2 * i + 1] as tf.Tensor4D,
  }));
  return { logits: logits as tf.Tensor2D, cache: { layers } };
}

/**
 * A new cache holding rows `rows` of `cache` (in that order; a row may repeat, e.g. G samples per prompt).
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * import { prepareDecodeWeights } from "./decode_weights.ts";
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const { cache } = decodeForward(prepareDecodeWeights(weights, config), [[5, 9], [2, 7]], {
 *   keyValid: [[true, true], [true, true]],
 *   positions: [[0, 1], [0, 1]],
 * });
 * const expanded = selectCacheRows(cache, [0, 0, 1, 1]); // 2 prompts × 2 samples
 * if (expanded.layers[0].k.shape[0] !== 4) throw new Error(`${expanded.layers[0].k.shape}`);
 * ```
 */
export function selectCacheRows(cache: KvCache, rows: readonly number[]): KvCache {
  return tf.tidy(() => {
    const idx = tf.tensor1d(Int32Array.from(rows), "int32");
    return {
      layers: cache.layers.map((l) => ({
        k: tf.gather(l.k, idx, 0) as tf.Tensor4D, // (R, nkv, S, hd)
        v: tf.gather(l.v, idx, 0) as tf.Tensor4D,
      })),
    };
  });
}
