// The popularity reference from record files: catalog items ranked by ground-truth count in training
// records, scored on the same rows a model evaluation uses. Not in the paper (the world's calibration point).

import type { Catalog } from "../catalog/catalog.ts";
import type { ConversationRecord } from "../data/record.ts";
import { type RankedList, topUnseen } from "../data/world/baselines.ts";
import { movieKey } from "../data/world/movies.ts";
import { emptyTotals, totalsSummary } from "../reward/score.ts";
import { addConversationScores, groupConversations } from "../train/eval/evaluate.ts";

/**
 * Catalog items ordered by how often they are ground truth in `train`, then by the catalog's
 * `imdb_votes` column (absent → 0, as in the Reddit-v2 catalog), then by catalog order: the same full
 * ranking as the world's `popularityOrder` (lib/data/world/baselines.ts), computed from files.
 *
 * @example
 * ```ts
 * import { loadCatalog } from "../catalog/catalog.ts";
 * import { readJsonlAll } from "../data/jsonl.ts";
 * import { ConversationRecordSchema } from "../data/record.ts";
 * const catalog = await loadCatalog("tests/fixtures/cli/catalog.csv");
 * const { records } = await readJsonlAll("tests/fixtures/cli/records.jsonl", ConversationRecordSchema);
 * const order = popularityRanking(records.map((r) => r.value), catalog);
 * order[0]; // ["Title", "1999"]: the most frequent training ground truth
 * ```
 */
export function popularityRanking(
  train: readonly ConversationRecord[],
  catalog: Catalog,
): RankedList {
  const counts = new Map<string, number>();
  for (const r of train) {
    for (const [t, y] of r.groundtruth_with_release_year) {
      const key = movieKey(t, y);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const items = catalog.items;
  const count = items.map((m) => counts.get(movieKey(m.title, m.year)) ?? 0);
  const votes = items.map((m) => Number(m.meta.imdb_votes ?? 0));
  const idx = items.map((_, i) => i);
  idx.sort((a, b) => count[b] - count[a] || votes[b] - votes[a] || a - b);
  return idx.map((i) => [items[i].title, String(items[i].year)]);
}

/** Options of {@link popularityReference}. */
export interface PopularityReferenceOptions {
  /** The catalog the lists are ranked over and scored against. */
  catalog: Catalog;
  /** Cutoffs for Recall/NDCG. */
  ks: readonly number[];
  /** Only the first N conversations (as `evalGeneration` takes them) @default all */
  conversations?: number | null;
}

/** Popularity scores on the evaluated rows: `recall@k` and `ndcg@k` for each k, and the row counts. */
export interface PopularityReference {
  /** `{ "recall@5": …, "ndcg@5": …, … }` */
  metrics: Record<string, number>;
  rows: number;
  conversations: number;
}

/**
 * Scores the popularity ranking of `train` on `records`, exactly on the rows `evalGeneration` scores: the
 * first `conversations` groups of {@link groupConversations}, one list per conversation (its first row's
 * seen titles skipped) scored against each of its rows with the default scorer (filter-first). Each list
 * holds max(20, …ks) items rendered `Title (Year)` per line, as `scoreReferenceRankers` does.
 *
 * @example
 * ```ts
 * import { loadCatalog } from "../catalog/catalog.ts";
 * import { readJsonlAll } from "../data/jsonl.ts";
 * import { ConversationRecordSchema } from "../data/record.ts";
 * const catalog = await loadCatalog("tests/fixtures/cli/catalog.csv");
 * const { records } = await readJsonlAll("tests/fixtures/cli/records.jsonl", ConversationRecordSchema);
 * const rows = records.map((r) => r.value); // here the same records train and are scored
 * const ref = popularityReference(rows, rows, { catalog, ks: [5, 10, 20] });
 * if (!(ref.metrics["ndcg@20"] >= 0)) throw new Error(JSON.stringify(ref.metrics));
 * ```
 */
export function popularityReference(
  records: readonly ConversationRecord[],
  train: readonly ConversationRecord[],
  options: PopularityReferenceOptions,
): PopularityReference {
  const ranking = popularityRanking(train, options.catalog);
  const k = Math.max(20, ...options.ks);
  const groups = groupConversations(records).slice(0, options.conversations ?? undefined);
  const totals = emptyTotals(options.ks);
  for (const g of groups) {
    const list = topUnseen(ranking, g.rows[0].seen_titles, { k });
    const text = list.map(([t, y]) => `${t} (${y})`).join("\n");
    addConversationScores(totals, text, g.rows, options);
  }
  const s = totalsSummary(totals);
  const metrics: Record<string, number> = {};
  for (const cut of options.ks) {
    metrics[`recall@${cut}`] = s.recall[cut];
    metrics[`ndcg@${cut}`] = s.ndcg[cut];
  }
  return { metrics, rows: s.records, conversations: groups.length };
}
