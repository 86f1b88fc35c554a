// Inference-only copy of the decoder weights laid out for fast cached decoding: every linear weight
// transposed to (in, out) and q/k/v and gate/up fused, so each step is a few plain 2D matMuls (on tfjs wasm
// a plain matMul takes XNNPACK, ~10-20x faster than matMul with transposeB at decode batch sizes).
import * as tf from "@tensorflow/tfjs";
import { headDim, type ModelConfig, tiedEmbeddings } from "../config.ts";
import type { DecoderWeights } from "../weights.ts";

/** One layer's weights in decode layout: (in, out) matrices, fused projections, optional biases. */
export interface DecodeLayer {
  inputNorm: tf.Tensor1D;
  /** q, k, v projections side by side: (D, (nh + 2·nkv)·hd) */
  qkv: tf.Tensor2D;
  /** (nh + 2·nkv)·hd, or undefined without q/k/v bias */
  qkvBias?: tf.Tensor1D;
  /** (nh·hd, D) */
  o: tf.Tensor2D;
  oBias?: tf.Tensor1D;
  postNorm: tf.Tensor1D;
  /** gate and up projections side by side: (D, 2·F) */
  gateUp: tf.Tensor2D;
  gateUpBias?: tf.Tensor1D;
  /** (F, D) */
  down: tf.Tensor2D;
  downBias?: tf.Tensor1D;
}

/** Decode-layout weights of a whole model (own tensors; free with {@link disposeDecodeWeights}). */
export interface DecodeWeights {
  config: ModelConfig;
  /** token embedding table (V, D) */
  embed: tf.Tensor2D;
  layers: DecodeLayer[];
  norm: tf.Tensor1D;
  /** output projection (D, V) */
  head: tf.Tensor2D;
}

/**
 * Build the decode layout from HF-named weights (copies: about the model's size again in memory; build it
 * once per policy version and pass it to every generate call of that version).
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * const { config: cfg, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const dw = prepareDecodeWeights(weights, cfg); // fused, transposed layout for decoding
 * disposeDecodeWeights(dw);
 * ```
 */
export function prepareDecodeWeights(weights: DecoderWeights, config: ModelConfig): DecodeWeights {
  const need = (name: string): tf.Tensor => {
    const t = weights[name];
    if (!t) {
      throw new Error(`lib/model/generate/decode_weights.ts: weights: missing tensor "${name}"`);
    }
    return t;
  };
  const opt = (name: string): tf.Tensor | undefined => weights[name];
  const hd = headDim(config);
  if (!Number.isInteger(hd) || hd % 2 !== 0) {
    throw new Error(
      `lib/model/generate/decode_weights.ts: config: head dim ${hd} must be an even integer`,
    );
  }
  const tensors = tf.tidy(() => {
    const t = (name: string) => tf.transpose(need(name)) as tf.Tensor2D; // (out, in) → (in, out)
    const bias = (names: string[], widths: number[]): tf.Tensor1D | undefined => {
      const parts = names.map(opt);
      if (parts.every((p) => p === undefined)) return undefined;
      return tf.concat(parts.map((p, i) => p ?? tf.zeros([widths[i]]))) as tf.Tensor1D;
    };
    const nh = config.num_attention_heads, nkv = config.num_key_value_heads;
    const ff = config.intermediate_size;
    const layers: DecodeLayer[] = [];
    for (let i = 0; i < config.num_hidden_layers; i++) {
      const a = `model.layers.${i}.self_attn`, m = `model.layers.${i}.mlp`;
      const proj = ["q_proj", "k_proj", "v_proj"].map((n) => `${a}.${n}`);
      layers.push({
        inputNorm: tf.clone(need(`model.layers.${i}.input_layernorm.weight`)) as tf.Tensor1D,
        qkv: tf.concat(proj.map((p) => t(`${p}.weight`)), 1) as tf.Tensor2D, // (D, (nh+2nkv)·hd)
        qkvBias: bias(proj.map((p) => `${p}.bias`), [nh * hd, nkv * hd, nkv * hd]),
        o: t(`${a}.o_proj.weight`), // (nh·hd, D)
        oBias: opt(`${a}.o_proj.bias`) && (tf.clone(need(`${a}.o_proj.bias`)) as tf.Tensor1D),
        postNorm: tf.clone(
          need(`model.layers.${i}.post_attention_layernorm.weight`),
        ) as tf.Tensor1D,
        gateUp: tf.concat([t(`${m}.gate_proj.weight`), t(`${m}.up_proj.weight`)], 1) as tf.Tensor2D,
        gateUpBias: bias([`${m}.gate_proj.bias`, `${m}.up_proj.bias`], [ff, ff]),
        down: t(`${m}.down_proj.weight`), // (F, D)
        downBias: opt(`${m}.down_proj.bias`) &&
          (tf.clone(need(`${m}.down_proj.bias`)) as tf.Tensor1D),
      });
    }
    const embed = tf.clone(need("model.embed_tokens.weight")) as tf.Tensor2D; // (V, D)
    const head = tiedEmbeddings(config) ? tf.transpose(embed) as tf.Tensor2D : t("lm_head.weight");
    const norm = tf.clone(need("model.norm.weight")) as tf.Tensor1D;
    return { embed, layers: layers as unknown as tf.TensorContainer, norm, head }; // head (D, V)
  }) as unknown as Omit<DecodeWeights, "config">;
  return { config, ...tensors };
}

/** Every tensor of a {@link DecodeWeights}. */
export function decodeWeightTensors(dw: DecodeWeights): tf.Tensor[] {
  const out: tf.Tensor[] = [dw.embed, dw.norm, dw.head];
  for (const l of dw.layers) {
    for (const x of Object.values(l)) if (x instanceof tf.Tensor) out.push(x);
  }
  return out;
}

/** Dispose every tensor of a {@link DecodeWeights}. */
export function disposeDecodeWeights(dw: DecodeWeights): void {
  tf.dispose(decodeWeightTensors(dw));
}
