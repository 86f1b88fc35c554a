// AdamW (Loshchilov & Hutter): Adam moments with bias correction and decoupled weight decay, as
// torch.optim.AdamW. Departs from the paper's Adam β2 0.99 for SFT only by default (0.999, torch's).
import * as tf from "@tensorflow/tfjs";
import { adamwValues, fusedOptimActive } from "./fused_adamw.ts";

/** Hyper-parameters of one AdamW update. */
export interface AdamWOptions {
  lr: number;
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** @default 1e-8 */
  eps?: number;
  /** decoupled decay, applied as p ← p − lr·wd·p @default 0 */
  weightDecay?: number;
  /** multiply every gradient by this first (global-norm clipping) @default 1 */
  gradScale?: number;
  /** parameters that get weight decay @default every parameter of rank ≥ 2 (not norms, not biases) */
  decays?: (name: string, param: tf.Tensor) => boolean;
}

/** AdamW state: first and second moments per parameter, and the number of updates applied. */
export interface AdamWState {
  step: number;
  m: Record<string, tf.Tensor>;
  v: Record<string, tf.Tensor>;
}

/**
 * Zero moments for `params` (step 0).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const state = adamwInit({ w: tf.variable(tf.ones([2, 2])) });
 * if (state.step !== 0) throw new Error("a fresh state has taken no step");
 * disposeAdamW(state);
 * ```
 */
export function adamwInit(params: Record<string, tf.Tensor>): AdamWState {
  const m: Record<string, tf.Tensor> = {}, v: Record<string, tf.Tensor> = {};
  for (const [name, p] of Object.entries(params)) {
    m[name] = tf.zerosLike(p);
    v[name] = tf.zerosLike(p);
  }
  return { step: 0, m, v };
}

/** Dispose every moment tensor of `state`. */
export function disposeAdamW(state: AdamWState): void {
  Object.values(state.m).forEach((t) => t.dispose());
  Object.values(state.v).forEach((t) => t.dispose());
}

/**
 * Apply one AdamW update in place: `variables` are assigned their new values, `state` gets new moments
 * (the old ones are disposed) and step + 1. Gradients are not disposed. On the cpu and cpu-blas backends
 * each parameter is updated in one typed-array pass (fused_adamw.ts; same formula, float64 inside, so
 * results differ from the tf-op chain by float32 rounding only).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const w = { w: tf.variable(tf.ones([2])) };
 * const state = adamwInit(w);
 * adamwUpdate(w, { w: tf.ones([2]) }, state, { lr: 0.1, weightDecay: 0 });
 * const after = w.w.dataSync(); // ≈ [0.9, 0.9]: Adam's first step moves each weight by lr
 * if (after.some((x) => Math.abs(x - 0.9) > 1e-5)) throw new Error(`w = ${after}`);
 * ```
 */
export function adamwUpdate(
  variables: Record<string, tf.Variable>,
  grads: Record<string, tf.Tensor>,
  state: AdamWState,
  options: AdamWOptions,
): void {
  const b1 = options.beta1 ?? 0.9, b2 = options.beta2 ?? 0.999, eps = options.eps ?? 1e-8;
  const wd = options.weightDecay ?? 0, scale = options.gradScale ?? 1, lr = options.lr;
  const decays = options.decays ?? ((_: string, p: tf.Tensor) => p.rank >= 2);
  const t = state.step + 1;
  const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
  for (const name of Object.keys(variables).sort()) {
    const p = variables[name], g0 = grads[name];
    if (g0 === undefined) {
      throw new Error(`lib/train/optim/adamw.ts: adamwUpdate: no gradient for parameter "${name}"`);
    }
    const decayed = wd > 0 && decays(name, p);
    if (fusedOptimActive([p, g0, state.m[name], state.v[name]])) {
      const out = adamwValues(
        p.dataSync() as Float32Array,
        g0.dataSync() as Float32Array,
        state.m[name].dataSync() as Float32Array,
        state.v[name].dataSync() as Float32Array,
        {
          beta1: b1,
          beta2: b2,
          eps,
          lr,
          weightDecay: decayed ? wd : 0,
          gradScale: scale,
          biasCorrection1: bc1,
          biasCorrection2: bc2,
        },
      );
      swap(state, name, tf.tensor(out.m, p.shape, "float32"), tf.tensor(out.v, p.shape, "float32"));
      const next = tf.tensor(out.p, p.shape, "float32");
      p.assign(next);
      next.dispose();
      continue;
    }
    const [m, v, next] = tf.tidy(() => {
      const g = scale === 1 ? g0 : tf.mul(g0, scale);
      const m = tf.add(tf.mul(state.m[name], b1), tf.mul(g, 1 - b1));
      const v = tf.add(tf.mul(state.v[name], b2), tf.mul(tf.square(g), 1 - b2));
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
      const stepDir = tf.div(m, denom); // Adam direction before lr / bc1
      const kept = decayed ? tf.mul(p, 1 - lr * wd) : p;
      return [m, v, tf.sub(kept, tf.mul(stepDir, lr / bc1))];
    });
    swap(state, name, m, v);
    p.assign(next);
    next.dispose();
  }
  state.step = t;
}

/** Replace the moments of `name` in `state` by `m` and `v`, disposing the old ones. */
function swap(state: AdamWState, name: string, m: tf.Tensor, v: tf.Tensor): void {
  state.m[name].dispose();
  state.v[name].dispose();
  state.m[name] = m;
  state.v[name] = v;
}

/** The optimiser keys of a run config (snake_case, as config.json records them). */
export interface AdamWRunSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  max_grad_norm: number;
}

/**
 * A run config's AdamW hyper-parameters and clip norm in the optimiser's spelling.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const s = adamwSettings({
 *   beta1: 0.9,
 *   beta2: 0.99,
 *   eps: 1e-8,
 *   weight_decay: 0.1,
 *   max_grad_norm: 1,
 * });
 * deepStrictEqual(s, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 });
 * ```
 */
export function adamwSettings(
  c: AdamWRunSettings,
): Required<Pick<AdamWOptions, "beta1" | "beta2" | "eps" | "weightDecay">> & {
  maxGradNorm: number;
} {
  return {
    beta1: c.beta1,
    beta2: c.beta2,
    eps: c.eps,
    weightDecay: c.weight_decay,
    maxGradNorm: c.max_grad_norm,
  };
}
