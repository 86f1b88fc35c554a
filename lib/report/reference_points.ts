// The built-in world's reference points: the oracle / TF-IDF kNN / popularity rankers' lists rendered
// as text and scored with the authors' rules (parse → aligned hits → Recall/NDCG@k), plus their figure.

import { type Catalog, catalogFromItems } from "../catalog/catalog.ts";
import { baselineLists, type World, type WorldSplit } from "../data/world/mod.ts";
import {
  addScore,
  emptyTotals,
  scoreList,
  type ScoreSummary,
  totalsSummary,
} from "../reward/score.ts";
import { barChart } from "./charts.ts";
import type { Figure } from "./figure.ts";
import type { Row } from "./table.ts";

/** The reference rankers, in display order (best first on the built-in world). */
export const REFERENCE_RANKERS = ["oracle", "tfidf_knn", "popularity"] as const;

/** One reference ranker's scores on one split. */
export interface ReferencePoint extends ScoreSummary {
  split: WorldSplit;
  method: typeof REFERENCE_RANKERS[number];
}

/**
 * The world's catalog as a scoring {@link Catalog} (exact (title, year) membership).
 * @example worldCatalog(world).has(world.catalog[0].title, world.catalog[0].year) // true
 */
export function worldCatalog(world: World): Catalog {
  return catalogFromItems(world.catalog.map((m) => ({ title: m.title, year: m.year, meta: {} })));
}

/** Options of {@link scoreReferenceRankers}. */
export interface ReferenceOptions {
  /** @default "val" */
  split?: WorldSplit;
  /** Cutoffs; @default [5, 10, 20] */
  ks?: readonly number[];
  /** Scoring catalog; @default worldCatalog(world) */
  catalog?: Catalog;
}

/**
 * Scores every reference ranker on a split. Each list is rendered as a model would write it
 * (`Title (Year)` per line), so scoring runs the full parse path.
 * @example
 * const points = scoreReferenceRankers(world, { split: "test", ks: [5, 10, 20] });
 * points[0].ndcg["20"]; // the oracle's NDCG@20
 */
export function scoreReferenceRankers(world: World, opts: ReferenceOptions = {}): ReferencePoint[] {
  const split = opts.split ?? "val";
  const ks = opts.ks ?? [5, 10, 20];
  const catalog = opts.catalog ?? worldCatalog(world);
  const lists = baselineLists(world, { split, k: Math.max(20, ...ks) });
  return REFERENCE_RANKERS.map((method) => {
    const totals = emptyTotals(ks);
    for (const r of world.records[split]) {
      const text = lists[method][r.id].map(([t, y]) => `${t} (${y})`).join("\n");
      const ctx = {
        seenTitles: r.seen_titles,
        groundTruth: r.groundtruth_with_release_year,
        catalog,
      };
      addScore(totals, scoreList(text, ctx, { ks }));
    }
    return { split, method, ...totalsSummary(totals) };
  });
}

/**
 * Flat table rows: split, method, R@k…, N@k…, in-catalog share, records.
 * @example formatTable(referenceRows(points))
 */
export function referenceRows(points: readonly ReferencePoint[]): Row[] {
  return points.map((p) => ({
    split: p.split,
    method: p.method,
    ...Object.fromEntries(Object.entries(p.recall).map(([k, v]) => [`R@${k}`, v])),
    ...Object.fromEntries(Object.entries(p.ndcg).map(([k, v]) => [`N@${k}`, v])),
    in_catalog: p.in_catalog,
    records: p.records,
  }));
}

/**
 * Grouped bars: one series per ranker, one bar per `R@k` and `N@k`.
 * @example await showFigure(referenceBars(points));
 */
export function referenceBars(points: readonly ReferencePoint[]): Figure {
  const split = points[0]?.split ?? "val";
  return barChart(
    points.map((p) => ({
      name: p.method,
      bars: [
        ...Object.entries(p.recall).map(([k, v]) => ({ x: `Recall@${k}`, values: [v] })),
        ...Object.entries(p.ndcg).map(([k, v]) => ({ x: `NDCG@${k}`, values: [v] })),
      ],
    })),
    { title: `Reference points on ${split} (${points[0]?.records ?? 0} records)`, yTitle: "score" },
  );
}
