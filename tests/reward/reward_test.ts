import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import type { Item } from "../../lib/catalog/parse_list.ts";
import { alignedHits, type ScoringContext } from "../../lib/reward/aligned_hits.ts";
import {
  discounts,
  parseRewardSpec,
  rankReturns,
  rankReturnsBatch,
  sequenceDcg,
} from "../../lib/reward/rank_rewards.ts";
import {
  dcgAtK,
  directMatchHits,
  listMetrics,
  ndcgAtK,
  recallAtK,
} from "../../lib/reward/metrics.ts";
import { scoreList, summarizeScores } from "../../lib/reward/score.ts";
import { hitsBatch } from "../../lib/reward/batch.ts";

const CAT: Item[] = [
  ["Heat", 1995],
  ["Alien", 1979],
  ["Aliens", 1986],
  ["Up", 2009],
  ["Cars", 2006],
  ["Heat", 1986],
  ["Straße", 2000],
];
const catalog = {
  has: (t: string, y: number) => CAT.some(([ct, cy]) => ct === t && cy === y),
};
const ctx = (gt: [string, string][], seen: string[] = []): ScoringContext => ({
  seenTitles: seen,
  groundTruth: gt,
  catalog,
});
const L = (h: Uint8Array, n = 6) => Array.from(h.subarray(0, n));

Deno.test("alignedHits: exact hit, casefold + whitespace title match, catalog and seen rules", () => {
  const items: Item[] = [["Heat", 1995], ["alien", 1979], ["Alien", 1979], ["Up", 2009], [
    "Cars",
    2006,
  ]];
  const h = alignedHits(
    items,
    ctx([["HEAT ", "1995"], ["alien", "1979"], ["Cars", "2006"]], ["Cars"]),
  );
  // "alien" (lowercase) is not in the catalog → 0; "Alien" matches gt "alien" by casefold; Cars is seen
  assertEquals(L(h), [1, 0, 1, 0, 0, 0]);
  assertEquals(h.length, 20);
});

Deno.test("alignedHits: year tolerance ±2, exact first, + before −, consumed once", () => {
  // gt years 1993 and 1997 around a 1995 item: +2 (1997) tried before −2 (1993)
  assertEquals(L(alignedHits([["Heat", 1995]], ctx([["Heat", "1993"], ["Heat", "1997"]]))), [
    1,
    0,
    0,
    0,
    0,
    0,
  ]);
  // ±3 is too far
  assertEquals(L(alignedHits([["Heat", 1995]], ctx([["Heat", "1998"]]))), [0, 0, 0, 0, 0, 0]);
  // ±1
  assertEquals(L(alignedHits([["Heat", 1995]], ctx([["Heat", "1994"]]))), [1, 0, 0, 0, 0, 0]);
  // repeats: one gt occurrence scores once; two occurrences score twice
  const rep: Item[] = [["Heat", 1995], ["Heat", 1995], ["Heat", 1995]];
  assertEquals(L(alignedHits(rep, ctx([["Heat", "1995"]]))), [1, 0, 0, 0, 0, 0]);
  assertEquals(L(alignedHits(rep, ctx([["Heat", "1995"], ["Heat", "1996"]]))), [1, 1, 0, 0, 0, 0]);
  // exact year is tried first: item 1986 takes gt 1986, leaving gt 1995 for item 1995
  const two: Item[] = [["Heat", 1986], ["Heat", 1995]];
  assertEquals(L(alignedHits(two, ctx([["Heat", "1995"], ["Heat", "1986"]]))), [1, 1, 0, 0, 0, 0]);
});

Deno.test("alignedHits: only the first N items count; invalid gt years are skipped", () => {
  const items: Item[] = [...Array(20)].map(() => ["Cars", 2006] as Item);
  items.push(["Up", 2009]);
  assertEquals(Array.from(alignedHits(items, ctx([["Up", "2009"]]))).reduce((a, b) => a + b), 0);
  assertEquals(L(alignedHits([["Up", 2009]], ctx([["Up", "n/a"], ["Up", " 2009 "]]))), [
    1,
    0,
    0,
    0,
    0,
    0,
  ]);
  assertEquals(alignedHits([["Up", 2009]], ctx([["Up", "2009"]]), { n: 3 }).length, 3);
  assertEquals(L(alignedHits([["Straße", 2000]], ctx([["STRASSE", "2000"]]))), [1, 0, 0, 0, 0, 0]);
});

Deno.test("rank rewards: exp∞, log (DCG@k:N), exp_Γ, sequence DCG — hand computed", () => {
  const d = discounts(4); // [1, 1/log2 3, 1/2, 1/log2 5]
  assertAlmostEquals(d[1], 0.6309297535714575);
  assertEquals(d[2], 0.5);
  const hits = Uint8Array.of(0, 1, 1, 0);
  assertEquals(Array.from(rankReturns(hits, { kind: "exp_inf" })), [0, 1, 1, 0]);
  const log = rankReturns(hits, { kind: "log" });
  assertAlmostEquals(log[0], d[1] + 0.5);
  assertAlmostEquals(log[1], d[1] + 0.5);
  assertAlmostEquals(log[2], 0.5);
  assertEquals(log[3], 0);
  assertEquals(Array.from(rankReturns(hits, { kind: "exp", gamma: 2 })), [0.75, 1.5, 1, 0]);
  assertAlmostEquals(sequenceDcg(hits), d[1] + 0.5);
  assertEquals(sequenceDcg(new Uint8Array(20)), 0);
  // Γ → ∞ approaches exp∞; Γ = 1 is the undiscounted suffix count
  assertEquals(Array.from(rankReturns(hits, { kind: "exp", gamma: 1 })), [2, 2, 1, 0]);
});

Deno.test("rank rewards: batch over G×N rows equals row-by-row", () => {
  const g = 3, n = 20;
  const hits = new Uint8Array(g * n).map((_, i) => (i * 7) % 3 === 0 ? 1 : 0);
  const batch = rankReturnsBatch(hits, n, { kind: "log" });
  for (let r = 0; r < g; r++) {
    assertEquals(
      Array.from(batch.subarray(r * n, r * n + n)),
      Array.from(rankReturns(hits.subarray(r * n, r * n + n), { kind: "log" })),
    );
  }
  assertThrows(() => rankReturnsBatch(new Uint8Array(7), 20, { kind: "log" }), "multiple");
});

Deno.test("parseRewardSpec", () => {
  assertEquals(parseRewardSpec("exp_inf"), { kind: "exp_inf" });
  assertEquals(parseRewardSpec("log"), { kind: "log" });
  assertEquals(parseRewardSpec("exp:1.5"), { kind: "exp", gamma: 1.5 });
  assertThrows(() => parseRewardSpec("exp:0"), "positive");
  assertThrows(() => parseRewardSpec("dcg"), "expected exp_inf");
});

Deno.test("metrics: authors' recall and NDCG with their IDCG over min(#gt, list length)", () => {
  assertEquals(recallAtK(Uint8Array.of(0, 1, 1), 2, 2), 0.5);
  assertEquals(recallAtK(new Uint8Array(0), 2, 5), 0);
  assertEquals(dcgAtK(Uint8Array.of(1), 5), 1);
  // one hit at rank 2 of a 2-item list with 1 gt: (1/log2 3) / 1
  assertAlmostEquals(ndcgAtK(Uint8Array.of(0, 1), 1, 5), 0.6309297535714575);
  // 3 gt but a 2-item list: ideal has 2 hits
  assertAlmostEquals(ndcgAtK(Uint8Array.of(1, 1), 3, 5), 1);
  // k cuts the DCG but the ideal list keeps its length rule
  assertAlmostEquals(ndcgAtK(Uint8Array.of(0, 1, 1), 2, 1), 0);
});

Deno.test("metrics: direct match is case-sensitive, first position within ±2, gt not consumed", () => {
  const f: Item[] = [["Heat", 1995], ["Heat", 1995], ["heat", 1995]];
  assertEquals(Array.from(directMatchHits(f, [["Heat", "1997"]])), [1, 0, 0]);
  assertEquals(Array.from(directMatchHits(f, [["heat", "1995"]])), [0, 0, 1]);
  // two identical gt rows mark the same first item
  assertEquals(Array.from(directMatchHits(f, [["Heat", "1995"], ["Heat", "1995"]])), [1, 0, 0]);
  assertThrows(() => directMatchHits(f, [["Heat", "19x5"]]), "not an integer");
});

Deno.test("metrics: filter-first vs truncate-first differ when junk occupies the top slots", () => {
  const items: Item[] = [["Nope", 2001], ["Cars", 2006], ["Up", 2009], ["Heat", 1995]];
  const c = ctx([["Heat", "1995"], ["Up", "2009"]], ["Cars"]);
  const ff = listMetrics(items, c, [1, 2, 3], "filter-first");
  // filtered list = [Up, Heat] → hits [1,1]
  assertEquals(ff.recall, { 1: 0.5, 2: 1, 3: 1 });
  assertEquals(ff.ndcg[2], 1);
  const tf = listMetrics(items, c, [1, 2, 3], "truncate-first");
  // top1 = [Nope] → []; top2 = [Nope, Cars] → []; top3 → [Up] → hits [1]
  assertEquals(tf.recall, { 1: 0, 2: 0, 3: 0.5 });
  assertEquals(tf.ndcg, { 1: 0, 2: 0, 3: 1 });
  assertThrows(() => listMetrics(items, ctx([]), [5], "filter-first"), "empty");
});

Deno.test("scoreList + summarizeScores: compliance pooled over the first N lines", () => {
  const text = "1. Heat (1995)\nSome commentary\n2. Alien (1979)\n3. Made Up (2011)";
  const s = scoreList(text, ctx([["Alien", "1979"]]), { reward: { kind: "log" }, ks: [5] });
  assertEquals(s.items, [["Heat", 1995], ["Alien", 1979], ["Made Up", 2011]]);
  assertEquals(s.dropped, 1);
  assertEquals(L(s.hits, 3), [0, 1, 0]);
  assertAlmostEquals(s.rewards[0], 0.6309297535714575);
  assertEquals(s.compliance, { slots: 4, inCatalog: 2, violations: 1 });
  assertEquals(s.inCatalog, 0.5);
  assertEquals(s.recall[5], 1);
  const sum = summarizeScores([s, s], [5]);
  assertEquals(sum.records, 2);
  assertEquals(sum.in_catalog, 0.5);
  assertEquals(sum.format_violations, 0.25);
  assert(Math.abs(sum.ndcg["5"] - 0.6309297535714575) < 1e-15);
});

Deno.test("hitsBatch: rows scored against their prompt's context, equal to one-by-one scoring", () => {
  const texts = [
    "Heat (1995)\nAlien (1979)",
    "junk\nAlien (1979)",
    "Up (2009)",
    "Cars (2006)\nUp (2009)",
  ];
  const c0 = ctx([["Alien", "1979"]]);
  const c1 = ctx([["Up", "2009"]], ["Cars"]);
  const b = hitsBatch(texts, [c0, c1], { g: 2 });
  assertEquals(b.hits.length, 80);
  assertEquals(Array.from(b.hits.subarray(0, 3)), [0, 1, 0]);
  assertEquals(Array.from(b.hits.subarray(20, 23)), [1, 0, 0]); // "junk" is dropped, Alien is item 1
  assertEquals(Array.from(b.hits.subarray(40, 42)), [1, 0]);
  assertEquals(Array.from(b.hits.subarray(60, 62)), [0, 1]); // Cars is seen
  assertEquals(Array.from(b.items), [2, 1, 1, 2]);
  assertEquals(Array.from(b.dropped), [0, 1, 0, 0]);
  assertEquals(Array.from(b.inCatalog), [2, 1, 1, 2]);
  assertEquals(Array.from(b.slots), [2, 2, 1, 2]);
  for (let i = 0; i < 4; i++) {
    const one = scoreList(texts[i], i < 2 ? c0 : c1);
    assertEquals(Array.from(b.hits.subarray(i * 20, i * 20 + 20)), Array.from(one.hits));
  }
  assertThrows(() => hitsBatch(texts, [c0], { g: 2 }), "expected 2");
});

Deno.test("metrics: a bad ground-truth year only matters when an item is left to compare (authors)", () => {
  const bad = ctx([["Heat", "n/a"]]);
  assertEquals(listMetrics([], bad, [5], "filter-first"), { recall: { 5: 0 }, ndcg: { 5: 0 } });
  assertThrows(() => listMetrics([["Heat", 1995]], bad, [5], "filter-first"), "not an integer");
});
