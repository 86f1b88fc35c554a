// The foundation on the real Reddit-v2 data (read in place from ../shared, never copied).
import { assertAlmostEquals, assertEquals } from "../_assert.ts";
import { REAL_CATALOG, REAL_SFT } from "../shared_data.ts";
import { loadCatalog } from "../../lib/catalog/catalog.ts";
import { parseList } from "../../lib/catalog/parse_list.ts";
import { readJsonlAll } from "../../lib/data/jsonl.ts";
import { completionText, ConversationRecordSchema } from "../../lib/data/record.ts";
import { scoreList, summarizeScores } from "../../lib/reward/score.ts";

const catalog = await loadCatalog(REAL_CATALOG);
const { records } = await readJsonlAll(REAL_SFT, ConversationRecordSchema);
const texts = records.map((r) => completionText(r.value)!);

Deno.test("real SFT demonstrations: 39 of 40 parse to 20 items; one line has a 3-digit year", () => {
  const parsed = texts.map(parseList);
  assertEquals(parsed.filter((p) => p.items.length === 20).length, 39);
  const odd = parsed.findIndex((p) => p.items.length !== 20);
  assertEquals(odd, 26);
  assertEquals([parsed[odd].items.length, parsed[odd].lines, parsed[odd].dropped], [19, 20, 1]);
  // the dropped line is "The Wall (201)": the catalog has ("The Wall", 201), the parser needs 4 digits
  assertEquals(catalog.has("The Wall", 201), true);
  assertEquals(texts[odd].split("\n")[14], "The Wall (201)");
});

Deno.test("real SFT demonstrations: 799 of the 800 lines are in-catalog items", () => {
  const scores = records.map((r, i) =>
    scoreList(texts[i], {
      seenTitles: r.value.seen_titles,
      groundTruth: r.value.groundtruth_with_release_year,
      catalog,
    })
  );
  const slots = scores.reduce((a, s) => a + s.compliance.slots, 0);
  const inCat = scores.reduce((a, s) => a + s.compliance.inCatalog, 0);
  assertEquals([inCat, slots], [799, 800]);
  assertEquals(summarizeScores(scores, [20]).in_catalog, 799 / 800);
});

Deno.test("real records scored by hand: record 0 (three hits at ranks 1–3)", () => {
  const r = records[0].value;
  // gt: This Is Spinal Tap 1984, A Mighty Wind 2003, Waiting for Guffman 1996; list starts with
  // A Mighty Wind, This Is Spinal Tap, Waiting for Guffman → hits at ranks 1, 2, 3
  const s = scoreList(texts[0], {
    seenTitles: r.seen_titles,
    groundTruth: r.groundtruth_with_release_year,
    catalog,
  }, { reward: { kind: "log" } });
  assertEquals(Array.from(s.hits.subarray(0, 4)), [1, 1, 1, 0]);
  const d2 = 1 / Math.log2(3), d3 = 0.5;
  assertAlmostEquals(s.rewards[0], 1 + d2 + d3);
  assertAlmostEquals(s.rewards[1], d2 + d3);
  assertAlmostEquals(s.rewards[2], d3);
  assertEquals(s.rewards[3], 0);
  assertEquals(s.recall, { 5: 1, 10: 1, 15: 1, 20: 1 });
  assertEquals(s.ndcg[20], 1);
});

Deno.test("real records scored by hand: a record with a miss pattern", () => {
  // Find a record whose first hit is below rank 1 and check recall/NDCG against a hand formula.
  const i = records.findIndex((rec, j) => {
    const s = scoreList(texts[j], {
      seenTitles: rec.value.seen_titles,
      groundTruth: rec.value.groundtruth_with_release_year,
      catalog,
    });
    return s.hits[0] === 0 && s.hits.some((h) => h === 1);
  });
  const r = records[i].value;
  const s = scoreList(texts[i], {
    seenTitles: r.seen_titles,
    groundTruth: r.groundtruth_with_release_year,
    catalog,
  });
  const positions = [...s.hits].flatMap((h, p) => h ? [p] : []);
  const nGt = r.groundtruth_with_release_year.length;
  const dcg = positions.filter((p) => p < 20).reduce(
    (a, p) => a + (p === 0 ? 1 : 1 / Math.log2(p + 2)),
    0,
  );
  let idcg = 0;
  for (let p = 0; p < Math.min(nGt, 20); p++) idcg += p === 0 ? 1 : 1 / Math.log2(p + 2);
  // every item of this demonstration is in-catalog and unseen, so the filtered list is the list itself
  assertEquals(s.inCatalog, 1);
  assertAlmostEquals(s.recall[20], positions.length / nGt);
  assertAlmostEquals(s.ndcg[20], dcg / idcg, 1e-12);
});
