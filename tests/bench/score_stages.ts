// Where `convrec score`'s time goes, in-process and cold as in the CLI: module loading, catalog load,
// and the streaming loop split into scoring and reading (everything else in the loop).
//
//   npx -y deno@2.9.6 run --allow-read tests/bench/score_stages.ts RECORDS.jsonl [CATALOG.csv]
//
// Run it once per process (a second pass in the same process would be warm). Make RECORDS.jsonl by
// cycling ../shared/data/reddit-v2/sft_sample.jsonl (tests/bench/score_process.ts does the same).

const t0 = performance.now();
const { loadCatalog } = await import("../../lib/catalog/catalog.ts");
const { readRecords } = await import("../../lib/data/read_records.ts");
const { addScore, emptyTotals, scoreList } = await import("../../lib/reward/score.ts");
const { completionText } = await import("../../lib/data/record.ts");
const t1 = performance.now();
const [records, catalogPath] = Deno.args;
if (records === undefined) throw new Error("usage: score_stages.ts RECORDS.jsonl [CATALOG.csv]");
const catalog = await loadCatalog(
  catalogPath ?? new URL("../../../shared/data/reddit-v2/catalog.csv", import.meta.url).pathname,
);
const t2 = performance.now();
let scoring = 0;
const totals = emptyTotals([5, 10, 15, 20]);
for await (const { record } of readRecords(records)) {
  const a = performance.now();
  const score = scoreList(completionText(record) ?? "", {
    seenTitles: record.seen_titles,
    groundTruth: record.groundtruth_with_release_year,
    catalog,
  });
  addScore(totals, score);
  scoring += performance.now() - a;
}
const t3 = performance.now();
const ms = (x: number) => Math.round(x);
console.log(JSON.stringify({
  records: totals.records,
  imports_ms: ms(t1 - t0),
  catalog_ms: ms(t2 - t1),
  reading_ms: ms(t3 - t2 - scoring),
  scoring_ms: ms(scoring),
  scoring_us_per_record: +(scoring * 1000 / totals.records).toFixed(1),
}));
