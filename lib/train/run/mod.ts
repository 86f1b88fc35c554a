// Public surface of lib/train/run: the run folder (config.json, metrics.jsonl, its one-writer lock) and
// resumable checkpoints, and the training-run scaffold SFT, RL and pretraining share.
export * from "./metrics_log.ts";
export * from "./run_folder.ts";
export * from "./run_lock.ts";
export * from "./train_checkpoint.ts";
export * from "./training_loop.ts";
