// Where the policy objective of an RL update runs (loss and d loss / d logπθ, paper Eq. 6–7): the CPU closed
// form (lib/train/rl policyLossAndGrad) or the WGSL kernels (kernels/rank_objective.ts) on the device of
// tfjs's webgpu backend, reading the log-prob tensors in place. Not in the paper (the authors use PyTorch).
//
// Why the choice depends on where the log-probs live, not on the token count alone: on webgpu the CPU path
// must read the log-probs back (Deno's readback floor, ≥ 11.5 ms) and run one extra untaped forward per
// update; the kernel path reads nothing until the step's stats. On cpu / cpu-blas / wasm the log-probs are
// already on the CPU and the kernel would cost an upload + a submit + a readback (≥ 11.5 ms, measured in
// tests/bench/rl_kernels_bench.ts) against ~45 ns/token on the CPU: the kernel would win only above ~300k
// tokens per update, where the forward and backward passes take minutes on these backends.
// The group advantages (kernels/group_advantages.ts) always stay on the CPU: their input, the per-rank
// hits, comes from parsing text on the CPU, and they take ~0.07 ms there against a ≥ 11.5 ms submit.
import { LOOP_BUDGET } from "../../gpu/kernel.ts";
import { MAX_ITEMS, objectiveLoopCost } from "../../../kernels/rank_objective.ts";
import type { RatioLevel } from "../rl/importance_ratios.ts";

import type { ObjectiveSetting } from "./config.ts";

/** The path taken and why (written to the run config and the log). */
export interface ObjectiveChoice {
  readonly path: "cpu" | "gpu";
  readonly reason: string;
}

/** Input of {@link chooseObjectivePath}. */
export interface ObjectiveQuery {
  readonly setting: ObjectiveSetting;
  /** the active tfjs backend's name (tf.getBackend()) */
  readonly backend: string;
  /** whether that backend's device is ours to bind (lib/model/backend.ts webgpuHandle() !== null) */
  readonly sharedDevice: boolean;
  /** the largest (B, T) completion block an update will see */
  readonly dims: { readonly b: number; readonly t: number };
  /** list length N */
  readonly n: number;
  readonly level: RatioLevel;
}

/**
 * Picks the objective's path. `gpu` only when tfjs runs on webgpu on our device and the kernels' loops fit
 * the software-adapter budget; `setting: "gpu"` where that does not hold throws an Error naming the fix.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert";
 * const q = { backend: "cpu-blas", sharedDevice: false, dims: { b: 16, t: 220 }, n: 20 } as const;
 * const choice = chooseObjectivePath({ ...q, setting: "auto", level: "item" });
 * if (choice.path !== "cpu") throw new Error(choice.reason); // the log-probs are on the CPU already
 * throws(() => chooseObjectivePath({ ...q, setting: "gpu", level: "item" }), /objective "gpu"/);
 * ```
 */
export function chooseObjectivePath(q: ObjectiveQuery): ObjectiveChoice {
  const where = "lib/train/rl_loop/objective_path.ts";
  if (q.setting === "cpu") return { path: "cpu", reason: "objective: cpu in the run config" };
  const blocker = gpuBlocker(q);
  if (blocker !== null) {
    if (q.setting === "gpu") {
      throw new Error(`${where}: objective "gpu": ${blocker.why}; ${blocker.fix}`);
    }
    return { path: "cpu", reason: blocker.why };
  }
  return {
    path: "gpu",
    reason: q.setting === "gpu"
      ? "objective: gpu in the run config"
      : "tfjs runs on webgpu: the kernels read the log-prob tensors in place (the CPU path would read " +
        "them back and run one more forward per update)",
  };
}

/** Why the GPU path cannot run for this query, with the fix; null when it can. */
function gpuBlocker(q: ObjectiveQuery): { why: string; fix: string } | null {
  if (q.backend !== "webgpu") {
    return {
      why:
        `tfjs backend "${q.backend}" keeps the log-probs on the CPU, where the closed form costs less ` +
        "than one GPU submit at RL batch sizes",
      fix: "run with --backend webgpu, or objective auto | cpu",
    };
  }
  if (!q.sharedDevice) {
    return {
      why:
        "tfjs's webgpu backend is not on the device of lib/model/backend.ts (registered elsewhere)",
      fix: 'select it with useBackend("webgpu"), or objective auto | cpu',
    };
  }
  if (q.n > MAX_ITEMS) {
    return {
      why: `n=${q.n} exceeds the kernels' ${MAX_ITEMS} item bins`,
      fix: "use objective cpu",
    };
  }
  const cost = objectiveLoopCost({ b: q.dims.b, t: q.dims.t, n: q.n, level: q.level });
  const worst = Math.max(cost.stats, cost.objective);
  if (worst > LOOP_BUDGET) {
    return {
      why:
        `b=${q.dims.b} t=${q.dims.t}: ${worst} loop iterations per invocation exceed the kernels' ` +
        `budget of ${LOOP_BUDGET}`,
      fix: "lower max_new_tokens, or use objective cpu",
    };
  }
  return null;
}
