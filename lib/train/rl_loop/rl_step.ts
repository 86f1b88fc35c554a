// One RL update on a scored rollout batch: advantages once, then μ AdamW steps whose gradient flows from
// dLoss/dlogπθ through tf.customGrad into the decoder. Paper.md §4. The objective runs on the CPU (closed
// form, policyLossAndGrad) or, with tfjs on webgpu, in the WGSL kernels on the same device
// (objective_path.ts picks; gpu_objective.ts). On webgpu the CPU path reads logπθ by an untaped forward
// first (no synchronous reads in Deno): one extra forward per update, same values.
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../model/config.ts";
import { type AdamWState, adamwUpdate } from "../optim/adamw.ts";
import { clipScale, globalNorm } from "../optim/clip.ts";
import type { RlAlgoConfig } from "../rl/algo_config.ts";
import { type RolloutAdvantages, rolloutAdvantages } from "../rl/compose_loss.ts";
import { type PolicyLoss, policyLossAndGrad, type PolicyLossStats } from "../rl/policy_loss.ts";
import { webgpuHandle } from "../../model/backend.ts";
import {
  completionLayoutTensor,
  disposeObjectiveConstants,
  gpuObjectiveLoss,
  objectiveConstants,
  objectiveKernel,
  type ObjectiveStatsSink,
  readObjectiveStats,
} from "./gpu_objective.ts";
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
  /** where the objective runs (objective_path.ts chooseObjectivePath) @default "cpu" */
  objective?: "cpu" | "gpu";
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
 * forward pass, the objective and its gradient w.r.t. logπθ (logπθold = the first update's values,
 * detached; μ = 1 passes null so the ratio is exactly 1), global-norm clip, AdamW. `refLogp` (B, T) is the
 * frozen SFT policy. `options.objective` says where the objective runs (objective_path.ts): "cpu" =
 * {@link closedFormLoss}; "gpu" = the WGSL kernels on tfjs's webgpu device (gpu_objective.ts).
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
  const { batch, optimizer } = state;
  const { algo } = options;
  const advantages = rolloutAdvantages(algo, {
    dims: batch.dims,
    groupSize: batch.groupSize,
    hits: batch.scored.hits,
    segments: batch.segments,
  });
  const names = Object.keys(params).sort();
  const varList = names.map((n) => params[n]);
  const ctx: UpdateContext = { params, config, state, algo, advantages, varList };
  const updater = options.objective === "gpu" ? await gpuUpdater(ctx) : cpuUpdater(ctx);
  let entropy = NaN;
  const losses: UpdateResult[] = [];
  const gradNorms: number[] = [];
  let skipped = 0;
  try {
    for (let k = 0; k < algo.mu; k++) {
      const { grads: byVar, result } = await updater.run(k);
      const grads = Object.fromEntries(names.map((n) => [n, byVar[params[n].name]]));
      try {
        const [norm, r] = await Promise.all([globalNorm(grads), result]);
        losses.push(r);
        if (r.entropy !== null) entropy = r.entropy;
        gradNorms.push(norm);
        if (!Number.isFinite(norm) || !Number.isFinite(r.loss)) {
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
  } finally {
    updater.dispose();
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

/** What one update's objective gave: loss, batch stats, and (first update) the rollout entropy. */
interface UpdateResult {
  loss: number;
  stats: PolicyLossStats;
  /** mean token entropy on the completion tokens; null when not computed this update */
  entropy: number | null;
}

/** One path's μ updates: gradients per variable name now, the objective's values when read. */
interface Updater {
  run(k: number): Promise<{ grads: tf.NamedTensorMap; result: Promise<UpdateResult> }>;
  dispose(): void;
}

/** What both updaters work from: the policy, the step's batch and advantages, the algorithm. */
interface UpdateContext {
  params: Record<string, tf.Variable>;
  config: ModelConfig;
  state: Parameters<typeof rlStep>[2];
  algo: RlAlgoConfig;
  advantages: RolloutAdvantages;
  varList: tf.Variable[];
}

/**
 * The CPU objective ({@link closedFormLoss}). On webgpu (no synchronous reads in Deno) logπθ is read by an
 * untaped forward first, then the taped forward carries the precomputed gradient: one extra forward.
 */
function cpuUpdater(ctx: UpdateContext): Updater {
  const { params, config, algo, advantages, varList } = ctx;
  const { batch, packed, refLogp } = ctx.state;
  let logpOld: Float64Array | null = null;
  return {
    async run(k) {
      let entropy: number | null = null;
      let last: PolicyLoss | null = null;
      const lossAndGrad = (logpNew: Float64Array): PolicyLoss => {
        if (algo.mu > 1 && logpOld === null) logpOld = logpNew.slice(); // detached rollout policy
        last = policyLossAndGrad({
          dims: batch.dims,
          logpNew,
          logpOld: algo.mu > 1 ? logpOld : null,
          logpRef: algo.beta > 0 ? refLogp : null,
          advantages: advantages.tokenAdvantages,
          segIds: batch.segments.segIds,
          mask: batch.mask,
        }, algo);
        return last;
      };
      let known: PolicyLoss | null = null; // loss + gradient from an untaped forward (webgpu)
      if (!syncReadable()) {
        const first = completionLogprobs(params, config, packed, { entropy: k === 0 }); // (K), (K)
        const [lp, ent] = await Promise.all([first.logp.data(), first.entropy?.data() ?? null]);
        tf.dispose([first.logp, ...(first.entropy === null ? [] : [first.entropy])]);
        if (ent !== null) entropy = maskedMean(toCompletionLayout(ent, first.index), batch.mask);
        known = lossAndGrad(toCompletionLayout(lp, first.index));
      }
      const { value, grads } = tf.variableGrads(() => {
        const { logp, entropy: ent, index } = completionLogprobs(params, config, packed, {
          entropy: k === 0 && known === null,
        }); // (K), (K)
        if (ent !== null) {
          entropy = maskedMean(toCompletionLayout(ent.dataSync(), index), batch.mask);
        }
        return known === null
          ? closedFormLoss(logp, index, lossAndGrad)
          : precomputedLoss(logp, index, known);
      }, varList);
      value.dispose();
      const out = last as PolicyLoss | null;
      if (out === null) throw new Error("lib/train/rl_loop/rl_step.ts: the objective did not run");
      return { grads, result: Promise.resolve({ loss: out.loss, stats: out.stats, entropy }) };
    },
    dispose() {},
  };
}

/**
 * The GPU objective (gpu_objective.ts): the step's fixed inputs uploaded once, logπθ laid out on the
 * device, loss and gradient from the kernels; the stats are read while the gradient norm is.
 */
async function gpuUpdater(ctx: UpdateContext): Promise<Updater> {
  const { params, config, algo, advantages, varList } = ctx;
  const gpu = webgpuHandle();
  if (gpu === null) {
    throw new Error(
      'lib/train/rl_loop/rl_step.ts: objective "gpu" needs tfjs on webgpu from useBackend("webgpu") ' +
        `(active: "${tf.getBackend()}"); use objective "cpu" or --backend webgpu`,
    );
  }
  const { batch, packed, refLogp } = ctx.state;
  const kernel = await objectiveKernel(gpu, algo.n);
  const consts = objectiveConstants({
    dims: batch.dims,
    advantages: advantages.tokenAdvantages,
    segIds: batch.segments.segIds,
    mask: batch.mask,
    logpRef: algo.beta > 0 ? refLogp : null,
  });
  let logpOld: tf.Tensor2D | null = null; // (B, T) the first update's logπθ, detached (μ > 1)
  return {
    // deno-lint-ignore require-await
    async run(k) {
      const sink: ObjectiveStatsSink = {};
      let ent: { values: tf.Tensor1D; index: Int32Array } | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const lp = completionLogprobs(params, config, packed, { entropy: k === 0 }); // (K), (K)
        if (lp.entropy !== null) ent = { values: tf.keep(lp.entropy), index: lp.index };
        const layout = completionLayoutTensor(lp.logp, lp.index, batch.dims); // (B, T)
        if (algo.mu > 1 && logpOld === null) logpOld = tf.keep(tf.clone(layout));
        return gpuObjectiveLoss(kernel, gpu, layout, logpOld, consts, algo, sink);
      }, varList);
      value.dispose();
      const taken = ent as { values: tf.Tensor1D; index: Int32Array } | null;
      const result = (async (): Promise<UpdateResult> => {
        const [objective, entValues] = await Promise.all([
          readObjectiveStats(sink),
          taken === null ? null : taken.values.data().finally(() => taken.values.dispose()),
        ]);
        const entropy = entValues === null
          ? null
          : maskedMean(toCompletionLayout(entValues, taken!.index), batch.mask);
        return { ...objective, entropy };
      })();
      return { grads, result };
    },
    dispose() {
      disposeObjectiveConstants(consts);
      logpOld?.dispose();
    },
  };
}

/**
 * Whether the active backend's tensors can be read synchronously (dataSync): not on webgpu in Deno, whose
 * readSync needs OffscreenCanvas.
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
