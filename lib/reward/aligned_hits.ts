// Relevance of one generated list, rank by rank (paper.md §2.3–2.6): the authors'
// `evaluate_direct_match_aligned`, the basis of every RL reward.

import type { Item } from "../catalog/parse_list.ts";
import { pyInt, titleKey } from "../catalog/py_text.ts";

/** Exact `(title, year)` membership; a `Catalog` satisfies it. */
export interface CatalogMembership {
  has(title: string, year: number): boolean;
  /** Optional fast path: the pair's precomputed `titleKey`, or null when not in the catalog. */
  memberKey?(title: string, year: number): string | null;
}

/** Ground truth as released: `[title, year]` with the year as a string (numbers accepted). */
export type GroundTruth = readonly (readonly [string, string | number])[];

/** What a list is scored against. */
export interface ScoringContext {
  seenTitles: readonly string[];
  groundTruth: GroundTruth;
  catalog: CatalogMembership;
}

/** Options of {@link alignedHits}. */
export interface AlignedHitsOptions {
  /** List length N: only the first N items count. @default 20 */
  n?: number;
  /** Year tolerance for matching ground truth (exact tried first, then ±1 (+ first), ±2…). @default 2 */
  yearTolerance?: number;
  /** Where to write the N hits (e.g. a row of a G×N batch). @default a new Uint8Array(n) */
  out?: Uint8Array;
  /** The items' {@link memberKeys}, when the caller computed them already. */
  keys?: readonly (string | null)[];
}

/**
 * Per item, its title key when the exact pair is in the catalog, else null: the one catalog lookup
 * per item that hits, metrics and compliance share.
 * @example memberKeys([["Heat", 1995], ["Nope", 1]], catalog) // ["heat", null]
 */
export function memberKeys(
  items: readonly Item[],
  catalog: CatalogMembership,
): (string | null)[] {
  const keys = new Array<string | null>(items.length);
  for (let i = 0; i < items.length; i++) {
    const [title, year] = items[i];
    keys[i] = catalog.memberKey !== undefined
      ? catalog.memberKey(title, year)
      : catalog.has(title, year)
      ? titleKey(title)
      : null;
  }
  return keys;
}

/**
 * Hits of the first N items: 0 for a seen title (exact, case-sensitive), for a pair not in the
 * catalog, or when no unconsumed ground truth has the same title key (whitespace-collapsed,
 * casefolded) within the year tolerance; else 1, consuming that ground-truth occurrence.
 * @example
 * alignedHits([["Heat", 1995], ["Alien", 1980]], { seenTitles: [], groundTruth: [["alien", "1979"]],
 *   catalog: { has: () => true } }) // Uint8Array [0, 1, 0, …] (20 entries)
 */
export function alignedHits(
  items: readonly Item[],
  ctx: ScoringContext,
  options: AlignedHitsOptions = {},
): Uint8Array {
  const n = options.n ?? 20;
  const tolerance = options.yearTolerance ?? 2;
  const hits = options.out ?? new Uint8Array(n);
  hits.fill(0, 0, n);
  const gt = groundTruthPairs(ctx.groundTruth);
  if (gt.keys.length === 0) return hits;
  const seen = ctx.seenTitles; // a few titles: a linear scan beats building a Set
  const cat = ctx.catalog;
  const length = Math.min(items.length, n);
  for (let pos = 0; pos < length; pos++) {
    const [title, year] = items[pos];
    if (seen.includes(title)) continue;
    const key = options.keys !== undefined
      ? options.keys[pos]
      : cat.memberKey !== undefined
      ? cat.memberKey(title, year)
      : cat.has(title, year)
      ? titleKey(title)
      : null;
    if (key === null) continue;
    const g = matchGroundTruth(gt, key, year, tolerance);
    if (g < 0) continue;
    hits[pos] = 1;
    gt.left[g]--;
  }
  return hits;
}

/** Ground truth as distinct (title key, year) pairs with how many occurrences are still unmatched. */
interface GroundTruthPairs {
  keys: string[];
  years: number[];
  left: number[];
}

/** Distinct (title key, year) pairs of the ground truth; entries whose year is not an integer are skipped. */
function groundTruthPairs(groundTruth: GroundTruth): GroundTruthPairs {
  const out: GroundTruthPairs = { keys: [], years: [], left: [] };
  for (const [title, rawYear] of groundTruth) {
    const year = typeof rawYear === "number" ? rawYear : pyInt(rawYear);
    if (year === null || !Number.isInteger(year)) continue;
    const key = titleKey(title);
    let g = 0;
    while (g < out.keys.length && (out.keys[g] !== key || out.years[g] !== year)) g++;
    if (g < out.keys.length) out.left[g]++;
    else {
      out.keys.push(key);
      out.years.push(year);
      out.left.push(1);
    }
  }
  return out;
}

/**
 * Index of the unmatched ground-truth pair with this key whose year is nearest in the authors' order
 * (exact, +1, −1, +2, −2, …, within the tolerance), or −1.
 */
function matchGroundTruth(
  gt: GroundTruthPairs,
  key: string,
  year: number,
  tolerance: number,
): number {
  let best = -1;
  let bestRank = Infinity;
  for (let g = 0; g < gt.keys.length; g++) {
    if (gt.left[g] === 0 || gt.keys[g] !== key) continue;
    const d = gt.years[g] - year;
    const a = Math.abs(d);
    if (a > tolerance) continue;
    const rank = d === 0 ? 0 : 2 * a - (d > 0 ? 1 : 0); // +1 → 1, −1 → 2, +2 → 3, −2 → 4 …
    if (rank < bestRank) {
      best = g;
      bestRank = rank;
    }
  }
  return best;
}
