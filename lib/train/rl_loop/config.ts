// The RL run configuration: one strict zod schema (unknown keys fail), written whole to
// runs/<name>/config.json. Departs from paper.md §4 only in scale (batch, steps, lr) — see presets.ts.
import { z } from "zod";
import { parseStrictConfig } from "../../data/strict_config.ts";
import { BACKEND_NAMES } from "../../model/backend_names.ts";
import { RATIO_LEVEL_NAMES, RL_ALGOS } from "../rl/algo_config.ts";

/** Where the update's objective runs (objective_path.ts): let the lib pick, or force a path. */
export const OBJECTIVE_SETTINGS = ["auto", "cpu", "gpu"] as const;
/** One of {@link OBJECTIVE_SETTINGS}. */
export type ObjectiveSetting = (typeof OBJECTIVE_SETTINGS)[number];

/** Schema of an RL run (snake_case keys, as written to config.json). */
export const RlRunConfigSchema = z.strictObject({
  /** RL records with prompt / seen_titles / groundtruth_with_release_year (JSONL, JSON, HF folder) */
  data: z.string().min(1),
  /** catalog CSV the rewards check membership against */
  catalog: z.string().min(1),
  /** SFT checkpoint folder (HF layout + tokenizer): the initial policy AND the frozen KL reference */
  init: z.string().min(1),
  /** run folder, e.g. runs/rl-rank-grpo */
  run_dir: z.string().min(1),
  algo: z.enum(RL_ALGOS),
  /** rank-grpo only: exp_inf | log | exp:Γ (lib/reward/rank_rewards.ts) */
  reward: z.string().optional(),
  /** importance-ratio level token | sequence | rank, independent of the algo (default: the algo's:
   * grpo token, gspo sequence, rank-grpo rank); the resolved level is config.json's algo_resolved.level */
  ratio_level: z.enum(RATIO_LEVEL_NAMES).optional(),
  /** clip range overrides (default: the algorithm's, paper.md §4) */
  eps_low: z.number().positive().lt(1).optional(),
  eps_high: z.number().positive().optional(),
  /** KL coefficient β (paper 1e-3) */
  beta: z.number().min(0).default(1e-3),
  /** loss normalisation, independent of the algo: token (authors' code) | rank (paper Eq. 6) */
  loss_norm: z.enum(["token", "rank"]).default("token"),
  /** policy updates per rollout batch (1 = on-policy) */
  mu: z.int().min(1).default(1),
  /** length shaping (−0.1 overflow / early EOS, +0.1 exact-20 EOS) on or off */
  shaping: z.boolean().default(true),
  /** list length N */
  n: z.int().positive().default(20),
  seed: z.int().min(0).max(0xffffffff).default(0),
  /** tfjs backend of the whole loop (generation and update) */
  backend: z.enum(BACKEND_NAMES).default("wasm"),
  /** where the objective (loss + d loss/d logπθ) runs: auto (the GPU kernels when tfjs is on webgpu,
   * else the CPU; lib/train/rl_loop/objective_path.ts) | cpu | gpu (needs backend webgpu) */
  objective: z.enum(OBJECTIVE_SETTINGS).default("auto"),
  /** RL steps (one rollout batch each) */
  steps: z.int().positive(),
  /** prompts per step P */
  prompts_per_step: z.int().positive().default(4),
  /** rollouts per prompt G (paper 8) */
  group_size: z.int().min(2).default(4),
  /** most generated tokens per rollout (EOS included) */
  max_new_tokens: z.int().positive().default(256),
  /** prompts longer than this are cut from the left (as in SFT) */
  max_prompt_tokens: z.int().positive().default(192),
  temperature: z.number().positive().default(1),
  top_p: z.number().gt(0).max(1).default(1),
  /** constant learning rate (the paper's RL schedule for 0.5B is constant) */
  lr: z.number().positive().default(1e-4),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.99),
  eps: z.number().positive().default(1e-8),
  weight_decay: z.number().min(0).default(0),
  max_grad_norm: z.number().positive().default(1),
  /** checkpoint every N steps (the last step is always saved) */
  save_every: z.int().positive().default(10),
  keep_checkpoints: z.int().positive().default(1),
});

/** A validated RL run configuration. */
export type RlRunConfig = z.infer<typeof RlRunConfigSchema>;
/** What {@link parseRlRunConfig} accepts. */
export type RlRunConfigInput = z.input<typeof RlRunConfigSchema>;

/**
 * Validate an RL run configuration; errors name every offending key and what was expected.
 * @example
 * ```ts
 * const cfg = parseRlRunConfig({ data: "train.jsonl", catalog: "c.csv", init: "runs/sft/checkpoints/step-9",
 *   run_dir: "runs/rl", algo: "grpo", steps: 10 });
 * cfg.group_size; // 4
 * ```
 */
export function parseRlRunConfig(input: unknown, source = "rl config"): RlRunConfig {
  return parseStrictConfig(RlRunConfigSchema, input, `lib/train/rl_loop/config.ts: ${source}`);
}
