// The update objective on the CPU: the closed form (lib/train/rl composeLoss) of loss and d loss/d logπθ
// from the log-probs read back, attached to the decoder's backward pass by tf.customGrad. On webgpu
// (no synchronous reads in Deno) logπθ is read by an untaped forward first: one extra forward per
// update, same values. Not in the paper (the authors' loss runs in PyTorch autograd).
import * as tf from "@tensorflow/tfjs";
import { composeLoss } from "../rl/compose_loss.ts";
import type { PolicyLoss } from "../rl/policy_loss.ts";
import { maskedMean, type Objective, type ObjectiveInputs } from "./objective.ts";
import { completionLogprobs, toCompletionLayout } from "./policy_logprobs.ts";

/**
 * A scalar whose value is `lossAndGrad(logp).loss` and whose gradient w.r.t. the (K) per-row log-probs
 * is the closed-form `grad`, scattered from the (B, T) completion layout back to rows by `positions`.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { policyLossAndGrad } from "../rl/policy_loss.ts";
 * const config = {
 *   level: "item",
 *   eps_low: 0.06,
 *   eps_high: 0.08,
 *   beta: 0,
 *   loss_norm: "token",
 *   n: 20,
 * } as const;
 * const update = {
 *   dims: { b: 1, t: 2 },
 *   logpOld: null,
 *   logpRef: null,
 *   advantages: Float64Array.of(1, 1),
 *   segIds: Int32Array.of(0, 0),
 *   mask: Uint8Array.of(1, 1),
 * };
 * const lossAndGrad = (logpNew: Float64Array) => policyLossAndGrad({ ...update, logpNew }, config);
 * const positions = Int32Array.of(0, 1); // (B, T) token → row of logp
 * const logp = tf.tensor1d([-1, -2]); // (K)
 * const loss = closedFormLoss(logp, positions, lossAndGrad);
 * const grad = tf.grad((x) => closedFormLoss(x as tf.Tensor1D, positions, lossAndGrad))(logp);
 * deepStrictEqual([loss.dataSync()[0], Array.from(grad.dataSync())], [-1, [-0.5, -0.5]]);
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
 * import { deepStrictEqual } from "node:assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { policyLossAndGrad } from "../rl/policy_loss.ts";
 * import { toCompletionLayout } from "./policy_logprobs.ts";
 * const config = {
 *   level: "item",
 *   eps_low: 0.06,
 *   eps_high: 0.08,
 *   beta: 0,
 *   loss_norm: "token",
 *   n: 20,
 * } as const;
 * const update = {
 *   dims: { b: 1, t: 2 },
 *   logpOld: null,
 *   logpRef: null,
 *   advantages: Float64Array.of(1, 1),
 *   segIds: Int32Array.of(0, 0),
 *   mask: Uint8Array.of(1, 1),
 * };
 * const index = Int32Array.of(0, 1);
 * const logp0 = tf.tensor1d([-1, -2]);
 * const logpNew = toCompletionLayout(await logp0.data(), index); // read without dataSync
 * const out = policyLossAndGrad({ ...update, logpNew }, config); // untaped pass
 * const grad = tf.grad((logp) => precomputedLoss(logp as tf.Tensor1D, index, out))(logp0);
 * deepStrictEqual(Array.from(grad.dataSync()), [-0.5, -0.5]);
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
 * The CPU {@link Objective}: {@link closedFormLoss} of {@link composeLoss} per update.
 * @example Built by rlStep from a step's rollouts and advantages (rlStep's example runs it)
 * ```ts ignore
 * const objective = cpuObjective({ params, config, batch, packed, refLogp, algo, advantages });
 * ```
 */
export function cpuObjective(inputs: ObjectiveInputs): Objective {
  const { params, config, batch, packed, refLogp, algo, advantages } = inputs;
  let logpOld: Float64Array | null = null; // (B, T) the first update's logπθ, detached (μ > 1)
  let last: PolicyLoss | null = null;
  let known: PolicyLoss | null = null; // loss + gradient from an untaped forward (webgpu)
  let entropy: number | null = null;
  const lossAndGrad = (logpNew: Float64Array): PolicyLoss => {
    if (algo.mu > 1 && logpOld === null) logpOld = logpNew.slice();
    last = composeLoss(algo, {
      dims: batch.dims,
      segments: batch.segments,
      mask: batch.mask,
      tokenAdvantages: advantages.tokenAdvantages,
      logpNew,
      logpOld,
      logpRef: refLogp,
    });
    return last;
  };
  return {
    async prepare(k) {
      [last, known, entropy] = [null, null, null];
      if (!syncReadable()) {
        const first = completionLogprobs(params, config, packed, { entropy: k === 0 }); // (K), (K)
        const [lp, ent] = await Promise.all([first.logp.data(), first.entropy?.data() ?? null]);
        tf.dispose([first.logp, ...(first.entropy === null ? [] : [first.entropy])]);
        if (ent !== null) entropy = maskedMean(toCompletionLayout(ent, first.index), batch.mask);
        known = lossAndGrad(toCompletionLayout(lp, first.index));
      }
      return { entropy: k === 0 && known === null };
    },
    loss({ logp, entropy: ent, index }) {
      if (ent !== null) entropy = maskedMean(toCompletionLayout(ent.dataSync(), index), batch.mask);
      return known === null
        ? closedFormLoss(logp, index, lossAndGrad)
        : precomputedLoss(logp, index, known);
    },
    read() {
      const out = last as PolicyLoss | null;
      if (out === null) {
        return Promise.reject(
          new Error("lib/train/rl_loop/cpu_objective.ts: the objective did not run"),
        );
      }
      return Promise.resolve({ loss: out.loss, stats: out.stats, entropy });
    },
    dispose() {},
  };
}

/**
 * Whether the active backend's tensors can be read synchronously (dataSync): not on webgpu in Deno, whose
 * readSync needs OffscreenCanvas.
 */
function syncReadable(): boolean {
  return !tf.getBackend().startsWith("webgpu");
}
