// The notebook-01 helpers in lib/report: counting and distribution figures, record figures and the time
// split, world fingerprint and presets, reference points, and the line-by-line list explanation.
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { catalogFromItems } from "../../lib/catalog/catalog.ts";
import { generateWorld, type WorldMovie } from "../../lib/data/world/mod.ts";
import {
  countBars,
  countLabels,
  decadeBars,
  decadeLabel,
  genreBars,
  popularityBins,
} from "../../lib/report/catalog_figures.ts";
import { explainList } from "../../lib/report/list_explain.ts";
import {
  groundTruthPerReplyBars,
  integerCounts,
  repliesPerConversation,
  splitRows,
  splitTimeline,
} from "../../lib/report/record_figures.ts";
import {
  referenceBars,
  referenceRows,
  scoreReferenceRankers,
} from "../../lib/report/reference_points.ts";
import {
  describeRecord,
  firstRecordWith,
  recordRows,
  worldFingerprint,
  worldSummaryLine,
} from "../../lib/report/world_overview.ts";
import { worldPreset } from "../../lib/experiment/presets.ts";

const movie = (title: string, year: number, genre: string, votes: number): WorldMovie => ({
  title,
  year,
  meta: {
    genre,
    creative_type: "Fiction",
    director: null,
    mpaa: null,
    imdb_rating: 7,
    imdb_votes: votes,
  },
});

Deno.test("countLabels, decadeLabel, popularityBins, integerCounts: hand-computed", () => {
  assertEquals(countLabels(["b", "a", "b", "c"]), [
    { label: "b", count: 2 },
    { label: "a", count: 1 },
    { label: "c", count: 1 },
  ]);
  assertEquals(countLabels(["b", "a", "b"], { byLabel: true }).map((c) => c.label), ["a", "b"]);
  assertEquals([decadeLabel(1995), decadeLabel(2000), decadeLabel(1909)], [
    "1990s",
    "2000s",
    "1900s",
  ]);
  // log10: 1 → 0 (bin 0); 1000 → 3 and 3162 → 3.49999 (bin 6); 3163 → 3.50002 (bin 7).
  const movies = [1, 1000, 3162, 3163, 0].map((v, i) => movie(`m${i}`, 2000, "Drama", v));
  assertEquals(popularityBins(movies), [
    { label: "10^0.0–10^0.5", count: 2 },
    { label: "10^3.0–10^3.5", count: 2 },
    { label: "10^3.5–10^4.0", count: 1 },
  ]);
  assertEquals(integerCounts([3, 1, 3]), [
    { label: "1", count: 1 },
    { label: "2", count: 0 },
    { label: "3", count: 2 },
  ]);
  assertEquals(integerCounts([]), []);
  assertThrows(() => integerCounts([1.5]), "expected integers, got 1.5");
});

Deno.test("countBars / genreBars / decadeBars carry the counts and shares", () => {
  const fig = countBars([{ label: "a", count: 3 }, { label: "b", count: 1 }], { horizontal: true });
  assertEquals(fig.data[0].x, [3, 1]);
  assertEquals(fig.data[0].y, ["a", "b"]);
  assertEquals(fig.data[0].customdata, [0.75, 0.25]);
  const movies = [
    movie("A", 1994, "Drama", 10),
    movie("B", 2001, "Comedy", 10),
    movie("C", 1999, "Drama", 10),
  ];
  assertEquals(genreBars(movies).data[0].x, [2, 1]);
  assertEquals(genreBars(movies).data[0].y, ["Drama", "Comedy"]);
  assertEquals(decadeBars(movies).data[0].x, ["1990s", "2000s"]);
  assertEquals(decadeBars(movies).data[0].y, [2, 1]);
});

Deno.test("explainList: each parsing rule, hand-computed", () => {
  const catalog = catalogFromItems([
    { title: "Heat", year: 1995, meta: {} },
    { title: "Alien", year: 1979, meta: {} },
    { title: "Up", year: 2009, meta: {} },
    { title: "Jaws", year: 1975, meta: {} },
  ]);
  const ctx = {
    seenTitles: ["Up"],
    groundTruth: [["Heat", "1995"], ["Alien", "1979"]] as const,
    catalog,
  };
  const text = [
    "Here you go:",
    "1. **Heat (1995)**",
    '2) "Up" (2009)',
    "- Alien (1980)",
    "### Heat (1995)",
    "Jaws (1975)",
    "Nowhere Movie (2003)",
    "",
    "Alien (1979)",
  ].join("\n");
  const rows = explainList(text, ctx);
  assertEquals(rows.map((r) => [r.line, r.rank, r.title, r.year, r.hit ?? null, r.why]), [
    [1, null, null, null, null, "format violation"],
    [2, 1, "Heat", 1995, 1, "hit"],
    [3, 2, "Up", 2009, 0, "seen title"],
    [4, 3, "Alien", 1980, 0, "not in catalog (hallucinated or wrong year)"],
    [5, 4, "Heat", 1995, 0, "repeat (its ground truth already matched)"],
    [6, 5, "Jaws", 1975, 0, "not in ground truth"],
    [7, 6, "Nowhere Movie", 2003, 0, "not in catalog (hallucinated or wrong year)"],
    [8, 7, "Alien", 1979, 1, "hit"],
  ]);
  assertEquals(rows[1].raw, "1. **Heat (1995)**");
  assertEquals(explainList("Heat (1995)\nAlien (1979)", ctx, { n: 1 })[1].why, "beyond N=1");
});

Deno.test("world helpers on the smoke preset: fingerprint, split, records, reference points", async () => {
  assertThrows(() => worldPreset("big"), 'expected one of "smoke", "default", got "big"');
  assertEquals(worldPreset("smoke", { seed: 7 }).seed, 7);
  const world = await generateWorld(worldPreset("smoke"));
  const again = await generateWorld(worldPreset("smoke"));
  const other = await generateWorld(worldPreset("smoke", { seed: 7 }));
  assertEquals(worldFingerprint(world), worldFingerprint(again));
  assert(worldFingerprint(world) !== worldFingerprint(other));
  assert(
    worldSummaryLine(other).startsWith("world seed=7: 2576 movies; "),
    worldSummaryLine(other),
  );

  const total = world.records.train.length + world.records.val.length + world.records.test.length;
  const perConv = repliesPerConversation(world);
  assertEquals(perConv.size, 200 + 30 + 30);
  assertEquals([...perConv.values()].reduce((a, b) => a + b, 0), total);
  assert([...perConv.values()].every((n) => n >= 1 && n <= 3));
  const gtFig = groundTruthPerReplyBars(world);
  assertEquals((gtFig.data[0].y as number[]).reduce((a, b) => a + b, 0), total);
  const rows = splitRows(world);
  assertEquals(rows.map((r) => r.records), [
    world.records.train.length,
    world.records.val.length,
    world.records.test.length,
  ]);
  assertEquals(rows.map((r) => r.conversations), [200, 30, 30]);
  assert(rows[0].last_month! < rows[1].first_month! && rows[1].last_month! < rows[2].first_month!);
  const timeline = splitTimeline(world);
  const stacked = timeline.data.map((t) => (t.y as number[]).reduce((a, b) => a + b, 0));
  assertEquals(stacked, rows.map((r) => r.records));

  const rec = firstRecordWith(world.records.val, { minGroundTruth: 2, minSeen: 1 });
  assert(rec.groundtruth_with_release_year.length >= 2);
  assertThrows(() => firstRecordWith(world.records.val, { minGroundTruth: 51 }), "none of 61");
  const dump = describeRecord(rec);
  assert(dump.startsWith(`── ${rec.id} (val, ${rec.time}) ──\nUSER: `), dump);
  assert(!dump.includes("Pretend you are a movie recommender"), "prompt wrapper removed");
  const short = recordRows(world.records.val, { n: 2, textChars: 20 });
  assertEquals(short.length, 2);
  assertEquals(String(short[0].conversation).length, 20);

  const points = scoreReferenceRankers(world, { split: "val", ks: [5, 20] });
  assertEquals(points.map((p) => p.method), ["oracle", "tfidf_knn", "popularity"]);
  for (const p of points) {
    assertEquals(p.records, world.records.val.length);
    assertEquals(p.in_catalog, 1, `${p.method}: every reference list is in the catalog`);
    assert(p.recall["5"] <= p.recall["20"] && p.recall["20"] <= 1, JSON.stringify(p.recall));
  }
  assert(
    points[0].ndcg["20"] > points[1].ndcg["20"] && points[0].ndcg["20"] > points[2].ndcg["20"],
  );
  assertEquals(Object.keys(referenceRows(points)[0]), [
    "split",
    "method",
    "R@5",
    "R@20",
    "N@5",
    "N@20",
    "in_catalog",
    "records",
  ]);
  assertEquals(referenceBars(points).data[0].x, ["Recall@5", "Recall@20", "NDCG@5", "NDCG@20"]);
});
