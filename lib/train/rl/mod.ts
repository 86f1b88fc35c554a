// Public surface of the RL method: named pure functions over typed arrays and their composition
// (GRPO, GSPO, Rank-GRPO by one config field). No model or trainer loop here.

export * from "./algo_config.ts";
export * from "./clipped_objective.ts";
export * from "./compose_loss.ts";
export * from "./group_advantages.ts";
export * from "./importance_ratios.ts";
export * from "./item_segments.ts";
export * from "./length_shaping.ts";
export * from "./policy_loss.ts";
export * from "./shapes.ts";
export * from "./token_advantages.ts";
