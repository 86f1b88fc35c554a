// The RL algorithm config (paper.md §4): one field `algo` picks GRPO, GSPO or Rank-GRPO, which fixes the
// advantage kind and the defaults of the ratio level and clip range; `level` overrides the ratio level alone.

import { z } from "zod";
import { parseRewardSpec, type RewardSpec } from "../../reward/rank_rewards.ts";
import type { LengthShapingConfig } from "./length_shaping.ts";
import type { RatioLevel } from "./importance_ratios.ts";
import type { LossNorm } from "./policy_loss.ts";

/** The algorithms. */
export const RL_ALGOS = ["grpo", "gspo", "rank-grpo"] as const;
/** One of {@link RL_ALGOS}. */
export type RlAlgo = (typeof RL_ALGOS)[number];

/** Ratio-level names at the config boundary; `rank` is the paper's name for the item bins ("item"). */
export const RATIO_LEVEL_NAMES = ["token", "sequence", "rank"] as const;
/** One of {@link RATIO_LEVEL_NAMES}. */
export type RatioLevelName = (typeof RATIO_LEVEL_NAMES)[number];

/**
 * The internal {@link RatioLevel} of a config level name.
 * @example ratioLevelOf("rank") // "item"
 */
export function ratioLevelOf(name: RatioLevelName): RatioLevel {
  return name === "rank" ? "item" : name;
}

/** What each algorithm composes: ratio level, advantage kind, clip defaults (paper.md §4). */
export const ALGO_RECIPES: Readonly<
  Record<
    RlAlgo,
    { level: RatioLevel; advantage: "sequence" | "rank"; epsLow: number; epsHigh: number }
  >
> = Object.freeze({
  grpo: { level: "token", advantage: "sequence", epsLow: 0.2, epsHigh: 0.26 },
  gspo: { level: "sequence", advantage: "sequence", epsLow: 3e-4, epsHigh: 4e-4 },
  "rank-grpo": { level: "item", advantage: "rank", epsLow: 0.06, epsHigh: 0.08 },
});

const ShapingSchema = z.strictObject({
  overflow: z.boolean().default(true),
  earlyEos: z.boolean().default(true),
  exactEos: z.boolean().default(true),
  overflowPenalty: z.number().default(-0.1),
  earlyEosPenalty: z.number().default(-0.1),
  exactEosReward: z.number().default(0.1),
});

/**
 * Strict schema of the RL algorithm config. `level` (token | sequence | rank) overrides only the
 * importance-ratio level; unset, the algo's (grpo token, gspo sequence, rank-grpo rank). Defaults: β 1e-3, loss normalisation `token` (authors'
 * code), μ 1, N 20, std ε 1e-4, all length shaping on; ε_low/ε_high and the reward (`exp_inf`) by algo.
 * `reward` applies to `rank-grpo` only (GRPO/GSPO use the sequence DCG@N).
 * @example RlAlgoConfigSchema.parse({ algo: "grpo" }).epsHigh // 0.26
 */
export const RlAlgoConfigSchema = z.strictObject({
  algo: z.enum(RL_ALGOS, { error: "expected grpo, gspo or rank-grpo" }),
  reward: z.string().optional(),
  level: z.enum(RATIO_LEVEL_NAMES, { error: "expected token, sequence or rank" }).optional(),
  epsLow: z.number().positive().lt(1).optional(),
  epsHigh: z.number().positive().optional(),
  beta: z.number().min(0).default(1e-3),
  lossNorm: z.enum(["token", "rank"], { error: "expected token or rank" }).default("token"),
  mu: z.number().int().min(1).default(1),
  n: z.number().int().min(1).default(20),
  stdEps: z.number().positive().default(1e-4),
  shaping: ShapingSchema.prefault({}),
}).transform((c, ctx) => {
  const recipe = ALGO_RECIPES[c.algo];
  let reward: RewardSpec | null = null;
  if (recipe.advantage === "rank") {
    try {
      reward = parseRewardSpec(c.reward ?? "exp_inf");
    } catch (e) {
      ctx.addIssue({ code: "custom", path: ["reward"], message: (e as Error).message });
      return z.NEVER;
    }
  } else if (c.reward !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["reward"],
      message: `reward applies to rank-grpo only; ${c.algo} uses the sequence DCG@N`,
    });
    return z.NEVER;
  }
  return {
    algo: c.algo,
    level: c.level === undefined ? recipe.level : ratioLevelOf(c.level),
    advantage: recipe.advantage,
    reward,
    epsLow: c.epsLow ?? recipe.epsLow,
    epsHigh: c.epsHigh ?? recipe.epsHigh,
    beta: c.beta,
    lossNorm: c.lossNorm as LossNorm,
    mu: c.mu,
    n: c.n,
    stdEps: c.stdEps,
    shaping: c.shaping as LengthShapingConfig,
  };
});

/** The resolved RL algorithm config (output of {@link RlAlgoConfigSchema}). */
export type RlAlgoConfig = z.output<typeof RlAlgoConfigSchema>;
/** What a caller writes (input of {@link RlAlgoConfigSchema}). */
export type RlAlgoConfigInput = z.input<typeof RlAlgoConfigSchema>;

/**
 * Parses an RL algorithm config, throwing one message that names every bad field.
 * @example rlAlgoConfig({ algo: "rank-grpo", reward: "log" }).reward // { kind: "log" }
 * @example rlAlgoConfig({ algo: "rank-grpo", level: "token" }).level // "token" (ε stays 0.06/0.08)
 */
export function rlAlgoConfig(input: unknown): RlAlgoConfig {
  const parsed = RlAlgoConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`lib/train/rl/algo_config.ts: RL config: ${issues.join("; ")}`);
  }
  return parsed.data;
}
