// One RL update on a scored rollout batch: advantages once, then μ AdamW steps whose gradient flows from
// the closed-form dLoss/dlogπθ (policyLossAndGrad) through tf.customGrad into the decoder. Paper.md §4.
// On webgpu (no synchronous reads in Deno) logπθ is read by an untaped forward first, then the taped
// forward carries the precomputed gradient: one extra forward per update, same values.
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../model/config.ts";
import { type AdamWState, adamwUpdate } from "../optim/adamw.ts";
import { clipScale, globalNorm } from "../optim/clip.ts";
import type { RlAlgoConfig } from "../rl/algo_config.ts";
import { type RolloutAdvantages, rolloutAdvantages } from "../rl/compose_loss.ts";
import { type PolicyLoss, policyLossAndGrad, type PolicyLossStats } from "../rl/policy_loss.ts";
import { completionLogprobs, type PackedSequences, toCompletionLayout } from "./policy_logprobs.ts";
import type { RolloutBatch } from "./rollouts.ts";

/** Optimiser settings of {@link rlStep}. */
export interface RlStepOptions {
  algo: RlAlgoConfig;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number;
}

/** What one {@link rlStep} did (stats are means over its μ updates; entropy from the first). */
export interface RlStepOutcome {
  advantages: RolloutAdvantages;
  /** mean loss over the μ updates */
  loss: number;
  stats: PolicyLossStats;
  /** mean token entropy of the rollout policy on the completion tokens */
  entropy: number;
  /** global gradient norm before clipping, per update */
  gradNorms: number[];
  /** updates skipped for a non-finite loss or gradient */
  skipped: number;
}

/**
 * A scalar whose value is `lossAndGrad(logp).loss` and whose gradient w.r.t. the (K) per-row log-probs
 * is the closed-form `grad`, scattered from the (B, T) completion layout back to rows by `positions`.
 * @example
 * ```ts
 * const loss = closedFormLoss(logp, packed.positions, (lp) => policyLossAndGrad({ ...inputs, logpNew: lp }, cfg));
 * ```
 */
export function closedFormLoss(
  logp: tf.Tensor1D,
  positions: Int32Array,
  lossAndGrad: (logpNew: Float64Array) => PolicyLoss,
): tf.Scalar {
  return lossWithGrad(
    logp,
    positions,
    (x) => lossAndGrad(toCompletionLayout(x.dataSync(), positions)),
  );
}

/**
 * {@link closedFormLoss} when the loss and its (B, T) gradient were already computed from this logp's
 * values (read asynchronously): nothing is read back, so it works on backends without dataSync (webgpu).
 * @example
 * ```ts
 * const out = lossAndGrad(toCompletionLayout(await logp0.data(), index)); // untaped pass
 * const loss = precomputedLoss(logp, index, out); // inside tf.variableGrads
 * ```
 */
export function precomputedLoss(
  logp: tf.Tensor1D,
  positions: Int32Array,
  out: PolicyLoss,
): tf.Scalar {
  return lossWithGrad(logp, positions, () => out);
}

/** Scalar loss.loss with gradient loss.grad (B, T) scattered onto the (K) rows by `positions`. */
function lossWithGrad(
  logp: tf.Tensor1D,
  positions: Int32Array,
  resolve: (x: tf.Tensor) => PolicyLoss,
): tf.Scalar {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor; // (K)
    const out = resolve(x);
    const grad = new Float32Array(x.size); // (K)
    for (let i = 0; i < positions.length; i++) {
      if (positions[i] >= 0) grad[positions[i]] = out.grad[i];
    }
    return {
      value: tf.scalar(out.loss),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor1d(grad)),
    };
  });
  return f(logp) as tf.Scalar;
}

/**
 * The RL step: rewards → advantages ({@link rolloutAdvantages}); for each of μ updates: logπθ by a
 * forward pass, {@link closedFormLoss} (logπθold = the first update's values, detached; μ = 1 passes
 * null so the ratio is exactly 1), global-norm clip, AdamW. `refLogp` (B, T) is the frozen SFT policy.
 * @example
 * ```ts
 * const out = await rlStep(params, cfg, { optimizer, batch, packed, refLogp }, opts);
 * ```
 */
export async function rlStep(
  params: Record<string, tf.Variable>,
  config: ModelConfig,
  state: {
    optimizer: AdamWState;
    batch: RolloutBatch;
    packed: PackedSequences;
    refLogp: Float64Array | null;
  },
  options: RlStepOptions,
): Promise<RlStepOutcome> {
  const { batch, packed, refLogp, optimizer } = state;
  const { algo } = options;
  const advantages = rolloutAdvantages(algo, {
    dims: batch.dims,
    groupSize: batch.groupSize,
    hits: batch.scored.hits,
    segments: batch.segments,
  });
  const names = Object.keys(params).sort();
  const varList = names.map((n) => params[n]);
  let logpOld: Float64Array | null = null;
  let entropy = NaN;
  const losses: PolicyLoss[] = [];
  const gradNorms: number[] = [];
  let skipped = 0;
  for (let k = 0; k < algo.mu; k++) {
    const lossAndGrad = (logpNew: Float64Array): PolicyLoss => {
      if (algo.mu > 1 && logpOld === null) logpOld = logpNew.slice(); // detached rollout policy
      const out = policyLossAndGrad({
        dims: batch.dims,
        logpNew,
        logpOld: algo.mu > 1 ? logpOld : null,
        logpRef: algo.beta > 0 ? refLogp : null,
        advantages: advantages.tokenAdvantages,
        segIds: batch.segments.segIds,
        mask: batch.mask,
      }, algo);
      losses.push(out);
      return out;
    };
    let known: PolicyLoss | null = null; // loss + gradient from an untaped forward (webgpu)
    if (!syncReadable()) {
      const first = completionLogprobs(params, config, packed, { entropy: k === 0 }); // (K), (K)
      const [lp, ent] = await Promise.all([first.logp.data(), first.entropy?.data() ?? null]);
      tf.dispose([first.logp, ...(first.entropy === null ? [] : [first.entropy])]);
      if (ent !== null) entropy = maskedMean(toCompletionLayout(ent, first.index), batch.mask);
      known = lossAndGrad(toCompletionLayout(lp, first.index));
    }
    const { value, grads: byVar } = tf.variableGrads(() => {
      const { logp, entropy: ent, index } = completionLogprobs(params, config, packed, {
        entropy: k === 0 && known === null,
      }); // (K), (K)
      if (ent !== null) entropy = maskedMean(toCompletionLayout(ent.dataSync(), index), batch.mask);
      return known === null
        ? closedFormLoss(logp, index, lossAndGrad)
        : precomputedLoss(logp, index, known);
    }, varList);
    const grads = Object.fromEntries(names.map((n) => [n, byVar[params[n].name]]));
    value.dispose();
    try {
      const norm = await globalNorm(grads);
      gradNorms.push(norm);
      if (!Number.isFinite(norm) || !Number.isFinite(losses.at(-1)!.loss)) {
        skipped++;
        continue;
      }
      adamwUpdate(params, grads, optimizer, {
        lr: options.lr,
        beta1: options.beta1,
        beta2: options.beta2,
        eps: options.eps,
        weightDecay: options.weightDecay,
        gradScale: clipScale(norm, options.maxGradNorm),
      });
    } finally {
      tf.dispose(grads);
    }
  }
  return {
    advantages,
    loss: mean(losses.map((l) => l.loss)),
    stats: meanStats(losses.map((l) => l.stats)),
    entropy,
    gradNorms,
    skipped,
  };
}

/**
 * Whether the active backend's tensors can be read synchronously (dataSync): not on webgpu in Deno (incl.
 * kernels/rank_objective_tfjs.ts's "webgpu-shared"), whose readSync needs OffscreenCanvas.
 */
function syncReadable(): boolean {
  return !tf.getBackend().startsWith("webgpu");
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
}

function maskedMean(values: Float64Array, mask: Uint8Array): number {
  let s = 0, c = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask[i] !== 0) {
      s += values[i];
      c++;
    }
  }
  return c === 0 ? NaN : s / c;
}

function meanStats(all: readonly PolicyLossStats[]): PolicyLossStats {
  const keys = Object.keys(all[0]) as (keyof PolicyLossStats)[];
  return Object.fromEntries(
    keys.map((k) => [k, mean(all.map((s) => s[k]))]),
  ) as unknown as PolicyLossStats;
}
