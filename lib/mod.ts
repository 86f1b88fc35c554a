/**
 * convrec's public surface, one namespace per area (names repeat across areas, e.g. `cleanTitle`).
 *
 * @example Score one generated list against its ground truth and a catalog
 * ```ts
 * import { catalog, reward } from "./mod.ts";
 *
 * const movies = catalog.catalogFromItems([
 *   { title: "Heat", year: 1995, meta: {} },
 *   { title: "Ronin", year: 1998, meta: {} },
 * ]);
 * const ctx = { seenTitles: [], groundTruth: [["Ronin", "1998"]] as const, catalog: movies };
 * const score = reward.scoreList("Heat (1995)\nRonin (1998)", ctx, { ks: [5] });
 * if (score.recall[5] !== 1 || score.hits[1] !== 1) {
 *   throw new Error("expected Ronin hit at rank 2");
 * }
 * ```
 *
 * @module
 */
export * as catalog from "./catalog/mod.ts";
export * as data from "./data/mod.ts";
export * as world from "./data/world/mod.ts";
export * as reward from "./reward/mod.ts";
export * as distill from "./distill/mod.ts";
export * as model from "./model/mod.ts";
export * as tokenizer from "./model/tokenizer/mod.ts";
export * as rl from "./train/rl/mod.ts";
export * as sft from "./train/sft/mod.ts";
export * as rlLoop from "./train/rl_loop/mod.ts";
export * as optim from "./train/optim/mod.ts";
export * as trainRun from "./train/run/mod.ts";
export * as pretrain from "./train/pretrain/mod.ts";
export * as gpu from "./gpu/mod.ts";
export * as report from "./report/mod.ts";
export * as notebook from "./notebook/mod.ts";
export * as experiment from "./experiment/mod.ts";
export * as generate from "./model/generate/mod.ts";
