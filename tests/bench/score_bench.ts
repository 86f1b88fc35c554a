// Throughput of parse + aligned hits + log rewards on the real SFT records (replicated), side by side
// with the Python reference (tests/reference/reference_scorer.py --bench) run in the same session.

import { type Catalog, loadCatalog } from "../../lib/catalog/catalog.ts";
import { parseList } from "../../lib/catalog/parse_list.ts";
import { alignedHits, type ScoringContext } from "../../lib/reward/aligned_hits.ts";
import { rankReturns } from "../../lib/reward/rank_rewards.ts";

const HERE = new URL(".", import.meta.url).pathname;
const DATA = `${HERE}../../../shared/data/reddit-v2`;
const CATALOG = `${DATA}/catalog.csv`;
const SFT = `${DATA}/sft_sample.jsonl`;
const REFERENCE = `${HERE}../reference/reference_scorer.py`;
const PYTHON = "/usr/bin/python3";
const RECORDS = 10_000;
const ROUNDS = 7;
const N = 20;

interface BenchRecord {
  text: string;
  ctx: ScoringContext;
}

/** The real records cycled to `count`, each with its list text and scoring context. */
function replicate(lines: string[], catalog: Catalog, count: number): BenchRecord[] {
  const base = lines.filter((l) => l.trim() !== "").map((l) => {
    const r = JSON.parse(l);
    return {
      text: r.completion[0].content as string,
      ctx: { seenTitles: r.seen_titles, groundTruth: r.groundtruth_with_release_year, catalog },
    };
  });
  return Array.from({ length: count }, (_, i) => base[i % base.length]);
}

/** One pass over the records; returns the summed DCG@20 so the work cannot be optimised away. */
function scoreAll(records: readonly BenchRecord[]): number {
  const hits = new Uint8Array(N);
  const rewards = new Float64Array(N);
  let checksum = 0;
  for (const { text, ctx } of records) {
    alignedHits(parseList(text).items, ctx, { n: N, out: hits });
    rankReturns(hits, { kind: "log" }, rewards);
    checksum += rewards[0];
  }
  return checksum;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Records/s of one timed pass over the records (the work is checked through the checksum). */
function timeTsPass(records: readonly BenchRecord[]): { rate: number; checksum: number } {
  const t0 = performance.now();
  const checksum = scoreAll(records);
  return { rate: records.length / ((performance.now() - t0) / 1000), checksum };
}

/**
 * One timed pass of the Python reference over the same records (it times its own loop, so interpreter
 * start-up and catalog loading are not counted); null, with the reason printed, when it cannot run.
 */
async function timePythonPass(): Promise<{ rate: number; checksum: number } | null> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: [
        REFERENCE,
        "--catalog",
        CATALOG,
        "--data",
        SFT,
        "--bench",
        String(RECORDS),
        "--repeat",
        "1",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      console.log(`python reference skipped: ${new TextDecoder().decode(out.stderr).trim()}`);
      return null;
    }
    const res = JSON.parse(new TextDecoder().decode(out.stdout));
    return { rate: res.records_per_s_median, checksum: res.checksum_dcg };
  } catch (e) {
    console.log(`python reference skipped: ${PYTHON} not runnable (${(e as Error).message})`);
    return null;
  }
}

const catalog = await loadCatalog(CATALOG);
const records = replicate((await Deno.readTextFile(SFT)).split("\n"), catalog, RECORDS);

// Side by side: TS and Python passes alternate, so load from other processes hits both alike.
scoreAll(records); // warm-up (JIT)
const tsRates: number[] = [];
const pyRates: number[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const py = await timePythonPass();
  const ts = timeTsPass(records);
  tsRates.push(ts.rate);
  if (py === null) continue;
  if (Math.abs(py.checksum - ts.checksum) > 1e-9 * Math.max(1, Math.abs(ts.checksum))) {
    throw new Error(
      `checksums differ: TS ${ts.checksum}, Python ${py.checksum} (not the same work)`,
    );
  }
  pyRates.push(py.rate);
  ratios.push(ts.rate / py.rate);
}
console.log(
  `side by side, ${RECORDS} records, median of ${ROUNDS} alternating rounds: ` +
    `TS ${Math.round(median(tsRates))} records/s` +
    (pyRates.length === 0 ? " (Python reference not run)" : `, Python reference ` +
      `${Math.round(median(pyRates))} records/s, TS/Python ${median(ratios).toFixed(2)}x`),
);

Deno.bench({
  name: `parse + aligned hits + log rewards, ${RECORDS} real records`,
  group: "score",
  baseline: true,
  fn: () => {
    scoreAll(records);
  },
});

Deno.bench({
  name: `parse only, ${RECORDS} real records`,
  group: "score",
  fn: () => {
    for (const { text } of records) parseList(text);
  },
});

const parsed = records.map((r) => parseList(r.text).items);
Deno.bench({
  name: `aligned hits + log rewards only (pre-parsed), ${RECORDS} real records`,
  group: "score",
  fn: () => {
    const hits = new Uint8Array(N);
    const rewards = new Float64Array(N);
    for (let i = 0; i < records.length; i++) {
      alignedHits(parsed[i], records[i].ctx, { n: N, out: hits });
      rankReturns(hits, { kind: "log" }, rewards);
    }
  },
});
