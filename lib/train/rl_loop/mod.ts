// Public surface of the RL training loop (rollouts, the update step, step records, the trainer, presets);
// the method itself (pure functions) lives in lib/train/rl.
export * from "./config.ts";
export * from "./cpu_objective.ts";
export * from "./objective.ts";
export * from "./policy_logprobs.ts";
export * from "./presets.ts";
export * from "./rl_step.ts";
export * from "./rollouts.ts";
export * from "./step_record.ts";
export * from "./trainer.ts";
