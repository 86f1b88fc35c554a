// Differential test: lib/ parsing, aligned hits, rank rewards and metrics against the independent Python
// reference (tests/reference/reference_scorer.py) on seeded adversarial outputs (tests/reference/fuzz_lists.py).

import { loadCatalog } from "../../lib/catalog/catalog.ts";
import { parseList } from "../../lib/catalog/parse_list.ts";
import { alignedHits, type ScoringContext } from "../../lib/reward/aligned_hits.ts";
import { listMetrics, type MetricVariant } from "../../lib/reward/metrics.ts";
import { rankReturns, sequenceDcg } from "../../lib/reward/rank_rewards.ts";

const PYTHON = "/usr/bin/python3";
const HERE = new URL(".", import.meta.url).pathname;
const REFERENCE = `${HERE}../reference/reference_scorer.py`;
const FUZZ = `${HERE}../reference/fuzz_lists.py`;
const DATA = `${HERE}../../../shared/data/reddit-v2`;
const CATALOG = `${DATA}/catalog.csv`;
const SFT = `${DATA}/sft_sample.jsonl`;
const SEED = 20250214;
const CASES = 4000;
const KS = [5, 10, 15, 20];
const METRIC_TOLERANCE = 1e-12;
const SHOWN_MISMATCHES = 5;

interface Case {
  id: number;
  text: string;
  seen_titles: string[];
  groundtruth: [string, string | number][];
  catalog_extra: [string, number][];
}

type VariantMetrics = { recall: Record<string, number>; ndcg: Record<string, number> } | {
  error: string;
};

interface Expected {
  id: number;
  items: [string, number][];
  lines: number;
  dropped: number;
  hits: number[];
  rewards_exp_inf: number[];
  rewards_log: number[];
  rewards_exp2: number[];
  dcg: number;
  metrics: Record<MetricVariant, VariantMetrics>;
}

/** Why this test cannot run here, or null when Python 3 with numpy and the real data are present. */
function missingPrerequisite(): string | null {
  try {
    Deno.statSync(CATALOG);
    Deno.statSync(SFT);
  } catch {
    return `real data not found at ${DATA}`;
  }
  try {
    const probe = new Deno.Command(PYTHON, { args: ["-c", "import numpy"], stderr: "null" })
      .outputSync();
    return probe.success ? null : `${PYTHON} has no numpy (apt-get install python3-numpy)`;
  } catch {
    return `${PYTHON} not found (apt-get install python3 python3-numpy)`;
  }
}

async function runPython(args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(PYTHON, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output(); // read while writing, or a full stdout pipe deadlocks the child
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await output;
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${PYTHON} ${args.join(" ")} failed (${out.code}):\n${err}`);
  return new TextDecoder().decode(out.stdout);
}

function jsonLines<T>(text: string): T[] {
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as T);
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function within(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= tol)) return false;
  return true;
}

/** Compares lib/ against the reference on one case; returns the names of what differs, with details. */
function compareCase(
  c: Case,
  want: Expected,
  base: ScoringContext["catalog"],
): string[] {
  const extra = new Set(c.catalog_extra.map(([t, y]) => `${y}\u0000${t}`));
  const ctx: ScoringContext = {
    seenTitles: c.seen_titles,
    groundTruth: c.groundtruth,
    catalog: { has: (t, y) => base.has(t, y) || extra.has(`${y}\u0000${t}`) },
  };
  const diffs: string[] = [];
  const parsed = parseList(c.text);
  if (JSON.stringify(parsed.items) !== JSON.stringify(want.items)) {
    diffs.push(`items: ts ${JSON.stringify(parsed.items)} py ${JSON.stringify(want.items)}`);
  }
  if (parsed.lines !== want.lines || parsed.dropped !== want.dropped) {
    diffs.push(
      `lines/dropped: ts ${parsed.lines}/${parsed.dropped} py ${want.lines}/${want.dropped}`,
    );
  }
  const hits = alignedHits(parsed.items, ctx, { n: 20 });
  if (!sameBits(hits, want.hits)) diffs.push(`hits: ts ${hits.join("")} py ${want.hits.join("")}`);
  const expInf = rankReturns(hits, { kind: "exp_inf" });
  if (!sameBits(expInf, want.rewards_exp_inf)) diffs.push("rewards exp_inf");
  const log = rankReturns(hits, { kind: "log" });
  if (!sameBits(log, want.rewards_log)) {
    diffs.push(`rewards log (not bit-identical): ts ${[...log]} py ${want.rewards_log}`);
  }
  if (!Object.is(sequenceDcg(hits), want.dcg)) {
    diffs.push(`dcg: ts ${sequenceDcg(hits)} py ${want.dcg}`);
  }
  const exp2 = rankReturns(hits, { kind: "exp", gamma: 2 });
  if (!within(exp2, want.rewards_exp2, METRIC_TOLERANCE)) diffs.push("rewards exp:2");
  for (const variant of ["filter-first", "truncate-first"] as const) {
    const expected = want.metrics[variant];
    let got: ReturnType<typeof listMetrics> | Error;
    try {
      got = listMetrics(parsed.items, ctx, KS, variant);
    } catch (e) {
      got = e as Error;
    }
    if ("error" in expected) {
      if (!(got instanceof Error)) diffs.push(`${variant}: ts gave numbers, py: ${expected.error}`);
      continue;
    }
    if (got instanceof Error) {
      diffs.push(`${variant}: ts threw "${got.message}", py gave ${JSON.stringify(expected)}`);
      continue;
    }
    for (const k of KS) {
      const [r, n] = [got.recall[k], got.ndcg[k]];
      const [er, en] = [expected.recall[String(k)], expected.ndcg[String(k)]];
      if (!within([r, n], [er, en], METRIC_TOLERANCE)) {
        diffs.push(`${variant} @${k}: ts recall ${r} ndcg ${n}, py recall ${er} ndcg ${en}`);
      }
    }
  }
  return diffs;
}

const missing = missingPrerequisite();

Deno.test({
  name: missing === null
    ? `lib/ scoring equals the Python reference on ${CASES} adversarial cases`
    : `lib/ scoring equals the Python reference (skipped: ${missing})`,
  ignore: missing !== null,
  fn: async () => {
    const casesText = await runPython([
      FUZZ,
      "--catalog",
      CATALOG,
      "--sft",
      SFT,
      "--seed",
      String(SEED),
      "--count",
      String(CASES),
    ]);
    const expectedText = await runPython([REFERENCE, "--catalog", CATALOG], casesText);
    const cases = jsonLines<Case>(casesText);
    const expected = jsonLines<Expected>(expectedText);
    if (cases.length !== CASES || expected.length !== CASES) {
      throw new Error(
        `expected ${CASES} cases and answers, got ${cases.length} and ${expected.length}`,
      );
    }
    const catalog = await loadCatalog(CATALOG);
    const failures: string[] = [];
    let withHits = 0;
    let withItems = 0;
    for (let i = 0; i < cases.length; i++) {
      if (expected[i].id !== cases[i].id) {
        throw new Error(`answer ${i} is for case ${expected[i].id}`);
      }
      if (expected[i].hits.some((h) => h === 1)) withHits++;
      if (expected[i].items.length > 0) withItems++;
      const diffs = compareCase(cases[i], expected[i], catalog);
      if (diffs.length > 0) {
        failures.push(
          `case ${cases[i].id} text ${JSON.stringify(cases[i].text).slice(0, 400)}\n` +
            `  seen ${JSON.stringify(cases[i].seen_titles)} gt ${
              JSON.stringify(cases[i].groundtruth)
            }\n  ` +
            diffs.join("\n  "),
        );
      }
    }
    console.log(
      `compared ${cases.length} cases (seed ${SEED}): ${withItems} with parsed items, ` +
        `${withHits} with ≥1 hit; ${failures.length} differ`,
    );
    // The fuzzer must actually exercise the matcher, or the comparison proves little.
    if (withHits < CASES / 4) throw new Error(`only ${withHits} cases have a hit: fuzzer too weak`);
    if (failures.length > 0) {
      throw new Error(
        `${failures.length} of ${cases.length} cases differ from the reference; first ones:\n` +
          failures.slice(0, SHOWN_MISMATCHES).join("\n"),
      );
    }
  },
});
