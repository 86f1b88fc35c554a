// RL presets: "smoke" (tests, seconds) and "default" (the built-in world on this 2-core CPU, one run
// ≤ 5 min). Not the paper's scale: P·G = 4·4 = 16 rollouts per step instead of 48·8 = 384 (see lr note).
import type { RlRunConfigInput } from "./config.ts";

/** Names of the RL presets. */
export const RL_PRESETS = ["smoke", "default"] as const;
/** One of {@link RL_PRESETS}. */
export type RlPresetName = (typeof RL_PRESETS)[number];

/**
 * Training settings of a preset (paths, run folder and algorithm are the caller's).
 * default: 4 prompts × G 4, 180 new tokens (20 items take ~150 under the base's tokenizer), constant lr 1e-4
 * with Adam β 0.9/0.99 (paper.md §4). The paper's RL/SFT lr ratio (1e-6 / 5e-5 = 1/50) applied to our
 * SFT peak 2e-3 gives 4e-5; we use 2.5× that because each run has ~25 steps, not thousands.
 * @example
 * ```ts
 * import { parseRlRunConfig } from "./config.ts";
 * const paths = {
 *   data: "train.jsonl",
 *   catalog: "c.csv",
 *   init: "runs/sft/final",
 *   run_dir: "runs/rl",
 * };
 * const cfg = parseRlRunConfig({ ...rlPreset("smoke"), ...paths, algo: "grpo" });
 * if (cfg.steps !== 4 || cfg.group_size !== 2) throw new Error("the smoke preset: 4 steps, G = 2");
 * ```
 */
export function rlPreset(name: RlPresetName): Partial<RlRunConfigInput> {
  if (name === "smoke") {
    return {
      steps: 4,
      prompts_per_step: 2,
      group_size: 2,
      max_new_tokens: 16,
      max_prompt_tokens: 96,
      lr: 1e-3,
      save_every: 2,
      keep_checkpoints: 2,
      backend: "wasm",
    };
  }
  return {
    steps: 25,
    prompts_per_step: 4,
    group_size: 4,
    max_new_tokens: 180,
    max_prompt_tokens: 192,
    lr: 1e-4,
    save_every: 25,
    keep_checkpoints: 1,
    backend: "wasm",
  };
}
