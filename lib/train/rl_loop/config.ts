// The RL run configuration: one strict zod schema (unknown keys fail), the single source of an RL
// setting's name, type, default and description; written whole to runs/<name>/config.json. Departs
// from paper.md §4 only in scale (batch, steps, lr) — see presets.ts.
import { z } from "zod";
import { parseStrictConfig } from "../../data/strict_config.ts";
import { BACKEND_NAMES } from "../../model/backend_names.ts";
import { RL_ALGO_FIELDS } from "../rl/algo_config.ts";

/** Where the update's objective runs (objective_path.ts): let the lib pick, or force a path. */
export const OBJECTIVE_SETTINGS = ["auto", "cpu", "gpu"] as const;
/** One of {@link OBJECTIVE_SETTINGS}. */
export type ObjectiveSetting = (typeof OBJECTIVE_SETTINGS)[number];

/**
 * Schema of an RL run (snake_case keys, as written to config.json): the algorithm's settings
 * (lib/train/rl/algo_config.ts RL_ALGO_FIELDS) plus data, model, sampling, optimiser and checkpointing.
 * Each field's description is its `convrec rl --flag` usage line (lib/cli/rl.ts).
 */
export const RlRunConfigSchema = z.strictObject({
  data: z.string().min(1).meta({
    value: "F",
    description: "RL records with prompt / seen_titles / groundtruth_with_release_year (JSONL, " +
      "JSON, HF folder)",
  }),
  catalog: z.string().min(1)
    .meta({ value: "F", description: "catalog CSV the rewards check membership against" }),
  init: z.string().min(1).meta({
    value: "DIR",
    description: "SFT checkpoint folder (HF layout + tokenizer): initial policy and frozen KL " +
      "reference",
  }),
  run_dir: z.string().min(1).meta({
    value: "DIR",
    description: "run folder, e.g. runs/rl-rank-grpo",
  }),
  ...RL_ALGO_FIELDS,
  seed: z.int().min(0).max(0xffffffff).default(0).describe("root seed of the run"),
  backend: z.enum(BACKEND_NAMES).default("wasm")
    .describe("tfjs backend of the whole loop (generation and update)"),
  objective: z.enum(OBJECTIVE_SETTINGS).default("auto").describe(
    "where the loss and its gradient w.r.t. the log-probs run: auto (the WGSL kernels when tfjs is " +
      "on webgpu, else the CPU closed form; objective_path.ts) | cpu | gpu (needs backend webgpu)",
  ),
  steps: z.int().positive().describe("RL steps (one rollout batch each)"),
  prompts_per_step: z.int().positive().default(4).describe("prompts per step P"),
  group_size: z.int().min(2).default(4).describe("rollouts per prompt G (paper 8)"),
  max_new_tokens: z.int().positive().default(256)
    .describe("most generated tokens per rollout (EOS included)"),
  max_prompt_tokens: z.int().positive().default(192)
    .describe("prompts longer than this are cut from the left (as in SFT)"),
  temperature: z.number().positive().default(1).describe("rollout sampling temperature"),
  top_p: z.number().gt(0).max(1).default(1).describe("rollout nucleus sampling top-p"),
  lr: z.number().positive().default(1e-4)
    .describe("constant learning rate (the paper's RL schedule for 0.5B is constant)"),
  beta1: z.number().min(0).lt(1).default(0.9).describe("AdamW β1"),
  beta2: z.number().min(0).lt(1).default(0.99).describe("AdamW β2"),
  eps: z.number().positive().default(1e-8).describe("AdamW ε"),
  weight_decay: z.number().min(0).default(0).describe("AdamW decoupled weight decay"),
  max_grad_norm: z.number().positive().default(1).describe("global gradient-norm clip"),
  save_every: z.int().positive().default(10)
    .describe("checkpoint every N steps (the last step is always saved)"),
  keep_checkpoints: z.int().positive().default(1).describe("checkpoints kept in the run folder"),
});

/** A validated RL run configuration. */
export type RlRunConfig = z.infer<typeof RlRunConfigSchema>;
/** What {@link parseRlRunConfig} accepts. */
export type RlRunConfigInput = z.input<typeof RlRunConfigSchema>;

/**
 * Validate an RL run configuration; errors name every offending key and what was expected.
 * @example
 * ```ts
 * import { throws } from "node:assert";
 * const base = { data: "train.jsonl", catalog: "c.csv", init: "runs/sft/checkpoints/step-9" };
 * const cfg = parseRlRunConfig({ ...base, run_dir: "runs/rl", algo: "grpo", steps: 10 });
 * if (cfg.group_size !== 4 || cfg.objective !== "auto") throw new Error("defaults filled in");
 * throws(() => parseRlRunConfig({ ...base, run_dir: "runs/rl", algo: "grpo", step: 10 }), /step/);
 * ```
 */
export function parseRlRunConfig(input: unknown, source = "rl config"): RlRunConfig {
  return parseStrictConfig(RlRunConfigSchema, input, `lib/train/rl_loop/config.ts: ${source}`);
}
