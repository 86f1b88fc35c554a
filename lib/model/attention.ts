// Causal grouped-query self-attention (HF Llama/Qwen2) with RoPE and a KV cache. Query heads sharing a KV
// head are folded into the row axis instead of repeating K/V (same result as HF repeat_kv, less memory);
// on cpu-blas the score/softmax/context core is one fused op (lib/model/blas/fused_causal_attention.ts).
import * as tf from "@tensorflow/tfjs";
import { fusedCausalSoftmax } from "./blas/fused_attention.ts";
import { fusedCausalAttention } from "./blas/fused_causal_attention.ts";
import { fusedOpsActive } from "./blas/fused_kernels.ts";
import { headDim, type ModelConfig } from "./config.ts";
import { linear } from "./linear.ts";
import { applyRope } from "./rope.ts";
import type { DecoderWeights } from "./weights.ts";

/** Cached keys and values of one layer: (B, n_kv, S, hd), RoPE already applied to keys. */
export interface LayerCache {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

/**
 * Additive causal mask for `T` new queries after `past` cached positions, tiled over `groups` query heads
 * per KV head: (groups·T, past+T), 0 where key s ≤ past+t, -1e9 elsewhere. Built in JS and uploaded.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(causalMask(0, 2, 1).arraySync(), [[0, -1e9], [0, 0]]);
 * ```
 */
export function causalMask(past: number, T: number, groups: number): tf.Tensor2D {
  const S = past + T;
  const m = new Float32Array(groups * T * S);
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < T; t++) {
      for (let s = past + t + 1; s < S; s++) m[(g * T + t) * S + s] = -1e9;
    }
  }
  return tf.tensor2d(m, [groups * T, S]);
}

/**
 * softmax(scale·scores + causalMask(past, T, groups)) of scores (B, nkv, groups·T, past+T): one fused op
 * on cpu-blas (lib/model/blas/fused_attention.ts), the stock tfjs composition on every other backend.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const scores = tf.zeros([1, 1, 2, 2]) as tf.Tensor4D; // (B, nkv, g·T, S)
 * const probs = causalSoftmax(scores, { past: 0, T: 2, groups: 1, scale: 1 });
 * // row 0 sees key 0 only; row 1 both keys equally: [[1, 0], [0.5, 0.5]]
 * if (probs.arraySync()[0][0][1][1] !== 0.5) throw new Error(`${probs.arraySync()}`);
 * ```
 */
export function causalSoftmax(
  scores: tf.Tensor4D,
  options: { past: number; T: number; groups: number; scale: number },
): tf.Tensor4D {
  const { past, T, groups, scale } = options;
  if (fusedOpsActive()) return fusedCausalSoftmax(scores, { T, past, scale });
  return tf.tidy(() =>
    tf.softmax(tf.add(tf.mul(scores, scale), causalMask(past, T, groups))) as tf.Tensor4D
  ); // (B, nkv, g·T, S)
}

/**
 * One attention block on the normalised hidden states `x` (B·T, D) of layer `prefix`
 * (e.g. "model.layers.0"); returns the (B·T, D) output and the layer's updated KV cache.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { loadCheckpoint } from "./checkpoint.ts";
 * import { ropeInvFreq, ropeTables } from "./rope.ts";
 * const { config: cfg, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const [B, T] = [1, 3];
 * const x = tf.ones([B * T, cfg.hidden_size]) as tf.Tensor2D; // (B·T, D)
 * const { cos, sin } = ropeTables(ropeInvFreq(cfg), [[0, 1, 2]]);
 * const { out, cache } = selfAttention(x, weights, cfg, { prefix: "model.layers.0", B, T, cos, sin });
 * if (out.shape[1] !== cfg.hidden_size || cache.k.shape[2] !== T) throw new Error(`${out.shape}`);
 * ```
 */
export function selfAttention(
  x: tf.Tensor2D,
  weights: DecoderWeights,
  config: ModelConfig,
  options: {
    prefix: string;
    B: number;
    T: number;
    cos: tf.Tensor4D;
    sin: tf.Tensor4D;
    past?: LayerCache;
  },
): { out: tf.Tensor2D; cache: LayerCache } {
  const { prefix, B, T, cos, sin, past } = options;
  const hd = headDim(config), nh = config.num_attention_heads, nkv = config.num_key_value_heads;
  const g = nh / nkv;
  const p = `${prefix}.self_attn`;
  const proj = (name: string) =>
    linear(x, weights[`${p}.${name}.weight`], weights[`${p}.${name}.bias`]);
  const heads = (y: tf.Tensor2D, n: number) =>
    tf.transpose(tf.reshape(y, [B, T, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // (B·T, n·hd) → (B, n, T, hd)

  const q = applyRope(heads(proj("q_proj"), nh), cos, sin); // (B, nh, T, hd)
  const kNew = applyRope(heads(proj("k_proj"), nkv), cos, sin); // (B, nkv, T, hd)
  const vNew = heads(proj("v_proj"), nkv); // (B, nkv, T, hd)
  const k = past ? tf.concat([past.k, kNew], 2) : kNew; // (B, nkv, S, hd)
  const v = past ? tf.concat([past.v, vNew], 2) : vNew; // (B, nkv, S, hd)
  const P = past ? past.k.shape[2] : 0;

  const qg = tf.reshape(q, [B, nkv, g * T, hd]) as tf.Tensor4D; // heads h = kv·g + j → (B, nkv, g·T, hd)
  const scale = 1 / Math.sqrt(hd);
  const ctx = fusedOpsActive("attention")
    ? fusedCausalAttention(qg, k as tf.Tensor4D, v as tf.Tensor4D, { T, past: P, scale }) // blocked, causal keys only
    : tf.matMul(
      causalSoftmax(tf.matMul(qg, k, false, true) as tf.Tensor4D, { past: P, T, groups: g, scale }), // (B, nkv, g·T, S)
      v,
    ); // (B, nkv, g·T, hd)
  const merged = tf.reshape(
    tf.transpose(tf.reshape(ctx, [B, nh, T, hd]), [0, 2, 1, 3]), // (B, nh, T, hd) → (B, T, nh, hd)
    [B * T, nh * hd],
  ) as tf.Tensor2D; // (B·T, nh·hd)
  const out = linear(merged, weights[`${p}.o_proj.weight`], weights[`${p}.o_proj.bias`]); // (B·T, D)
  return { out, cache: { k: k as tf.Tensor4D, v: v as tf.Tensor4D } };
}
