// Llama/Qwen2-style causal decoder forward pass in tfjs over HF-named weights, with an optional KV cache,
// and logits of selected positions only (forwardRows). Matches HF LlamaForCausalLM / Qwen2ForCausalLM in
// float32 (no dropout, no sliding window, no padding mask).
import * as tf from "@tensorflow/tfjs";
import { type ModelConfig, tiedEmbeddings } from "./config.ts";
import { type LayerCache, selfAttention } from "./attention.ts";
import { embedTokens } from "./embedding.ts";
import { linear } from "./linear.ts";
import { swiGlu } from "./mlp.ts";
import { rmsNorm } from "./rmsnorm.ts";
import { ropeInvFreq, ropeTables } from "./rope.ts";
import type { DecoderWeights } from "./weights.ts";
import { computePaths } from "./compute_paths.ts";

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

/**
 * True when a bench asked for full logits (`setComputePaths({ fullLogits: true })`): losses that would use
 * {@link forwardRows} take logits at every position instead, the path before selected-row logits — for
 * before/after speed comparisons in one process. Read on every call.
 *
 * @example
 * ```ts
 * if (fullLogitsPath()) console.log("logits at every position"); // false unless setComputePaths({ fullLogits: true })
 * ```
 */
export function fullLogitsPath(): boolean {
  return computePaths().fullLogits;
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
 * import { presetConfig } from "./config.ts";
 * import { initWeights } from "./weights.ts";
 * const cfg = presetConfig("builtin-small");
 * const w = initWeights(cfg, { seed: 0 });
 * const { logits } = forward(w, cfg, [[1, 5, 9]]); // (1, 3, 2048)
 * if (logits.shape.join() !== "1,3,2048") throw new Error(`${logits.shape}`);
 * ```
 */
export function forward(
  weights: DecoderWeights,
  config: ModelConfig,
  inputIds: number[][],
  options: ForwardOptions = {},
): { logits: tf.Tensor3D; kvCache?: KvCache } {
  const [B, T] = batchDims(inputIds, "forward");
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
    const { h, layers } = decoderTrunk(weights, config, ids, { B, T, positions, past });
    const logits = tf.reshape(lmHead(weights, config, h), [B, T, config.vocab_size]); // (B, T, V)
    return [logits, ...(returnCache ? layers.flatMap((l) => [l.k, l.v]) : [])]; // tidy keeps these
  });
  if (!returnCache) return { logits: logits as tf.Tensor3D };
  const layers = Array.from({ length: kv.length / 2 }, (_, i) => ({
    k: kv[2 * i] as tf.Tensor4D,
    v: kv[2 * i + 1] as tf.Tensor4D,
  }));
  return { logits: logits as tf.Tensor3D, kvCache: { layers } };
}

/** (B, T) of a rectangular, non-empty batch of id rows; throws naming `fn` otherwise. */
function batchDims(inputIds: number[][], fn: string): [number, number] {
  const B = inputIds.length, T = inputIds[0]?.length ?? 0;
  if (B === 0 || T === 0) throw new Error(`${fn}: inputIds must be non-empty (got ${B} × ${T})`);
  inputIds.forEach((row, b) => {
    if (row.length !== T) {
      throw new Error(`${fn}: inputIds row ${b} has ${row.length} ids, expected ${T}`);
    }
  });
  return [B, T];
}

/**
 * Embedding and every decoder layer: the residual stream (B·T, D) before the final norm, and each
 * layer's keys/values. Call inside tf.tidy.
 */
function decoderTrunk(
  weights: DecoderWeights,
  config: ModelConfig,
  ids: Int32Array,
  dims: { B: number; T: number; positions: number[][]; past?: KvCache },
): { h: tf.Tensor2D; layers: LayerCache[] } {
  const { B, T, past } = dims;
  const { cos, sin } = ropeTables(ropeInvFreq(config), dims.positions); // (B, 1, T, hd)
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
  return { h, layers };
}

/** Final RMSNorm then the (tied or untied) LM head: rows (N, D) of the residual stream → logits (N, V). */
function lmHead(weights: DecoderWeights, config: ModelConfig, h: tf.Tensor2D): tf.Tensor2D {
  const final = rmsNorm(h, weights["model.norm.weight"], config.rms_norm_eps) as tf.Tensor2D; // (N, D)
  const head = tiedEmbeddings(config)
    ? weights["model.embed_tokens.weight"]
    : weights["lm_head.weight"]; // (V, D)
  return linear(final, head); // (N, V)
}

/** Options of {@link forwardRows}. */
export interface ForwardRowsOptions {
  /** RoPE positions per row (B × T) @default 0..T-1 */
  positions?: number[][];
}

/**
 * Logits (M, V) of the flat positions `rows` (indices into the B·T positions, b·T + t) only: same values
 * as `forward(...).logits` reshaped to (B·T, V) and gathered at `rows`, without the LM head, final norm
 * and softmax work at the other positions (prompt and padding positions of a completion-only loss).
 * Differentiable w.r.t. every weight (tested on cpu, cpu-blas and wasm): the row gather's gradient is the
 * scatter-add of lib/model/embedding.ts (tf.gather's own needs UnsortedSegmentSum, missing on wasm).
 * Rows may repeat and come in any order; no KV cache (a training/scoring pass over whole sequences).
 *
 * @example
 * ```ts
 * import { presetConfig } from "./config.ts";
 * import { initWeights } from "./weights.ts";
 * const cfg = presetConfig("builtin-small");
 * const w = initWeights(cfg, { seed: 0 });
 * const logits = forwardRows(w, cfg, [[1, 5, 9], [2, 6, 0]], Int32Array.of(1, 2, 4)); // (3, 2048)
 * if (logits.shape.join() !== "3,2048") throw new Error(`${logits.shape}`);
 * ```
 */
export function forwardRows(
  weights: DecoderWeights,
  config: ModelConfig,
  inputIds: number[][],
  rows: Int32Array | readonly number[],
  options: ForwardRowsOptions = {},
): tf.Tensor2D {
  const [B, T] = batchDims(inputIds, "forwardRows");
  const N = B * T;
  if (rows.length === 0) throw new Error("forwardRows: rows must name at least one position");
  rows.forEach((r, m) => {
    if (!(Number.isInteger(r) && r >= 0 && r < N)) {
      throw new Error(`forwardRows: rows[${m}] = ${r} outside the B·T = ${B}·${T} positions`);
    }
  });
  const at = Int32Array.from(rows);
  const positions = options.positions ?? inputIds.map(() => Array.from({ length: T }, (_, t) => t));
  const ids = Int32Array.from(inputIds.flat());
  return tf.tidy(() => {
    const { h } = decoderTrunk(weights, config, ids, { B, T, positions }); // (B·T, D)
    const identity = at.length === N && at.every((r, m) => r === m);
    const picked = identity ? h : embedTokens(h, at); // (M, D), scatter-add gradient
    return lmHead(weights, config, picked); // (M, V)
  });
}
