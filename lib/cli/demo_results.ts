// The demo's results table: reference rankers, the teacher, the distilled lists and the trained models
// on the test split (authors' filter-first Recall/NDCG@k and in-catalog share), as rows, markdown, figures.

import { catalogFromItems } from "../catalog/catalog.ts";
import { baselineLists, type World } from "../data/world/mod.ts";
import { barChart } from "../report/charts.ts";
import type { Figure } from "../report/figure.ts";
import { type Row, table } from "../report/table.ts";
import {
  addScore,
  emptyTotals,
  scoreList,
  type ScoreSummary,
  totalsSummary,
} from "../reward/score.ts";
import type { EvalMetrics } from "../train/sft/evaluate.ts";

/** The cutoffs of the table. */
export const DEMO_KS: readonly number[] = [5, 10, 20];

/** The reference rankers of the built-in world, with their table labels (the oracle sees the hidden taste). */
export const REFERENCE_RANKERS = {
  oracle: "oracle (upper bound)",
  tfidf_knn: "TF-IDF kNN",
  popularity: "popularity",
} as const;

/** What produced a row. */
export type DemoStage = "reference" | "teacher" | "distilled" | "sft" | "rl";

/** One row of the results table (all on the same split). */
export interface DemoRow {
  split: string;
  method: string;
  stage: DemoStage;
  /** rows scored (records of the split with their ground truth) */
  records: number;
  /** cutoff k (as a string key) → mean Recall@k */
  recall: Record<string, number>;
  /** cutoff k → mean NDCG@k */
  ndcg: Record<string, number>;
  /** share of parsed items that are catalog items */
  in_catalog: number;
}

/**
 * A row from a lib/reward score summary.
 * @example summaryRow("test", "teacher zero-shot", "teacher", summary).ndcg["20"]
 */
export function summaryRow(
  split: string,
  method: string,
  stage: DemoStage,
  s: ScoreSummary,
): DemoRow {
  const pick = (m: Record<string, number>) =>
    Object.fromEntries(DEMO_KS.map((k) => [String(k), m[String(k)] ?? m[k]]));
  return {
    split,
    method,
    stage,
    records: s.records,
    recall: pick(s.recall),
    ndcg: pick(s.ndcg),
    in_catalog: s.in_catalog,
  };
}

/**
 * A row from greedy-eval metrics (`recall@k`, `ndcg@k`, `in_catalog`, `rows`).
 * @example evalRow("test", "SFT", "sft", r.metrics).recall["20"]
 */
export function evalRow(split: string, method: string, stage: DemoStage, m: EvalMetrics): DemoRow {
  const at = (name: string) =>
    Object.fromEntries(DEMO_KS.map((k) => {
      const v = m[`${name}@${k}`];
      if (v === undefined) {
        throw new Error(
          `lib/cli/demo_results.ts: evalRow "${method}": metrics.${name}@${k} missing`,
        );
      }
      return [String(k), v];
    }));
  return {
    split,
    method,
    stage,
    records: m.rows,
    recall: at("recall"),
    ndcg: at("ndcg"),
    in_catalog: m.in_catalog,
  };
}

/**
 * The reference rankers' rows on `split`: each list rendered as a model writes it (`Title (Year)` lines),
 * so scoring runs the full parse path.
 * @example referenceRows(world, "test").map((r) => r.method)
 */
export function referenceRows(world: World, split: "val" | "test"): DemoRow[] {
  const catalog = catalogFromItems(
    world.catalog.map((m) => ({ title: m.title, year: m.year, meta: {} })),
  );
  const lists = baselineLists(world, { split });
  return Object.entries(REFERENCE_RANKERS).map(([ranker, label]) => {
    const totals = emptyTotals(DEMO_KS);
    for (const r of world.records[split]) {
      const list = lists[ranker as keyof typeof REFERENCE_RANKERS][r.id];
      addScore(
        totals,
        scoreList(list.map(([t, y]) => `${t} (${y})`).join("\n"), {
          seenTitles: r.seen_titles,
          groundTruth: r.groundtruth_with_release_year,
          catalog,
        }, { ks: DEMO_KS }),
      );
    }
    return summaryRow(split, label, "reference", totalsSummary(totals));
  });
}

/** The rows as flat table rows (method, R@k…, N@k…, in-catalog). */
function flatRows(rows: readonly DemoRow[]): Row[] {
  return rows.map((r) => ({
    method: r.method,
    ...Object.fromEntries(DEMO_KS.map((k) => [`R@${k}`, r.recall[String(k)]])),
    ...Object.fromEntries(DEMO_KS.map((k) => [`N@${k}`, r.ndcg[String(k)]])),
    "in-catalog": r.in_catalog,
  }));
}

/**
 * A markdown table of demo rows (4 decimals).
 * @example resultsTable(rows).split("\n")[0] // "| split | method | R@5 | R@10 | R@20 | N@5 | …"
 */
export function resultsTable(rows: readonly DemoRow[]): string {
  const head = `| split | method | ${DEMO_KS.map((k) => `R@${k}`).join(" | ")} | ${
    DEMO_KS.map((k) => `N@${k}`).join(" | ")
  } | in-catalog |`;
  const sep = `|${"---|".repeat(3 + 2 * DEMO_KS.length)}`;
  const body = rows.map((r) =>
    `| ${r.split} | ${r.method} | ${
      DEMO_KS.map((k) => r.recall[String(k)].toFixed(4)).join(" | ")
    } | ${DEMO_KS.map((k) => r.ndcg[String(k)].toFixed(4)).join(" | ")} | ${
      r.in_catalog.toFixed(4)
    } |`
  );
  return [head, sep, ...body].join("\n");
}

/**
 * The results table as a plotly table figure.
 * @example await showFigure(resultsTableFigure(rows, "test split"));
 */
export function resultsTableFigure(rows: readonly DemoRow[], title: string): Figure {
  return table(flatRows(rows), { title, digits: 4 });
}

/**
 * Recall@20 and NDCG@20 of every row as grouped bars (one run per method: no error bars).
 * @example resultsBars(rows, "test split").data.length // 2
 */
export function resultsBars(rows: readonly DemoRow[], title: string): Figure {
  const series = (name: string, m: "recall" | "ndcg") => ({
    name,
    bars: rows.map((r) => ({ x: r.method, values: [r[m]["20"]] })),
  });
  const fig = barChart([series("Recall@20", "recall"), series("NDCG@20", "ndcg")], {
    title,
    yTitle: "metric",
  });
  const margin = fig.layout.margin as Record<string, number>;
  return { ...fig, layout: { ...fig.layout, margin: { ...margin, b: 130 } } }; // room for the labels
}
