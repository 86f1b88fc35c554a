// The RL algorithm: `ALGO_RECIPES` holds what GRPO, GSPO and Rank-GRPO compose differently (reward,
// advantage, ratio level, clip range; paper.md §4); `RL_ALGO_FIELDS` are the algorithm's settings, in the
// config.json spelling (snake_case), defined once; the RL run schema (lib/train/rl_loop/config.ts) and
// `convrec rl`'s flags are built from them. `resolveAlgo` fills in the recipe's defaults, renaming nothing.

import { z } from "zod";
import {
  parseRewardSpec,
  rankReturnsBatch,
  type RewardSpec,
  sequenceDcg,
} from "../../reward/rank_rewards.ts";
import { groupAdvantages, sequenceAdvantages } from "./group_advantages.ts";
import type { ItemSegments } from "./item_segments.ts";
import { DEFAULT_LENGTH_SHAPING, type LengthShapingConfig } from "./length_shaping.ts";
import type { RatioLevel } from "./importance_ratios.ts";
import type { PolicyLossConfig } from "./policy_loss.ts";
import type { TokenDims } from "./shapes.ts";
import { sequenceTokenAdvantages, tokenAdvantages } from "./token_advantages.ts";

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
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(ratioLevelOf("rank"), "item");
 * strictEqual(ratioLevelOf("token"), "token");
 * ```
 */
export function ratioLevelOf(name: RatioLevelName): RatioLevel {
  return name === "rank" ? "item" : name;
}

/** Token advantages before length shaping, with the group statistics the step record reports. */
export interface RecipeAdvantages {
  /** (B, T) token advantages */
  tokenAdvantages: Float64Array;
  /** share of groups (per (prompt, rank), or per prompt for sequence rewards) with zero reward variance */
  zeroStdFraction: number;
  /** (groups) unbiased group std of the reward */
  std: Float64Array;
}

/** What one algorithm composes (paper.md §4). */
export interface AlgoRecipe {
  /** importance-ratio level (overridable by `ratio_level`) */
  level: RatioLevel;
  /** the advantage kind: per rank (item broadcast) or one per sequence (every token) */
  advantage: "sequence" | "rank";
  /** clip range defaults (overridable by `eps_low` / `eps_high`) */
  eps_low: number;
  eps_high: number;
  /** the `reward` setting's default; null = the algorithm takes no reward setting (sequence DCG@N) */
  reward_default: string | null;
  /** (B, N) 0/1 hits → rewards: (B, N) per-rank returns or (B,) sequence DCG@N */
  rewards(hits: Uint8Array, o: { b: number; n: number; reward: RewardSpec | null }): Float64Array;
  /** rewards → group advantages → (B, T) token advantages */
  advantages(rewards: Float64Array, o: {
    dims: TokenDims;
    g: number;
    n: number;
    segments: ItemSegments;
    std_eps: number;
  }): RecipeAdvantages;
}

/** Sequence DCG@N per rollout: (B, N) hits → (B,). */
function dcgRewards(hits: Uint8Array, o: { b: number; n: number }): Float64Array {
  const rewards = new Float64Array(o.b); // (B,)
  for (let r = 0; r < o.b; r++) rewards[r] = sequenceDcg(hits.subarray(r * o.n, (r + 1) * o.n));
  return rewards;
}

/** One group advantage per rollout, on every completion token: (B,) → (B, T). */
const sequenceRecipeAdvantages: AlgoRecipe["advantages"] = (rewards, o) => {
  const { advantages, zeroStdFraction, std } = sequenceAdvantages(rewards, { g: o.g }, {
    stdEps: o.std_eps,
  }); // (B,)
  const mask = Uint8Array.from(o.segments.segIds, (s) => (s >= 0 ? 1 : 0)); // (B, T)
  return {
    tokenAdvantages: sequenceTokenAdvantages(advantages, mask, o.dims),
    zeroStdFraction,
    std,
  };
};

/** GRPO, GSPO and Rank-GRPO: which functions each composes, and its clip defaults (paper.md §4). */
export const ALGO_RECIPES: Readonly<Record<RlAlgo, Readonly<AlgoRecipe>>> = Object.freeze({
  grpo: {
    level: "token",
    advantage: "sequence",
    eps_low: 0.2,
    eps_high: 0.26,
    reward_default: null,
    rewards: dcgRewards,
    advantages: sequenceRecipeAdvantages,
  },
  gspo: {
    level: "sequence",
    advantage: "sequence",
    eps_low: 3e-4,
    eps_high: 4e-4,
    reward_default: null,
    rewards: dcgRewards,
    advantages: sequenceRecipeAdvantages,
  },
  "rank-grpo": {
    level: "item",
    advantage: "rank",
    eps_low: 0.06,
    eps_high: 0.08,
    reward_default: "exp_inf",
    rewards: (hits, o) => {
      if (o.reward === null) {
        throw new Error("lib/train/rl/algo_config.ts: rank-grpo: reward: null");
      }
      return rankReturnsBatch(hits, o.n, o.reward); // (B, N)
    },
    advantages: (rewards, o) => {
      const { advantages, zeroStdFraction, std } = groupAdvantages(rewards, { g: o.g, n: o.n }, {
        stdEps: o.std_eps,
      }); // (B, N)
      return {
        tokenAdvantages: tokenAdvantages(advantages, o.segments, o.dims),
        zeroStdFraction,
        std,
      };
    },
  },
});

const D = DEFAULT_LENGTH_SHAPING;
/** The `shaping` setting as an object: each term on/off and its constant (lib/train/rl/length_shaping.ts). */
const ShapingSchema = z.strictObject({
  overflow: z.boolean().default(D.overflow),
  early_eos: z.boolean().default(D.early_eos),
  exact_eos: z.boolean().default(D.exact_eos),
  overflow_penalty: z.number().default(D.overflow_penalty),
  early_eos_penalty: z.number().default(D.early_eos_penalty),
  exact_eos_reward: z.number().default(D.exact_eos_reward),
});

/**
 * The algorithm's settings (zod fields, snake_case, each with its description): spread into the RL run
 * schema and into {@link RlAlgoSettingsSchema}. A new knob is one line here and its use.
 */
export const RL_ALGO_FIELDS = {
  algo: z.enum(RL_ALGOS, { error: "expected grpo, gspo or rank-grpo" })
    .describe("clip ranges, rewards and advantages per paper.md §4"),
  reward: z.string().optional().meta({
    value: "SPEC",
    description: "rank-grpo only: exp_inf (default) | log | exp:Γ (lib/reward/rank_rewards.ts)",
  }),
  ratio_level: z.enum(RATIO_LEVEL_NAMES, { error: "expected token, sequence or rank" }).optional()
    .describe(
      "importance-ratio level, only that changes (default: the algo's — grpo token, gspo " +
        "sequence, rank-grpo rank; config.json's algo_resolved.level)",
    ),
  eps_low: z.number().positive().lt(1).optional()
    .describe("clip range below 1 (default: the algo's, paper.md §4)"),
  eps_high: z.number().positive().optional()
    .describe("clip range above 1 (default: the algo's, paper.md §4)"),
  beta: z.number().min(0).default(1e-3).describe("KL coefficient β (paper 1e-3)"),
  loss_norm: z.enum(["token", "rank"], { error: "expected token or rank" }).default("token")
    .describe("loss normalisation, for any algo: token (authors' code), rank (paper Eq. 6)"),
  mu: z.int().min(1).default(1).describe("policy updates per rollout batch (1 = on-policy)"),
  shaping: z.union([z.boolean(), ShapingSchema]).default(true)
    .describe(
      "length shaping (−0.1 overflow / early EOS, +0.1 exact-N EOS) on or off, or per term",
    ),
  n: z.int().positive().default(20).describe("list length N"),
} as const;

/** Strict schema of the algorithm settings alone ({@link RL_ALGO_FIELDS}). */
export const RlAlgoSettingsSchema = z.strictObject(RL_ALGO_FIELDS);
/** Validated algorithm settings (as in config.json). */
export type RlAlgoSettings = z.output<typeof RlAlgoSettingsSchema>;
/** What a caller writes. */
export type RlAlgoSettingsInput = z.input<typeof RlAlgoSettingsSchema>;

/**
 * The resolved algorithm: the settings' names with the recipe's defaults filled in (`reward` parsed,
 * `shaping` expanded); `level` is the resolved ratio level, `advantage` the recipe's kind. Plain data:
 * config.json's `algo_resolved`.
 */
export interface RlAlgoConfig extends PolicyLossConfig {
  algo: RlAlgo;
  advantage: AlgoRecipe["advantage"];
  /** rank-grpo's per-rank reward; null for the sequence DCG@N of grpo / gspo */
  reward: RewardSpec | null;
  mu: number;
  /** ε of the group std in the advantages (paper 1e-4) */
  std_eps: number;
  shaping: LengthShapingConfig;
}

/**
 * Resolves settings against the algorithm's recipe; throws naming the field when `reward` is bad or set
 * for an algorithm that takes none.
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(resolveAlgo(RlAlgoSettingsSchema.parse({ algo: "grpo" })).eps_high, 0.26);
 * ```
 */
export function resolveAlgo(s: RlAlgoSettings): RlAlgoConfig {
  const recipe = ALGO_RECIPES[s.algo];
  const where = "lib/train/rl/algo_config.ts: RL config: reward";
  if (recipe.reward_default === null && s.reward !== undefined) {
    throw new Error(
      `${where}: reward applies to rank-grpo only; ${s.algo} uses the sequence DCG@N`,
    );
  }
  let reward: RewardSpec | null = null;
  try {
    if (recipe.reward_default !== null) reward = parseRewardSpec(s.reward ?? recipe.reward_default);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  const off = { overflow: false, early_eos: false, exact_eos: false };
  return {
    algo: s.algo,
    level: s.ratio_level === undefined ? recipe.level : ratioLevelOf(s.ratio_level),
    advantage: recipe.advantage,
    reward,
    eps_low: s.eps_low ?? recipe.eps_low,
    eps_high: s.eps_high ?? recipe.eps_high,
    beta: s.beta,
    loss_norm: s.loss_norm,
    mu: s.mu,
    n: s.n,
    std_eps: 1e-4,
    shaping: ShapingSchema.parse(s.shaping === true ? {} : s.shaping === false ? off : s.shaping),
  };
}

/**
 * Parses and resolves algorithm settings, throwing one message that names every bad field.
 * @example
 * ```ts
 * import { deepStrictEqual, strictEqual, throws } from "node:assert";
 * deepStrictEqual(rlAlgoConfig({ algo: "rank-grpo", reward: "log" }).reward, { kind: "log" });
 * const token = rlAlgoConfig({ algo: "rank-grpo", ratio_level: "token" });
 * strictEqual(token.level, "token"); // ε stays the rank-grpo 0.06/0.08
 * deepStrictEqual([token.eps_low, token.eps_high], [0.06, 0.08]);
 * throws(() => rlAlgoConfig({ algo: "grpo", epsilon: 0.2 }), /unknown key\(s\) epsilon/);
 * ```
 */
export function rlAlgoConfig(input: unknown): RlAlgoConfig {
  const parsed = RlAlgoSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      i.code === "unrecognized_keys"
        ? `unknown key(s) ${i.keys.join(", ")}`
        : `${i.path.join(".") || "(root)"}: ${i.message}`
    );
    throw new Error(`lib/train/rl/algo_config.ts: RL config: ${issues.join("; ")}`);
  }
  return resolveAlgo(parsed.data);
}
