// Scores one generated list against one record: parse → aligned hits → per-rank rewards → metrics →
// compliance. The unit behind `convrec score`, evaluation, and RL rollouts.

import { type Item, parseList } from "../catalog/parse_list.ts";
import { alignedHits, memberKeys, type ScoringContext } from "./aligned_hits.ts";
import { type ComplianceCounts, complianceCounts, inCatalogShare } from "./compliance.ts";
import { listMetrics, type MetricVariant } from "./metrics.ts";
import { rankReturns, type RewardSpec } from "./rank_rewards.ts";

/** Options of {@link scoreList}. */
export interface ScoreOptions {
  /** Per-rank reward. @default { kind: "exp_inf" } */
  reward?: RewardSpec;
  /** Cutoffs for Recall/NDCG. @default [5, 10, 15, 20] */
  ks?: readonly number[];
  /** Evaluation variant. @default "filter-first" */
  variant?: MetricVariant;
  /** List length N. @default 20 */
  n?: number;
}

/** Everything known about one scored list. */
export interface ListScore {
  /** Every parsed item, in order (only the first N are scored for hits/rewards). */
  items: Item[];
  /** Non-empty lines that did not parse. */
  dropped: number;
  hits: Uint8Array;
  rewards: Float64Array;
  recall: Record<number, number>;
  ndcg: Record<number, number>;
  compliance: ComplianceCounts;
  /** In-catalog share over the first N non-empty lines. */
  inCatalog: number;
}

/**
 * Scores a generated list text against its record.
 * @example scoreList("Heat (1995)", { seenTitles: [], groundTruth: [["Heat", "1995"]], catalog }).recall[5] // 1
 */
export function scoreList(
  text: string,
  ctx: ScoringContext,
  options: ScoreOptions = {},
): ListScore {
  const n = options.n ?? 20;
  const parsed = parseList(text);
  const keys = memberKeys(parsed.items, ctx.catalog); // one catalog lookup per item, shared
  const hits = alignedHits(parsed.items, ctx, { n, keys });
  const rewards = rankReturns(hits, options.reward ?? { kind: "exp_inf" });
  const { recall, ndcg } = listMetrics(
    parsed.items,
    ctx,
    options.ks ?? [5, 10, 15, 20],
    options.variant ?? "filter-first",
    keys,
  );
  const compliance = complianceCounts(parsed, ctx.catalog, n, keys);
  return {
    items: parsed.items,
    dropped: parsed.dropped,
    hits,
    rewards,
    recall,
    ndcg,
    compliance,
    inCatalog: inCatalogShare(compliance),
  };
}

/** Running means over scored lists; in-catalog and format-violation shares are pooled over slots. */
export interface ScoreSummary {
  records: number;
  recall: Record<string, number>;
  ndcg: Record<string, number>;
  in_catalog: number;
  format_violations: number;
}

/** Running sums behind a {@link ScoreSummary}; O(#k) memory however many lists are added. */
export interface ScoreTotals {
  ks: readonly number[];
  records: number;
  recall: Float64Array;
  ndcg: Float64Array;
  slots: number;
  inCatalog: number;
  violations: number;
}

/** Empty totals for cutoffs `ks`. */
export function emptyTotals(ks: readonly number[]): ScoreTotals {
  const z = () => new Float64Array(ks.length);
  return { ks, records: 0, recall: z(), ndcg: z(), slots: 0, inCatalog: 0, violations: 0 };
}

/** Adds one scored list to the totals (mutates and returns them). */
export function addScore(t: ScoreTotals, s: ListScore): ScoreTotals {
  t.records++;
  t.ks.forEach((k, i) => {
    t.recall[i] += s.recall[k];
    t.ndcg[i] += s.ndcg[k];
  });
  t.slots += s.compliance.slots;
  t.inCatalog += s.compliance.inCatalog;
  t.violations += s.compliance.violations;
  return t;
}

/**
 * The summary of totals: mean Recall/NDCG per k over lists; in-catalog and format-violation shares
 * pooled over all slots (e.g. 799 in-catalog lines of 800 → 0.99875).
 */
export function totalsSummary(t: ScoreTotals): ScoreSummary {
  const recall: Record<string, number> = {};
  const ndcg: Record<string, number> = {};
  t.ks.forEach((k, i) => {
    recall[k] = t.records === 0 ? 0 : t.recall[i] / t.records;
    ndcg[k] = t.records === 0 ? 0 : t.ndcg[i] / t.records;
  });
  return {
    records: t.records,
    recall,
    ndcg,
    in_catalog: t.slots === 0 ? 0 : t.inCatalog / t.slots,
    format_violations: t.slots === 0 ? 0 : t.violations / t.slots,
  };
}

/**
 * Summarises scored lists (see {@link totalsSummary}).
 * @example summarizeScores([scoreList(text, ctx)], [5, 10]).recall["5"]
 */
export function summarizeScores(scores: readonly ListScore[], ks: readonly number[]): ScoreSummary {
  const t = emptyTotals(ks);
  for (const s of scores) addScore(t, s);
  return totalsSummary(t);
}
