// Relevance of one generated list, rank by rank (paper.md §2.3–2.6): the authors'
// `evaluate_direct_match_aligned`, the basis of every RL reward.

import type { Item } from "../catalog/parse_list.ts";
import { pyInt, titleKey } from "../catalog/py_text.ts";

/** Exact `(title, year)` membership; a `Catalog` satisfies it. */
export interface CatalogMembership {
  has(title: string, year: number): boolean;
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
  const buckets = groundTruthBuckets(ctx.groundTruth);
  if (buckets.size === 0) return hits;
  const seen = new Set(ctx.seenTitles);
  const length = Math.min(items.length, n);
  for (let pos = 0; pos < length; pos++) {
    const [title, year] = items[pos];
    if (seen.has(title) || !ctx.catalog.has(title, year)) continue;
    const bucket = buckets.get(titleKey(title));
    if (bucket === undefined) continue;
    const matched = matchYear(bucket, year, tolerance);
    if (matched === null) continue;
    hits[pos] = 1;
    const left = bucket.get(matched)! - 1;
    if (left > 0) bucket.set(matched, left);
    else bucket.delete(matched);
  }
  return hits;
}

/** Ground truth grouped by title key → year → count; entries whose year is not an integer are skipped. */
function groundTruthBuckets(groundTruth: GroundTruth): Map<string, Map<number, number>> {
  const buckets = new Map<string, Map<number, number>>();
  for (const [title, rawYear] of groundTruth) {
    const year = typeof rawYear === "number" ? rawYear : pyInt(rawYear);
    if (year === null || !Number.isInteger(year)) continue;
    const key = titleKey(title);
    let bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, bucket = new Map());
    bucket.set(year, (bucket.get(year) ?? 0) + 1);
  }
  return buckets;
}

function matchYear(bucket: Map<number, number>, year: number, tolerance: number): number | null {
  if (bucket.has(year)) return year;
  for (let d = 1; d <= tolerance; d++) {
    if (bucket.has(year + d)) return year + d;
    if (bucket.has(year - d)) return year - d;
  }
  return null;
}
