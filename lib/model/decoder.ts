// Llama/Qwen2-style causal decoder forward pass in tfjs over HF-named weights, with an optional KV cache.
// Matches HF LlamaForCausalLM / Qwen2ForCausalLM in float32 (no dropout, no sliding window, no padding mask).
import * as tf from "@tensorflow/tfjs";
import { type ModelConfig, tiedEmbeddings } from "./config.ts";
import { type LayerCache, selfAttention } from "./attention.ts";
import { embedTokens } from "./embedding.ts";
import { linear } from "./linear.ts";
import { swiGlu } from "./mlp.ts";
import { rmsNorm } from "./rmsnorm.ts";
import { ropeInvFreq, ropeTables } from "./rope.ts";
import type { DecoderWeights } from "./weights.ts";

/** Per-layer keys/values of every position seen so far; owned by the caller (see disposeKvCache). */
export interface KvCache {
  layers: LayerCache[];
}

/** Options of {@link forward}. */
export interface ForwardOptions {
  /** keys/values of earlier positions (not disposed by forward) @default none */
  kvCache?: KvCache;
  /** RoPE positions per row (B × T) @default cache length + 0..T-1 */
  positions?: number[][];
  /** return the updated cache (new tensors) @default true when kvCache is given */
  returnCache?: boolean;
}

/** Number of positions held in `cache` (0 for none). */
export function cacheLength(cache?: KvCache): number {
  return cache?.layers[0]?.k.shape[2] ?? 0;
}

/** Dispose every tensor of a KV cache. */
export function disposeKvCache(cache: KvCache | undefined): void {
  cache?.layers.forEach((l) => {
    l.k.dispose();
    l.v.dispose();
  });
}

/**
 * Logits (B, T, V) for token ids (B rows of T); with a cache, the ids continue the cached sequence.
 * Differentiable w.r.t. every weight (use inside tf.grads / tf.variableGrads).
 *
 * @example
 * ```ts
 * const cfg = presetConfig("builtin-small");
 * const w = initWeights(cfg, { seed: 0 });
 * const { logits } = forward(w, cfg, [[1, 5, 9]]); // (1, 3, 2048)
 * ```
 */
export function forward(
  weights: DecoderWeights,
  config: ModelConfig,
  inputIds: number[][],
  options: ForwardOptions = {},
): { logits: tf.Tensor3D; kvCache?: KvCache } {
  const B = inputIds.length, T = inputIds[0]?.length ?? 0;
  if (B === 0 || T === 0) throw new Error(`forward: inputIds must be non-empty (got ${B} × ${T})`);
  inputIds.forEach((row, b) => {
    if (row.length !== T) {
      throw new Error(`forward: inputIds row ${b} has ${row.length} ids, expected ${T}`);
    }
  });
  const past = options.kvCache;
  if (past && past.layers.length !== config.num_hidden_layers) {
    throw new Error(
      `forward: kvCache has ${past.layers.length} layers, config ${config.num_hidden_layers}`,
    );
  }
  const P = cacheLength(past);
  if (past && past.layers[0].k.shape[0] !== B) {
    throw new Error(`forward: kvCache batch ${past.layers[0].k.shape[0]} != inputIds batch ${B}`);
  }
  const positions = options.positions ??
    inputIds.map(() => Array.from({ length: T }, (_, t) => P + t));
  const returnCache = options.returnCache ?? past !== undefined;
  const ids = Int32Array.from(inputIds.flat());

  const [logits, ...kv] = tf.tidy(() => {
    const { cos, sin } = ropeTables(ropeInvFreq(config), positions); // (B, 1, T, hd)
    const embed = weights["model.embed_tokens.weight"] as tf.Tensor2D;
    let h = embedTokens(embed, ids); // (B·T, D)
    const layers: LayerCache[] = [];
    for (let i = 0; i < config.num_hidden_layers; i++) {
      const prefix = `model.layers.${i}`;
      const normed = rmsNorm(h, weights[`${prefix}.input_layernorm.weight`], config.rms_norm_eps);
      const attn = selfAttention(normed as tf.Tensor2D, weights, config, {
        prefix,
        B,
        T,
        cos,
        sin,
        past: past?.layers[i],
      });
      layers.push(attn.cache);
      h = tf.add(h, attn.out); // (B·T, D)
      const normed2 = rmsNorm(
        h,
        weights[`${prefix}.post_attention_layernorm.weight`],
        config.rms_norm_eps,
      );
      h = tf.add(h, swiGlu(normed2 as tf.Tensor2D, weights, prefix)); // (B·T, D)
    }
    const final = rmsNorm(h, weights["model.norm.weight"], config.rms_norm_eps) as tf.Tensor2D;
    const head = tiedEmbeddings(config) ? embed : weights["lm_head.weight"];
    const logits = tf.reshape(linear(final, head), [B, T, config.vocab_size]) as tf.Tensor3D; // (B, T, V)
    return [logits, ...(returnCache ? layers.flatMap((l) => [l.k, l.v]) : [])]; // tidy keeps these
  });
  if (!returnCache) return { logits: logits as tf.Tensor3D };
  const layers = Array.from({ length: kv.length / 2 }, (_, i) => ({
    k: kv[2 * i] as tf.Tensor4D,
    v: kv[2 * i + 1] as tf.Tensor4D,
  }));
  return { logits: logits as tf.Tensor3D, kvCache: { layers } };
}
