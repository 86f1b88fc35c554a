// Group-normalised advantages (paper.md §4): per rank k over the G rollouts of one prompt,
// A_ik = (r_ik − mean) / (unbiased std + 1e-4). Departs from torch where G = 1 (std NaN): we give A = 0.

/** Options of {@link groupAdvantages} and {@link sequenceAdvantages}. */
export interface GroupAdvantageOptions {
  /** Added to the std before dividing. @default 1e-4 */
  stdEps?: number;
}

/** Result of {@link groupAdvantages}. */
export interface GroupAdvantages {
  /** (P·G, N) advantages, row-major, rows grouped by prompt (G consecutive rows per prompt). */
  advantages: Float64Array;
  /** (P, N) per-prompt, per-rank mean reward. */
  mean: Float64Array;
  /** (P, N) per-prompt, per-rank unbiased std (0 where G = 1 or all rewards are equal). */
  std: Float64Array;
  /** Share of the P·N (prompt, rank) groups whose G rewards are all equal (every group when G = 1). */
  zeroStdFraction: number;
}

/**
 * Per-rank group advantages. `rewards` is (P·G, N): G consecutive rows are the rollouts of one
 * prompt. A group whose G rewards are all equal (zero variance, or G = 1) gets A = 0 exactly.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * // one prompt, G = 2, N = 2: rank 1 differs, rank 2 ties
 * const { advantages } = groupAdvantages(Float64Array.of(1, 0, 0, 0), { g: 2, n: 2 });
 * // ≈ [0.7070, 0, -0.7070, 0]  ((1 − 0.5) / (0.7071 + 1e-4))
 * const r4 = (a: Float64Array) => Array.from(a, (v) => Math.round(v * 1e4) / 1e4 + 0); // 4 digits, no −0
 * deepStrictEqual(r4(advantages), [0.707, 0, -0.707, 0]);
 * ```
 */
export function groupAdvantages(
  rewards: ArrayLike<number>, // (P·G, N)
  dims: { g: number; n: number },
  options: GroupAdvantageOptions = {},
): GroupAdvantages {
  const { g, n } = dims;
  const stdEps = options.stdEps ?? 1e-4;
  if (!Number.isInteger(g) || g < 1 || !Number.isInteger(n) || n < 1) {
    throw new Error(
      `lib/train/rl/group_advantages.ts: groupAdvantages: dims: expected integers g ≥ 1, n ≥ 1, got g=${g}, n=${n}`,
    );
  }
  if (rewards.length % (g * n) !== 0) {
    throw new Error(
      `lib/train/rl/group_advantages.ts: groupAdvantages: rewards: expected a multiple of G·N = ${
        g * n
      } entries, got ${rewards.length}`,
    );
  }
  const prompts = rewards.length / (g * n);
  const advantages = new Float64Array(prompts * g * n);
  const mean = new Float64Array(prompts * n);
  const std = new Float64Array(prompts * n);
  let zeroStd = 0;
  for (let p = 0; p < prompts; p++) {
    const base = p * g * n; // first entry of (p, rollout 0, rank 0)
    for (let k = 0; k < n; k++) {
      const first = rewards[base + k];
      let sum = 0;
      let allEqual = true;
      for (let i = 0; i < g; i++) {
        const r = rewards[base + i * n + k];
        sum += r;
        if (r !== first) allEqual = false;
      }
      const m = sum / g;
      mean[p * n + k] = m;
      if (allEqual) {
        zeroStd++;
        continue; // std 0, advantages stay exactly 0
      }
      let ss = 0;
      for (let i = 0; i < g; i++) {
        const d = rewards[base + i * n + k] - m;
        ss += d * d;
      }
      const s = Math.sqrt(ss / (g - 1)); // unbiased (torch .std); g ≥ 2 here since values differ
      std[p * n + k] = s;
      for (let i = 0; i < g; i++) {
        const idx = base + i * n + k;
        advantages[idx] = (rewards[idx] - m) / (s + stdEps);
      }
    }
  }
  const groups = prompts * n;
  return { advantages, mean, std, zeroStdFraction: groups === 0 ? 0 : zeroStd / groups };
}

/**
 * Sequence-level advantages for GRPO / GSPO: one reward per rollout (sequence DCG@N), normalised over
 * the G rollouts of the prompt exactly as {@link groupAdvantages} with N = 1. Returns (P·G,) values.
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const { advantages } = sequenceAdvantages(Float64Array.of(2, 0, 1, 1), { g: 2 });
 * const r4 = (a: Float64Array) => Array.from(a, (v) => Math.round(v * 1e4) / 1e4 + 0); // 4 digits, no −0
 * deepStrictEqual(r4(advantages), [0.7071, -0.7071, 0, 0]);
 * ```
 */
export function sequenceAdvantages(
  sequenceRewards: ArrayLike<number>, // (P·G,)
  dims: { g: number },
  options: GroupAdvantageOptions = {},
): GroupAdvantages {
  return groupAdvantages(sequenceRewards, { g: dims.g, n: 1 }, options);
}
