// Recall@k and NDCG@k of one generated list (paper.md §6), in the two evaluation variants:
// filter-first = the authors' `evaluate_direct_match` (drop seen and out-of-catalog items from the whole
// parsed list, then match); truncate-first = take the top k as emitted, then drop, then match.

import type { Item } from "../catalog/parse_list.ts";
import { pyInt } from "../catalog/py_text.ts";
import type { ScoringContext } from "./aligned_hits.ts";

/** `filter-first` (authors' evaluate_direct_match) or `truncate-first`. */
export type MetricVariant = "filter-first" | "truncate-first";

/** Recall and NDCG per cutoff k. */
export interface ListMetrics {
  recall: Record<number, number>;
  ndcg: Record<number, number>;
}

/**
 * Hits of the authors' evaluation over an already filtered list: for each ground-truth entry in order,
 * the first item with exactly the same title (case-sensitive) and |Δyear| ≤ 2 gets hit 1. A ground truth
 * entry is not consumed across items and two entries can mark the same item (this is the authors' rule).
 * @example directMatchHits([["Heat", 1995]], [["Heat", "1996"]]) // Uint8Array [1]
 */
export function directMatchHits(
  filtered: readonly Item[],
  groundTruth: ScoringContext["groundTruth"],
): Uint8Array {
  const hits = new Uint8Array(filtered.length);
  if (filtered.length === 0) return hits; // the authors convert gt years only when there is an item
  for (const [gtTitle, gtRawYear] of groundTruth) {
    const gtYear = typeof gtRawYear === "number" ? gtRawYear : pyInt(gtRawYear);
    if (gtYear === null) {
      throw new Error(
        `ground-truth year ${JSON.stringify(gtRawYear)} of "${gtTitle}" is not an integer`,
      );
    }
    for (let i = 0; i < filtered.length; i++) {
      if (filtered[i][0] === gtTitle && Math.abs(gtYear - filtered[i][1]) <= 2) {
        hits[i] = 1;
        break;
      }
    }
  }
  return hits;
}

/**
 * The authors' Recall@k: hits in the top k / #ground truth (0 for an empty list).
 * @example recallAtK(Uint8Array.of(0, 1, 1), 2, 2) // 0.5
 */
export function recallAtK(hits: ArrayLike<number>, numGt: number, k: number): number {
  if (hits.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < Math.min(k, hits.length); i++) s += hits[i];
  return s / numGt;
}

/** log2(i + 2) for ranks i = 0, 1, …, grown on demand (the same doubles Math.log2 gives each time). */
const LOG2_RANK: number[] = [];
/** Σ_{i=1}^{j−1} 1/log2(i+2), summed in rank order: the tail of an ideal list's DCG. */
const IDEAL_TAIL: number[] = [0, 0];

function growRankTables(length: number): void {
  for (let i = LOG2_RANK.length; i < length; i++) LOG2_RANK.push(Math.log2(i + 2));
  for (let j = IDEAL_TAIL.length; j <= length; j++) {
    IDEAL_TAIL.push(IDEAL_TAIL[j - 1] + 1 / LOG2_RANK[j - 1]);
  }
}

/**
 * The authors' DCG@k: hits[0] + Σ_{i=1}^{min(k,len)−1} hits[i]/log2(i+2); a 1-item list is hits[0].
 * Zero terms are skipped (adding +0 changes no double), so the sum is the authors' to the bit.
 */
export function dcgAtK(hits: ArrayLike<number>, k: number): number {
  if (hits.length === 0) return 0;
  if (hits.length === 1) return hits[0];
  const kk = Math.min(k, hits.length);
  growRankTables(kk);
  let s = 0;
  for (let i = 1; i < kk; i++) if (hits[i] !== 0) s += hits[i] / LOG2_RANK[i];
  return hits[0] + s;
}

/**
 * The authors' NDCG@k: DCG@k over the DCG@k of an ideal list of the same length whose first
 * min(#gt, length) entries are hits (0 for an empty list). The ideal DCG comes from a prefix table
 * summed in the same order as {@link dcgAtK} would sum it.
 * @example ndcgAtK(Uint8Array.of(0, 1), 1, 2) // 0.6309…
 */
export function ndcgAtK(hits: ArrayLike<number>, numGt: number, k: number): number {
  if (hits.length === 0) return 0;
  return dcgAtK(hits, k) / idealDcgAtK(Math.min(numGt, hits.length), hits.length, k);
}

/** DCG@k of a `length`-item list whose first `ones` entries are hits (the rest 0). */
function idealDcgAtK(ones: number, length: number, k: number): number {
  const first = ones > 0 ? 1 : 0;
  if (length === 1) return first;
  const m = Math.min(ones, k, length); // hits inside the cutoff
  growRankTables(m);
  return first + (m > 1 ? IDEAL_TAIL[m] : 0);
}

/**
 * Items that are not seen (exact title) and are in the catalog (exact pair), order kept; `keys`
 * (the items' memberKeys, when known) answers membership without a lookup.
 */
export function dropSeenAndOutOfCatalog(
  items: readonly Item[],
  ctx: ScoringContext,
  keys?: readonly (string | null)[],
): Item[] {
  const seen = ctx.seenTitles; // a few titles: a linear scan beats building a Set
  const inCatalog = keys === undefined
    ? ([t, y]: Item) => ctx.catalog.has(t, y)
    : (_: Item, i: number) => keys[i] !== null;
  return items.filter((item, i) => !seen.includes(item[0]) && inCatalog(item, i));
}

/**
 * Recall@k and NDCG@k for each k, in the chosen variant (`keys`: the items' memberKeys, when
 * known). Throws when there is no ground truth (the authors' code divides by zero there).
 * @example listMetrics([["Heat", 1995]], ctx, [5, 10], "filter-first").recall[5]
 */
export function listMetrics(
  items: readonly Item[],
  ctx: ScoringContext,
  ks: readonly number[],
  variant: MetricVariant,
  keys?: readonly (string | null)[],
): ListMetrics {
  const numGt = ctx.groundTruth.length;
  if (numGt === 0) {
    throw new Error("groundtruth_with_release_year is empty: recall/NDCG are undefined");
  }
  const recall: Record<number, number> = {};
  const ndcg: Record<number, number> = {};
  const whole = variant === "filter-first"
    ? directMatchHits(dropSeenAndOutOfCatalog(items, ctx, keys), ctx.groundTruth)
    : null;
  for (const k of ks) {
    const hits = whole ??
      directMatchHits(dropSeenAndOutOfCatalog(items.slice(0, k), ctx, keys), ctx.groundTruth);
    recall[k] = recallAtK(hits, numGt, k);
    ndcg[k] = ndcgAtK(hits, numGt, k);
  }
  return { recall, ndcg };
}
