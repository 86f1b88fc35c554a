// CPU twin of group_advantages.wgsl: a thin f32 adapter over lib/train/rl groupAdvantages (paper.md §4:
// per-rank A = (r − mean) / (unbiased std + 1e-4) over the G rollouts; G = 1 and zero-variance → 0).

import { groupAdvantages } from "../lib/train/rl/group_advantages.ts";

/** Shape of the rewards: (P·G, N) row-major, G consecutive rows per prompt. */
export interface GroupDims {
  /** G, rollouts per prompt (≥ 1). */
  readonly g: number;
  /** N, ranks per rollout (≥ 1). */
  readonly n: number;
}

/** Options shared by the CPU twin and the GPU dispatch. */
export interface GroupAdvantagesOptions {
  /** Added to the std before dividing. @default 1e-4 */
  readonly stdEps?: number;
}

/** Result of {@link groupAdvantagesRef} and the GPU kernel (f32, like the kernel's buffers). */
export interface GroupAdvantagesF32 {
  /** (P·G, N) advantages; exactly 0 in zero-variance groups. */
  readonly advantages: Float32Array;
  /** (P, N) per-prompt, per-rank mean reward. */
  readonly mean: Float32Array;
  /** (P, N) unbiased std (0 where G = 1 or all G rewards are equal). */
  readonly std: Float32Array;
  /** Number of (prompt, rank) groups whose G rewards are all equal. */
  readonly zeroStdGroups: number;
  /** zeroStdGroups / (P·N) (0 when there are no groups). */
  readonly zeroStdFraction: number;
}

/**
 * Validates the rewards' shape; returns the prompt count P. Errors name the field and what was expected.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(checkGroupInputs(new Float32Array(8), { g: 2, n: 2 }), 2); // P = 2 prompts
 * ```
 */
export function checkGroupInputs(rewards: Float32Array, dims: GroupDims): number {
  const where = "kernels/group_advantages_ref.ts";
  const { g, n } = dims;
  if (!Number.isInteger(g) || g < 1) throw new Error(`${where}: g=${g}: expected an integer ≥ 1`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${where}: n=${n}: expected an integer ≥ 1`);
  if (rewards.length % (g * n) !== 0) {
    throw new Error(
      `${where}: rewards.length=${rewards.length}: expected a multiple of G·N = ${g * n}`,
    );
  }
  return rewards.length / (g * n);
}

/**
 * Per-rank group advantages of f32 rewards: calls `groupAdvantages` (f64) and rounds to f32.
 *
 * @example
 * ```ts
 * const r = groupAdvantagesRef(Float32Array.of(1, 0, 0, 0), { g: 2, n: 2 });
 * // r.advantages ≈ [0.7070, 0, -0.7070, 0], r.zeroStdGroups = 1
 * if (Math.abs(r.advantages[0] - 0.707) > 1e-3 || r.zeroStdGroups !== 1) throw new Error("wrong");
 * ```
 */
export function groupAdvantagesRef(
  rewards: Float32Array, // (P·G, N)
  dims: GroupDims,
  options: GroupAdvantagesOptions = {},
): GroupAdvantagesF32 {
  const prompts = checkGroupInputs(rewards, dims);
  const r = groupAdvantages(rewards, dims, { stdEps: options.stdEps ?? 1e-4 });
  const groups = prompts * dims.n;
  return {
    advantages: Float32Array.from(r.advantages),
    mean: Float32Array.from(r.mean),
    std: Float32Array.from(r.std),
    zeroStdGroups: Math.round(r.zeroStdFraction * groups),
    zeroStdFraction: r.zeroStdFraction,
  };
}
