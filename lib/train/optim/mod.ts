// Public surface of lib/train/optim: AdamW, learning-rate schedules and global-norm gradient clipping,
// shared by SFT and RL.
export * from "./adamw.ts";
export * from "./clip.ts";
export * from "./fused_adamw.ts";
export * from "./schedule.ts";
