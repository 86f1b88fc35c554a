// Public surface of lib/reward: aligned hits, per-rank rewards, metrics, compliance, scoring.
export * from "./aligned_hits.ts";
export * from "./rank_rewards.ts";
export * from "./metrics.ts";
export * from "./compliance.ts";
export * from "./score.ts";
export * from "./batch.ts";
