// Public surface of lib/train/sft: completion-only SFT with exact resume, its config, presets and the
// stand-in world demonstrations.
export * from "./config.ts";
export * from "../run/data_order.ts";
export * from "../eval/eval_checkpoint.ts";
export * from "../eval/evaluate.ts";
export * from "./examples.ts";
export * from "./loss.ts";
export * from "../../model/plain_matmul_grad.ts";
export * from "./presets.ts";
export * from "./train_step.ts";
export * from "./run_inputs.ts";
export * from "./trainer.ts";
export * from "./world_demos.ts";
export * from "./unlikelihood.ts";
export * from "./diagnose.ts";
