// The RL ablations of notebook 05 (paper.md §4, §7): one knob varied at a time around Rank-GRPO (exp∞,
// rank-level ratios); each variant is a cached RL run. The level sweep changes only the ratio level.

import { cachedRl, type CachedRunOptions, type RlBaseInput, type RlRun } from "./training_runs.ts";
import { reporter, type ReporterOptions } from "../notebook/progress.ts";
import {
  ALGO_RECIPES,
  RATIO_LEVEL_NAMES,
  type RatioLevelName,
  ratioLevelOf,
  type RlAlgo,
} from "../train/rl/algo_config.ts";

/** The knobs an ablation varies, one per sweep. */
export const ABLATION_KNOBS = ["reward", "level", "eps", "mu", "beta", "loss_norm"] as const;
/** One of {@link ABLATION_KNOBS}. */
export type AblationKnob = (typeof ABLATION_KNOBS)[number];
/** A knob value: a reward spec / level / loss norm name, μ or β, or an (ε_low, ε_high) pair. */
export type AblationValue = string | number | readonly [number, number];

/** The baseline every variant changes one knob of. */
const BASE_ALGO: RlAlgo = "rank-grpo";
/**
 * What one variant runs: algorithm, reward (rank-grpo only), config overrides and its label. An override
 * equal to Rank-GRPO's own default (its ratio level, its ε) is left out, so the baseline variant of every
 * sweep has the same config (one cache entry).
 */
export interface AblationVariant {
  algo: RlAlgo;
  reward?: string;
  overrides: Partial<RlBaseInput>;
  /** legend label, e.g. "exp:2", "ε 0.2/0.26", "μ 2" */
  variant: string;
}

/** One finished variant: the RL run plus which ablation and variant it is. */
export interface AblationRun extends RlRun {
  ablation: AblationKnob;
  variant: string;
}

/** The runs of one knob, in the order of its values. */
export interface AblationSweep {
  knob: AblationKnob;
  runs: AblationRun[];
}

function bad(knob: string, expected: string, value: unknown): Error {
  return new Error(
    `lib/experiment/ablation_runs.ts: ablationVariant: ${knob}: expected ${expected}, got ${
      JSON.stringify(value)
    }`,
  );
}

/**
 * The run of `knob = value` on top of Rank-GRPO (exp∞, rank-level ratios, its default ε, μ 1, β from
 * the base, token loss normalisation): `level` sets only the run config's `ratio_level` (token |
 * sequence | rank); advantages, reward and ε stay Rank-GRPO's. Values arrive as untyped notebook JSON,
 * so each is checked here.
 * @example
 * ```ts
 * const eps = ablationVariant("eps", [0.2, 0.26]).overrides; // { eps_low: 0.2, eps_high: 0.26 }
 * if (eps.eps_low !== 0.2 || eps.eps_high !== 0.26) throw new Error(JSON.stringify(eps));
 * const level = ablationVariant("level", "token").overrides; // { ratio_level: "token" }
 * if (level.ratio_level !== "token") throw new Error(JSON.stringify(level));
 * ```
 */
export function ablationVariant(knob: AblationKnob, value: AblationValue): AblationVariant {
  const recipe = ALGO_RECIPES[BASE_ALGO];
  const rank: AblationVariant = {
    algo: BASE_ALGO,
    reward: "exp_inf",
    overrides: {},
    variant: "",
  };
  switch (knob) {
    case "reward":
      if (typeof value !== "string") {
        throw bad(knob, 'a reward spec ("exp_inf" | "log" | "exp:Γ")', value);
      }
      return { ...rank, reward: value, variant: value };
    case "level": {
      if (!(RATIO_LEVEL_NAMES as readonly unknown[]).includes(value)) {
        throw bad(knob, RATIO_LEVEL_NAMES.map((l) => `"${l}"`).join(" | "), value);
      }
      const level = value as RatioLevelName;
      const isDefault = ratioLevelOf(level) === recipe.level;
      return {
        ...rank,
        overrides: isDefault ? {} : { ratio_level: level },
        variant: `level ${level}`,
      };
    }
    case "eps": {
      if (
        !Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === "number")
      ) {
        throw bad(knob, "an [ε_low, ε_high] pair of numbers", value);
      }
      const [lo, hi] = value as readonly [number, number];
      const isDefault = lo === recipe.eps_low && hi === recipe.eps_high;
      return {
        ...rank,
        overrides: isDefault ? {} : { eps_low: lo, eps_high: hi },
        variant: `ε ${lo}/${hi}`,
      };
    }
    case "mu":
      if (typeof value !== "number") throw bad(knob, "an integer ≥ 1", value);
      return { ...rank, overrides: { mu: value }, variant: `μ ${value}` };
    case "beta":
      if (typeof value !== "number") throw bad(knob, "a number ≥ 0", value);
      return { ...rank, overrides: { beta: value }, variant: `β ${value}` };
    case "loss_norm":
      if (value !== "token" && value !== "rank") throw bad(knob, '"token" | "rank"', value);
      return { ...rank, overrides: { loss_norm: value }, variant: `norm ${value}` };
  }
  throw bad("knob", ABLATION_KNOBS.join(" | "), knob);
}

/** A set of ablation sweeps from one base config (one SFT init, data, seed and step budget). */
export interface AblationStudy {
  /** Runs (or serves from the cache) every value of `knob`; replaces an earlier sweep of that knob. */
  sweep(knob: AblationKnob, values: readonly AblationValue[]): Promise<AblationSweep>;
  /** The sweeps so far, in the order first run. */
  sweeps(): AblationSweep[];
}

/**
 * Collects ablation sweeps that share `base`: each value is one {@link cachedRl} call with a live
 * progress reporter, so a re-run cell with a changed value trains only the new variant.
 * @example Type-checked only (each value is an RL training run)
 * ```ts
 * import type { RlBaseInput } from "./training_runs.ts";
 *
 * async function _rewardSweep(base: RlBaseInput): Promise<string[]> {
 *   const study = ablationStudy(base, { cacheDir: "runs/cache" });
 *   const rewards = await study.sweep("reward", ["exp_inf", "log", "exp:2"]);
 *   return rewards.runs.map((r) => r.variant); // ["exp_inf", "log", "exp:2"]
 * }
 * ```
 */
export function ablationStudy(
  base: RlBaseInput,
  opts: CachedRunOptions & { progress?: ReporterOptions["mode"] },
): AblationStudy {
  const kept = new Map<AblationKnob, AblationSweep>();
  return {
    async sweep(knob, values) {
      if (values.length === 0) {
        throw new Error(
          `lib/experiment/ablation_runs.ts: sweep: ${knob}: values: expected ≥1 value`,
        );
      }
      const runs: AblationRun[] = [];
      for (const value of values) {
        const v = ablationVariant(knob, value);
        const onStep = reporter({
          label: `${knob}: ${v.variant}`,
          total: base.steps,
          mode: opts.progress ?? "auto",
        });
        const run = await cachedRl({ ...base, ...v.overrides }, v.algo, {
          ...opts,
          onStep,
          ...(v.reward === undefined ? {} : { reward: v.reward }),
        });
        runs.push({ ...run, label: `${knob}: ${v.variant}`, ablation: knob, variant: v.variant });
      }
      const sweep = { knob, runs };
      kept.set(knob, sweep);
      return sweep;
    },
    sweeps: () => [...kept.values()],
  };
}
