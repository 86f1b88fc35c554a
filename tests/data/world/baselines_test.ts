// Tests of the world's reference rankers: hand-made cases for popularity / TF-IDF kNN / top-unseen, and
// the ordering oracle > TF-IDF kNN > popularity on the default world's val split (scored with lib/reward).
import { assert, assertEquals } from "../../_assert.ts";
import type { Item } from "../../../lib/catalog/parse_list.ts";
import type { ScoringContext } from "../../../lib/reward/aligned_hits.ts";
import { listMetrics } from "../../../lib/reward/metrics.ts";
import {
  baselineLists,
  fitTfidfKnn,
  popularityOrder,
  type RankedList,
  tfidfKnnRank,
  tokenize,
  topUnseen,
} from "../../../lib/data/world/baselines.ts";
import { generateWorld, type WorldRecord } from "../../../lib/data/world/generate.ts";
import type { WorldMovie } from "../../../lib/data/world/movies.ts";
import { wrapConversation } from "../../../lib/data/world/prompt.ts";

function movie(title: string, year: number, votes: number): WorldMovie {
  return {
    title,
    year,
    meta: {
      genre: "Drama",
      creative_type: "Fantasy",
      director: null,
      mpaa: null,
      imdb_rating: 7,
      imdb_votes: votes,
    },
  };
}

function rec(id: string, text: string, gt: [string, string][]): WorldRecord {
  return {
    prompt: [{ role: "user", content: wrapConversation(text) }],
    seen_titles: [],
    groundtruth_with_release_year: gt,
    id,
    split: "train",
    time: "2012-01",
  };
}

Deno.test("tokenize: lower-case unigrams and bigrams", () => {
  assertEquals(tokenize("Love rom-coms!"), ["love", "rom-coms", "love rom-coms"]);
});

Deno.test("popularityOrder: train ground-truth counts, then IMDB votes; topUnseen skips seen titles", () => {
  const catalog = [
    movie("A", 2000, 10),
    movie("B", 2001, 500),
    movie("C", 2002, 100),
    movie("D", 2003, 1),
  ];
  const train = [
    rec("1", "USER: x\n", [["D", "2003"], ["C", "2002"]]),
    rec("2", "USER: y\n", [["D", "2003"]]),
  ];
  const order = popularityOrder(train, catalog);
  assertEquals(order, [["D", "2003"], ["C", "2002"], ["B", "2001"], ["A", "2000"]]);
  assertEquals(topUnseen(order, ["C"], { k: 2 }), [["D", "2003"], ["B", "2001"]]);
  assertEquals(topUnseen(order, [], { k: 3, taken: [["B", "2001"]] }), [["B", "2001"], [
    "D",
    "2003",
  ], ["C", "2002"]]);
});

Deno.test("tfidfKnnRank: items of the most similar conversations first, summed by similarity", () => {
  const train = [
    rec("1", "USER: I love westerns and cowboys\n", [["West", "1990"], ["Both", "1995"]]),
    rec("2", "USER: I love horror and slashers\n", [["Scary", "1980"], ["Both", "1995"]]),
    rec("3", "USER: westerns please, cowboys galore\n", [["West2", "1991"]]),
  ];
  const index = fitTfidfKnn(train);
  const ranked = tfidfKnnRank(index, "USER: any westerns with cowboys?\n", [], {
    k: 5,
    neighbors: 2,
  });
  assertEquals(ranked.slice(0, 1), [["West", "1990"]]);
  assert(!ranked.some(([t]) => t === "Scary"), "horror conversation must not be a top-2 neighbour");
  const fallback: RankedList = [["Z", "2000"], ["West", "1990"]];
  const filled = tfidfKnnRank(index, "USER: westerns\n", ["West"], {
    k: 5,
    neighbors: 1,
    fallback,
  });
  assert(!filled.some(([t]) => t === "West"), "seen titles are skipped");
  assertEquals(filled.at(-1), ["Z", "2000"]);
});

Deno.test("default world, val split: oracle > TF-IDF kNN > popularity on Recall and NDCG @ 5/10/20", async () => {
  const world = await generateWorld({});
  const t0 = performance.now();
  const lists = baselineLists(world, { split: "val" });
  const ms = performance.now() - t0;
  const catalog = new Set(world.catalog.map((m) => `${m.title}\u0000${m.year}`));
  const ks = [5, 10, 20];
  const table: Record<string, Record<string, number>> = {};
  for (const name of ["oracle", "tfidf_knn", "popularity"] as const) {
    const byId = lists[name];
    const sums: Record<string, number> = {};
    for (const r of world.records.val) {
      const list = byId[r.id];
      assertEquals(list.length, 20);
      const ctx: ScoringContext = {
        seenTitles: r.seen_titles,
        groundTruth: r.groundtruth_with_release_year,
        catalog: { has: (t, y) => catalog.has(`${t}\u0000${y}`) },
      };
      const items: Item[] = list.map(([t, y]) => [t, Number(y)]);
      const m = listMetrics(items, ctx, ks, "filter-first");
      for (const k of ks) {
        sums[`recall@${k}`] = (sums[`recall@${k}`] ?? 0) + m.recall[k];
        sums[`ndcg@${k}`] = (sums[`ndcg@${k}`] ?? 0) + m.ndcg[k];
      }
    }
    table[name] = Object.fromEntries(
      Object.entries(sums).map(([k, v]) => [k, v / world.records.val.length]),
    );
  }
  const cols = ks.flatMap((k) => [`recall@${k}`, `ndcg@${k}`]);
  console.log(`val records: ${world.records.val.length}; baselines took ${ms.toFixed(0)} ms`);
  console.log(`| ranker | ${cols.join(" | ")} |`);
  for (const [name, row] of Object.entries(table)) {
    console.log(`| ${name} | ${cols.map((c) => row[c].toFixed(3)).join(" | ")} |`);
  }
  for (const c of cols) {
    assert(
      table.oracle[c] > table.tfidf_knn[c],
      `${c}: oracle ${table.oracle[c]} ≤ kNN ${table.tfidf_knn[c]}`,
    );
    assert(
      table.tfidf_knn[c] > table.popularity[c],
      `${c}: kNN ${table.tfidf_knn[c]} ≤ pop ${table.popularity[c]}`,
    );
  }
  assert(table.oracle["recall@20"] > 0.5, "the oracle should find most of the ground truth");
});
