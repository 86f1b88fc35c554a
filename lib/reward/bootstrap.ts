// Confidence intervals for evaluation metrics: each conversation is one resampling unit (its rows share
// one generated list, so they are not independent), a metric is a ratio of sums over units (mean over
// rows for Recall/NDCG, pooled over slots for the in-catalog share, as the aggregate tables compute it),
// and percentile bootstrap intervals — paired ones for differences of two methods on the same units.
// Not in the paper (it reports no intervals).
import type { CatalogMembership } from "./aligned_hits.ts";
import { createPrng } from "../data/prng.ts";
import { scoreList } from "./score.ts";

/** One unit's numerator and denominator per metric name (e.g. "ndcg@20": [Σ rows' NDCG, rows]). */
export type UnitScores = Record<string, [number, number]>;

/** A row of a conversation as scoring needs it. */
export interface ScoredRow {
  seen_titles: readonly string[];
  groundtruth_with_release_year: readonly (readonly [string, string])[];
}

/**
 * The unit of one conversation: its list scored against each of its rows.
 * @example conversationUnit("Heat (1995)", rows, { catalog, ks: [5, 10, 20] })["ndcg@20"]; // [Σ, rows]
 */
export function conversationUnit(
  text: string,
  rows: readonly ScoredRow[],
  options: { catalog: CatalogMembership; ks: readonly number[] },
): UnitScores {
  const u: UnitScores = { in_catalog: [0, 0] };
  for (const k of options.ks) {
    u[`recall@${k}`] = [0, 0];
    u[`ndcg@${k}`] = [0, 0];
  }
  for (const row of rows) {
    const s = scoreList(text, {
      seenTitles: row.seen_titles,
      groundTruth: row.groundtruth_with_release_year as [string, string][],
      catalog: options.catalog,
    }, { ks: options.ks });
    for (const k of options.ks) {
      u[`recall@${k}`][0] += s.recall[k];
      u[`recall@${k}`][1] += 1;
      u[`ndcg@${k}`][0] += s.ndcg[k];
      u[`ndcg@${k}`][1] += 1;
    }
    u.in_catalog[0] += s.compliance.inCatalog;
    u.in_catalog[1] += s.compliance.slots;
  }
  return u;
}

/** A point estimate with its interval. */
export interface Interval {
  value: number;
  lo: number;
  hi: number;
}

/** Options of the bootstrap intervals. */
export interface BootstrapOptions {
  /** resamples @default 2000 */
  resamples?: number;
  /** seed of the resampling stream @default 0 */
  seed?: number;
  /** coverage @default 0.95 */
  level?: number;
}

function metricOf(units: readonly UnitScores[], metric: string): [Float64Array, Float64Array] {
  const num = new Float64Array(units.length), den = new Float64Array(units.length);
  units.forEach((u, i) => {
    const v = u[metric];
    if (v === undefined) {
      throw new Error(`lib/reward/bootstrap.ts: unit ${i} has no metric "${metric}"`);
    }
    [num[i], den[i]] = v;
  });
  return [num, den];
}

function ratio(num: Float64Array, den: Float64Array, idx?: Int32Array): number {
  let a = 0, b = 0;
  const n = idx?.length ?? num.length;
  for (let j = 0; j < n; j++) {
    const i = idx ? idx[j] : j;
    a += num[i];
    b += den[i];
  }
  return b === 0 ? 0 : a / b;
}

function percentile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1), lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The resample index sets, shared by every metric and method for one seed (so intervals pair). */
function resampleIndices(n: number, options: BootstrapOptions): Int32Array[] {
  const prng = createPrng(options.seed ?? 0).fork("bootstrap");
  return Array.from({ length: options.resamples ?? 2000 }, () => {
    const idx = new Int32Array(n);
    for (let j = 0; j < n; j++) idx[j] = prng.int(n);
    return idx;
  });
}

function interval(value: number, draws: Float64Array, level: number): Interval {
  draws.sort();
  const tail = (1 - level) / 2;
  return { value, lo: percentile(draws, tail), hi: percentile(draws, 1 - tail) };
}

/**
 * Percentile bootstrap interval of `metric` over conversations (resampled with replacement).
 * @example bootstrapCi(units, "ndcg@20"); // { value: 0.12, lo: 0.10, hi: 0.14 }
 */
export function bootstrapCi(
  units: readonly UnitScores[],
  metric: string,
  options: BootstrapOptions = {},
): Interval {
  if (units.length === 0) throw new Error("lib/reward/bootstrap.ts: bootstrapCi: no units");
  const [num, den] = metricOf(units, metric);
  const sets = resampleIndices(units.length, options);
  const draws = Float64Array.from(sets, (idx) => ratio(num, den, idx));
  return interval(ratio(num, den), draws, options.level ?? 0.95);
}

/**
 * Paired bootstrap interval of `metric(a) − metric(b)`: `a[i]` and `b[i]` are the same conversation
 * scored for two methods, resampled together.
 * @example pairedDifferenceCi(rankGrpo, sft, "ndcg@20"); // { value: 0.01, lo: 0.004, hi: 0.017 }
 */
export function pairedDifferenceCi(
  a: readonly UnitScores[],
  b: readonly UnitScores[],
  metric: string,
  options: BootstrapOptions = {},
): Interval {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(
      `lib/reward/bootstrap.ts: pairedDifferenceCi: expected two equal non-empty unit lists, got ${a.length} and ${b.length}`,
    );
  }
  const [na, da] = metricOf(a, metric), [nb, db] = metricOf(b, metric);
  const sets = resampleIndices(a.length, options);
  const draws = Float64Array.from(sets, (idx) => ratio(na, da, idx) - ratio(nb, db, idx));
  return interval(ratio(na, da) - ratio(nb, db), draws, options.level ?? 0.95);
}
