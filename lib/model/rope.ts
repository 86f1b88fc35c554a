// Rotary position embedding in HF's rotate_half convention (first half / second half of each head),
// with "llama3" and "linear" frequency scaling. Frequencies are computed in float64 in JS, then uploaded.
import * as tf from "@tensorflow/tfjs";
import { fusedOpsActive } from "./blas/fused_kernels.ts";
import { fusedRope } from "./blas/fused_rope.ts";
import { headDim, type ModelConfig } from "./config.ts";

/**
 * Inverse frequencies (length head_dim/2) after rope scaling, as HF `_compute_*_parameters`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * import { presetConfig } from "./config.ts";
 * strictEqual(ropeInvFreq(presetConfig("builtin-small"))[0], 1);
 * ```
 */
export function ropeInvFreq(config: ModelConfig): Float64Array {
  const dim = headDim(config);
  const inv = Float64Array.from(
    { length: dim / 2 },
    (_, i) => 1 / config.rope_theta ** ((2 * i) / dim),
  );
  const s = config.rope_scaling;
  if (!s) return inv;
  if (s.rope_type === "linear" || s.type === "linear") return inv.map((f) => f / s.factor);
  // the schema admits only "linear" and "llama3", so the remaining case carries the llama3 fields
  const {
    factor,
    low_freq_factor: lo,
    high_freq_factor: hi,
    original_max_position_embeddings: oldLen,
  } = s as {
    factor: number;
    low_freq_factor: number;
    high_freq_factor: number;
    original_max_position_embeddings: number;
  };
  const lowFreqWavelen = oldLen / lo, highFreqWavelen = oldLen / hi;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) return f; // high frequency: unchanged
    if (wavelen > lowFreqWavelen) return f / factor; // low frequency: scaled
    const smooth = (oldLen / wavelen - lo) / (hi - lo); // medium: interpolate
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/**
 * cos/sin tables for `positions` (B rows of T), each (B, 1, T, hd) so they broadcast over heads.
 *
 * @example
 * ```ts
 * import { presetConfig } from "./config.ts";
 * const cfg = presetConfig("builtin-small");
 * const { cos, sin } = ropeTables(ropeInvFreq(cfg), [[0, 1, 2]]); // (1, 1, 3, hd)
 * if (cos.shape[2] !== 3 || sin.dataSync()[0] !== 0) throw new Error(`${cos.shape}`);
 * ```
 */
export function ropeTables(
  invFreq: Float64Array,
  positions: number[][],
): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const B = positions.length, T = positions[0]?.length ?? 0, half = invFreq.length, hd = 2 * half;
  const cos = new Float32Array(B * T * hd), sin = new Float32Array(B * T * hd);
  for (let b = 0; b < B; b++) {
    if (positions[b].length !== T) {
      throw new Error(`positions: row ${b} has ${positions[b].length}, expected ${T}`);
    }
    for (let t = 0; t < T; t++) {
      const base = (b * T + t) * hd;
      for (let i = 0; i < half; i++) {
        const angle = positions[b][t] * invFreq[i]; // emb = cat(freqs, freqs)
        cos[base + i] = cos[base + half + i] = Math.cos(angle);
        sin[base + i] = sin[base + half + i] = Math.sin(angle);
      }
    }
  }
  return { cos: tf.tensor4d(cos, [B, 1, T, hd]), sin: tf.tensor4d(sin, [B, 1, T, hd]) };
}

/**
 * x * cos + rotate_half(x) * sin, where rotate_half(x) = cat(-x2, x1) over the head dim.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { presetConfig } from "./config.ts";
 * const { cos, sin } = ropeTables(ropeInvFreq(presetConfig("builtin-small")), [[0, 1, 2]]);
 * const q = applyRope(tf.ones([1, 2, 3, 32]), cos, sin); // (B, H, T, hd)
 * if (q.dataSync()[0] !== 1) throw new Error("position 0 is not rotated");
 * ```
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  if (fusedOpsActive("rope")) return fusedRope(x, cos, sin); // one typed-array pass on cpu-blas
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, 2, 3); // 2 × (B, H, T, hd/2)
    const rotated = tf.concat([tf.neg(x2), x1], 3); // (B, H, T, hd)
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}
