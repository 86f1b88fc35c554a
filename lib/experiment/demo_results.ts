// The demo's results table: reference rankers, the teacher, the distilled lists and the trained models
// on the test split (authors' filter-first Recall/NDCG@k and in-catalog share), as rows, markdown, figures.

import { catalogFromItems } from "../catalog/catalog.ts";
import { baselineLists, type World } from "../data/world/mod.ts";
import { intervalBarChart } from "../report/charts.ts";
import type { Figure } from "../report/figure.ts";
import { type Row, table } from "../report/table.ts";
import {
  addScore,
  emptyTotals,
  scoreList,
  type ScoreSummary,
  totalsSummary,
} from "../reward/score.ts";
import {
  bootstrapCi,
  type BootstrapOptions,
  conversationUnit,
  type Interval,
  pairedDifferenceCi,
  type UnitScores,
} from "../reward/bootstrap.ts";
import type { Catalog } from "../catalog/catalog.ts";
import type { ConversationRecord } from "../data/record.ts";
import { type EvalMetrics, groupConversations } from "../train/eval/evaluate.ts";

/** The cutoffs of the table. */
export const DEMO_KS: readonly number[] = [5, 10, 20];

/** The reference rankers of the built-in world, with their table labels (the oracle sees the hidden taste). */
export const REFERENCE_RANKERS = {
  oracle: "oracle (upper bound)",
  tfidf_knn: "TF-IDF kNN",
  popularity: "popularity",
} as const;

/** What produced a row. */
export type DemoStage = "reference" | "teacher" | "distilled" | "base" | "sft" | "rl";

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
  /** metric ("ndcg@20", "recall@5", "in_catalog", …) → 95% bootstrap CI over test conversations */
  ci?: Record<string, Interval>;
  /** conversations the row was scored on (the CI's resampling units) */
  conversations?: number;
}

/** A paired difference of two rows' metrics over the same conversations. */
export interface DemoDifference {
  /** e.g. "Rank-GRPO (exp∞) − SFT" */
  label: string;
  a: string;
  b: string;
  conversations: number;
  /** metric → difference with its 95% paired bootstrap CI */
  ci: Record<string, Interval>;
}

/** The metrics that get intervals. */
export const CI_METRICS: readonly string[] = [
  ...DEMO_KS.map((k) => `recall@${k}`),
  ...DEMO_KS.map((k) => `ndcg@${k}`),
  "in_catalog",
];

/**
 * Per-conversation units of one list per conversation (`texts[i]` for the i-th conversation of
 * `records` in first-seen order, as greedy evaluation decodes them).
 * @example Two conversations, one list each
 * ```ts
 * import { catalogFromItems } from "../catalog/catalog.ts";
 * import type { ConversationRecord } from "../data/record.ts";
 *
 * const catalog = catalogFromItems([
 *   { title: "Heat", year: 1995, meta: {} },
 *   { title: "Ronin", year: 1998, meta: {} },
 * ]);
 * const ask = (content: string, title: string, year: string): ConversationRecord => ({
 *   prompt: [{ role: "user", content }],
 *   seen_titles: [],
 *   groundtruth_with_release_year: [[title, year]],
 * });
 * const records = [ask("a heist film?", "Heat", "1995"), ask("car chases?", "Ronin", "1998")];
 * const units = textUnits(["Heat (1995)", "Heat (1995)"], records, catalog);
 * // [Σ over the conversation's rows, rows]: a hit, then a miss
 * if (units[0]["recall@5"][0] !== 1 || units[1]["recall@5"][0] !== 0) throw new Error("units");
 * ```
 */
export function textUnits(
  texts: readonly string[],
  records: readonly ConversationRecord[],
  catalog: Catalog,
): UnitScores[] {
  const groups = groupConversations(records).slice(0, texts.length);
  return groups.map((g, i) => conversationUnit(texts[i], g.rows, { catalog, ks: DEMO_KS }));
}

/**
 * The row's bootstrap CIs from its units.
 * @example
 * ```ts
 * const metrics = { rows: 2, in_catalog: 1, "recall@5": 0.5, "recall@10": 0.5, "recall@20": 0.5 };
 * const ndcg = { "ndcg@5": 0.5, "ndcg@10": 0.5, "ndcg@20": 0.5 };
 * const row = evalRow("test", "SFT", "sft", { ...metrics, ...ndcg });
 * const units = [0, 1, 1, 0].map((hit) => ({
 *   in_catalog: [1, 1] as [number, number],
 *   ...Object.fromEntries(CI_METRICS.slice(0, -1).map((m) => [m, [hit, 1] as [number, number]])),
 * }));
 * const ci = withIntervals(row, units, { resamples: 200 }).ci!["ndcg@20"];
 * if (!(ci.lo <= ci.value && ci.value <= ci.hi) || ci.value !== 0.5) throw new Error("ci");
 * ```
 */
export function withIntervals(
  row: DemoRow,
  units: readonly UnitScores[],
  opts: BootstrapOptions = {},
): DemoRow {
  const ci = Object.fromEntries(CI_METRICS.map((m) => [m, bootstrapCi(units, m, opts)]));
  return { ...row, ci, conversations: units.length };
}

/**
 * `a − b` on every CI metric, paired over the same conversations.
 * @example Every conversation one hit better
 * ```ts
 * const units = (hits: number[]) =>
 *   hits.map((hit) => ({
 *     in_catalog: [1, 1] as [number, number],
 *     ...Object.fromEntries(CI_METRICS.slice(0, -1).map((m) => [m, [hit, 1] as [number, number]])),
 *   }));
 * const rankGrpo = units([1, 1, 1]), sft = units([0, 0, 0]);
 * const d = difference("Rank-GRPO − SFT", ["Rank-GRPO", rankGrpo], ["SFT", sft]);
 * if (d.ci["ndcg@20"].value !== 1 || d.conversations !== 3) throw new Error(JSON.stringify(d));
 * ```
 */
export function difference(
  label: string,
  a: [string, readonly UnitScores[]],
  b: [string, readonly UnitScores[]],
  opts: BootstrapOptions = {},
): DemoDifference {
  const ci = Object.fromEntries(
    CI_METRICS.map((m) => [m, pairedDifferenceCi(a[1], b[1], m, opts)]),
  );
  return { label, a: a[0], b: b[0], conversations: a[1].length, ci };
}

/**
 * A row from a lib/reward score summary.
 * @example
 * ```ts
 * const summary = {
 *   records: 4,
 *   recall: { "5": 0.25, "10": 0.5, "20": 0.75 },
 *   ndcg: { "5": 0.2, "10": 0.3, "20": 0.4 },
 *   in_catalog: 0.9,
 *   format_violations: 0,
 * };
 * const row = summaryRow("test", "teacher zero-shot", "teacher", summary);
 * if (row.ndcg["20"] !== 0.4 || row.records !== 4) throw new Error(JSON.stringify(row));
 * ```
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
 * @example
 * ```ts
 * const metrics = { rows: 2, in_catalog: 1, "recall@5": 0.1, "recall@10": 0.2, "recall@20": 0.3 };
 * const row = evalRow("test", "SFT", "sft", {
 *   ...metrics,
 *   "ndcg@5": 0.1,
 *   "ndcg@10": 0.15,
 *   "ndcg@20": 0.2,
 * });
 * if (row.recall["20"] !== 0.3 || row.ndcg["5"] !== 0.1) throw new Error(JSON.stringify(row));
 * ```
 */
export function evalRow(split: string, method: string, stage: DemoStage, m: EvalMetrics): DemoRow {
  const at = (name: string) =>
    Object.fromEntries(DEMO_KS.map((k) => {
      const v = m[`${name}@${k}`];
      if (v === undefined) {
        throw new Error(
          `lib/experiment/demo_results.ts: evalRow "${method}": metrics.${name}@${k} missing`,
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
 * @example On the smoke world (about 0.4 s to build)
 * ```ts
 * import { generateWorld } from "../data/world/mod.ts";
 * import { worldPreset } from "./presets.ts";
 *
 * const world = await generateWorld(worldPreset("smoke"));
 * const methods = referenceRows(world, "test").map((r) => r.method);
 * if (methods.join(", ") !== "oracle (upper bound), TF-IDF kNN, popularity") {
 *   throw new Error(methods.join(", "));
 * }
 * ```
 */
export function referenceRows(world: World, split: "val" | "test"): DemoRow[] {
  return referenceRowsWithUnits(world, split).map((r) => r.row);
}

/**
 * {@link referenceRows} with each ranker's per-conversation units (for intervals and paired
 * differences), conversations in first-seen order as greedy evaluation groups them.
 * @example On the smoke world: one unit per test conversation
 * ```ts
 * import { generateWorld } from "../data/world/mod.ts";
 * import { groupConversations } from "../train/eval/evaluate.ts";
 * import type { ConversationRecord } from "../data/record.ts";
 * import { worldPreset } from "./presets.ts";
 *
 * const world = await generateWorld(worldPreset("smoke"));
 * const test = world.records.test as unknown as ConversationRecord[];
 * const popularity = referenceRowsWithUnits(world, "test")[2];
 * if (popularity.units.length !== groupConversations(test).length) throw new Error("units");
 * ```
 */
export function referenceRowsWithUnits(
  world: World,
  split: "val" | "test",
): { row: DemoRow; units: UnitScores[] }[] {
  const catalog = catalogFromItems(
    world.catalog.map((m) => ({ title: m.title, year: m.year, meta: {} })),
  );
  const lists = baselineLists(world, { split });
  const groups = groupConversations(world.records[split] as unknown as ConversationRecord[]);
  return Object.entries(REFERENCE_RANKERS).map(([ranker, label]) => {
    const totals = emptyTotals(DEMO_KS);
    const text = (id: string) =>
      lists[ranker as keyof typeof REFERENCE_RANKERS][id].map(([t, y]) => `${t} (${y})`).join("\n");
    for (const r of world.records[split]) {
      addScore(
        totals,
        scoreList(text(r.id), {
          seenTitles: r.seen_titles,
          groundTruth: r.groundtruth_with_release_year,
          catalog,
        }, { ks: DEMO_KS }),
      );
    }
    // every row of a conversation gets the same reference list (rankers read the prompt only)
    const units = groups.map((g) =>
      conversationUnit(text((g.rows[0] as { id: string }).id), g.rows, { catalog, ks: DEMO_KS })
    );
    return { row: summaryRow(split, label, "reference", totalsSummary(totals)), units };
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
 * @example
 * ```ts
 * const at = (v: number) => ({ "5": v, "10": v, "20": v });
 * const row = {
 *   split: "test",
 *   method: "SFT",
 *   stage: "sft" as const,
 *   records: 4,
 *   recall: at(0.5),
 *   ndcg: at(0.25),
 *   in_catalog: 1,
 * };
 * const lines = resultsTable([row]).split("\n");
 * if (!lines[0].startsWith("| split | method | R@5 | R@10 | R@20 | N@5 |")) {
 *   throw new Error(lines[0]);
 * }
 * if (!lines[2].startsWith("| test | SFT | 0.5000 |")) throw new Error(lines[2]);
 * ```
 */
export function resultsTable(rows: readonly DemoRow[]): string {
  const head = `| split | method | ${DEMO_KS.map((k) => `R@${k}`).join(" | ")} | ${
    DEMO_KS.map((k) => `N@${k}`).join(" | ")
  } | in-catalog | N@20 95% CI | R@20 95% CI |`;
  const sep = `|${"---|".repeat(5 + 2 * DEMO_KS.length)}`;
  const ci = (r: DemoRow, m: string) =>
    r.ci?.[m] ? `${r.ci[m].lo.toFixed(4)}–${r.ci[m].hi.toFixed(4)}` : "—";
  const body = rows.map((r) =>
    `| ${r.split} | ${r.method} | ${
      DEMO_KS.map((k) => r.recall[String(k)].toFixed(4)).join(" | ")
    } | ${DEMO_KS.map((k) => r.ndcg[String(k)].toFixed(4)).join(" | ")} | ${
      r.in_catalog.toFixed(4)
    } | ${ci(r, "ndcg@20")} | ${ci(r, "recall@20")} |`
  );
  return [head, sep, ...body].join("\n");
}

/**
 * A markdown table of paired differences: each metric's difference with its 95% CI, and whether the
 * CI excludes 0.
 * @example
 * ```ts
 * const v = { value: 0.1, lo: 0.05, hi: 0.15 };
 * const ci = Object.fromEntries(CI_METRICS.map((m) => [m, v]));
 * const diff = { label: "Rank-GRPO − SFT", a: "Rank-GRPO", b: "SFT", conversations: 10, ci };
 * const lines = differencesTable([diff]).split("\n");
 * if (!lines[0].startsWith("| difference | conversations | N@5 |")) throw new Error(lines[0]);
 * if (!lines[2].includes("+0.1000 [0.0500, 0.1500] *")) throw new Error(lines[2]);
 * ```
 */
export function differencesTable(diffs: readonly DemoDifference[]): string {
  const metrics = [...DEMO_KS.map((k) => `ndcg@${k}`), "recall@20"];
  const name = (m: string) => m.replace("ndcg@", "N@").replace("recall@", "R@");
  const head = `| difference | conversations | ${metrics.map(name).join(" | ")} |`;
  const sep = `|${"---|".repeat(2 + metrics.length)}`;
  const cell = (v: Interval) =>
    `${v.value >= 0 ? "+" : ""}${v.value.toFixed(4)} [${v.lo.toFixed(4)}, ${v.hi.toFixed(4)}]${
      v.lo > 0 || v.hi < 0 ? " *" : ""
    }`;
  const body = diffs.map((d) =>
    `| ${d.label} | ${d.conversations} | ${metrics.map((m) => cell(d.ci[m])).join(" | ")} |`
  );
  return [head, sep, ...body].join("\n");
}

/**
 * The results table as a plotly table figure.
 * @example
 * ```ts
 * const at = (v: number) => ({ "5": v, "10": v, "20": v });
 * const row = {
 *   split: "test",
 *   method: "SFT",
 *   stage: "sft" as const,
 *   records: 4,
 *   recall: at(0.5),
 *   ndcg: at(0.25),
 *   in_catalog: 1,
 * };
 * const fig = resultsTableFigure([row], "test split"); // a notebook shows it with showFigure(fig)
 * if (fig.data.length !== 1) throw new Error(`expected one table trace, got ${fig.data.length}`);
 * ```
 */
export function resultsTableFigure(rows: readonly DemoRow[], title: string): Figure {
  return table(flatRows(rows), { title, digits: 4 });
}

/**
 * Recall@20 and NDCG@20 of every row as grouped bars, with their 95% bootstrap CIs as error bars (a
 * row without a CI gets a zero-width bar).
 * @example
 * ```ts
 * const at = (v: number) => ({ "5": v, "10": v, "20": v });
 * const sft = {
 *   split: "test",
 *   method: "SFT",
 *   stage: "sft" as const,
 *   records: 4,
 *   recall: at(0.5),
 *   ndcg: at(0.25),
 *   in_catalog: 1,
 * };
 * const fig = resultsBars([sft, { ...sft, method: "Rank-GRPO", stage: "rl" as const }], "test");
 * if (fig.data.length !== 2) {
 *   throw new Error(`expected Recall@20 and NDCG@20, got ${fig.data.length}`);
 * }
 * ```
 */
export function resultsBars(rows: readonly DemoRow[], title: string): Figure {
  const series = (name: string, m: "recall" | "ndcg") => ({
    name,
    bars: rows.map((r) => {
      const value = r[m]["20"], ci = r.ci?.[`${m}@20`];
      return { x: r.method, value, lo: ci?.lo ?? value, hi: ci?.hi ?? value };
    }),
  });
  const fig = intervalBarChart([series("Recall@20", "recall"), series("NDCG@20", "ndcg")], {
    title: `${title} (error bars: 95% bootstrap CI over conversations)`,
    yTitle: "metric",
  });
  const margin = fig.layout.margin as Record<string, number>;
  return { ...fig, layout: { ...fig.layout, margin: { ...margin, b: 130 } } }; // room for the labels
}
