// `convrec score`: scores generated lists in a records file against their ground truth and a catalog,
// writing one JSON line per record and printing a summary object.

import { z } from "zod";
import { loadCatalog } from "../catalog/catalog.ts";
import { writeJsonlAtomic } from "../data/atomic_write.ts";
import { completionText, type ConversationRecord } from "../data/record.ts";
import { readRecords } from "../data/read_records.ts";
import { type MetricVariant } from "../reward/metrics.ts";
import { formatRewardSpec, parseRewardSpec, type RewardSpec } from "../reward/rank_rewards.ts";
import {
  addScore,
  emptyTotals,
  type ListScore,
  scoreList,
  type ScoreSummary,
  totalsSummary,
} from "../reward/score.ts";
import { flag, intList, type RawOptions } from "./args.ts";

export const SCORE_USAGE = `convrec score --catalog C.csv --data R.jsonl [options]

  --catalog PATH        catalog CSV (header title,year[,…])
  --data PATH           records: .jsonl, .json (array) or a Hugging Face datasets folder
  --field NAME          where the list text is: "completion" (assistant content, default) or a
                        top-level string field of each record
  --reward SPEC         per-rank reward: exp_inf (default) | log | exp:<Γ>
  --k LIST              cutoffs for Recall/NDCG (default 5,10,15,20)
  --metric VARIANT      filter-first (authors' evaluate_direct_match, default) | truncate-first
  --out PATH            write one JSON line per record here (atomically)
  --skip-invalid        skip and count invalid records instead of failing`;

/** Validated options of `convrec score`. */
export const ScoreOptionsSchema = z.strictObject({
  catalog: z.string({ error: "expected a catalog CSV path" }),
  data: z.string({ error: "expected a records path (.jsonl, .json or an HF datasets folder)" }),
  field: z.string().default("completion"),
  reward: z.string().default("exp_inf").transform((s, ctx) => {
    try {
      return parseRewardSpec(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }),
  k: intList.default([5, 10, 15, 20]),
  metric: z.enum(["filter-first", "truncate-first"], {
    error: "expected filter-first or truncate-first",
  }).default("filter-first"),
  out: z.string().optional(),
  "skip-invalid": flag.default(false),
});
export type ScoreCommandOptions = z.infer<typeof ScoreOptionsSchema>;

/** One line of `--out`. */
export interface ScoredRecordLine {
  index: number;
  items: [string, number][];
  dropped: number;
  hits: number[];
  rewards: number[];
  in_catalog: number;
  recall: Record<string, number>;
  ndcg: Record<string, number>;
}

/** The summary printed on stdout. */
export interface ScoreCommandSummary extends ScoreSummary {
  skipped: number;
  reward: string;
  metric: MetricVariant;
}

/** Files the command reads and writes (the launcher grants exactly these). */
export function scorePermissions(raw: RawOptions): { read: string[]; write: string[] } {
  const read = [raw.catalog, raw.data].filter((p): p is string => typeof p === "string");
  const write = typeof raw.out === "string" ? [raw.out] : [];
  return { read, write };
}

/**
 * Runs `convrec score` with parsed options; returns the summary (the CLI prints it).
 * @example await runScore(parseOptions(ScoreOptionsSchema, { catalog: "c.csv", data: "r.jsonl" }))
 */
export async function runScore(
  opts: ScoreCommandOptions,
  log: (line: string) => void = (l) => console.error(l),
): Promise<ScoreCommandSummary> {
  const catalog = await loadCatalog(opts.catalog);
  for (const w of catalog.warnings.slice(0, 5)) log(`warning: ${w.message}`);
  if (catalog.warnings.length > 5) {
    log(`warning: … ${catalog.warnings.length - 5} more catalog warnings`);
  }
  const policy = opts["skip-invalid"] ? "skip" : "fail";
  let skipped = 0;
  const onSkip = (message: string) => {
    skipped++;
    if (skipped <= 20) log(`skipped: ${message}`);
  };
  const totals = emptyTotals(opts.k);
  const reward: RewardSpec = opts.reward;
  async function* lines(): AsyncGenerator<ScoredRecordLine> {
    let index = 0;
    for await (const { where, record } of readRecords(opts.data, { onInvalid: policy, onSkip })) {
      let score: ListScore;
      try {
        const text = listText(record, opts.field);
        score = scoreList(text, {
          seenTitles: record.seen_titles,
          groundTruth: record.groundtruth_with_release_year,
          catalog,
        }, { reward, ks: opts.k, variant: opts.metric });
      } catch (e) {
        const message = `${where}: ${(e as Error).message}`;
        if (policy === "fail") throw new Error(message);
        onSkip(message);
        continue;
      }
      addScore(totals, score);
      yield toLine(index++, score);
    }
  }
  if (opts.out !== undefined) {
    await writeJsonlAtomic(opts.out, lines());
  } else {
    for await (const _ of lines()) { /* scored for the summary only */ }
  }
  return {
    ...totalsSummary(totals),
    skipped,
    reward: formatRewardSpec(reward),
    metric: opts.metric,
  };
}

function listText(record: ConversationRecord, field: string): string {
  if (field === "completion") {
    const t = completionText(record);
    if (t === null) {
      throw new Error(`field completion: missing (use --field NAME for another field)`);
    }
    return t;
  }
  const v = (record as Record<string, unknown>)[field];
  if (typeof v !== "string") {
    throw new Error(
      `field ${field}: expected a string holding the generated list, got ${describe(v)}`,
    );
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing (the field is missing)";
  if (v === null) return "null";
  return Array.isArray(v) ? "an array" : typeof v;
}

function toLine(index: number, s: ListScore): ScoredRecordLine {
  return {
    index,
    items: s.items,
    dropped: s.dropped,
    hits: Array.from(s.hits),
    rewards: Array.from(s.rewards),
    in_catalog: s.inCatalog,
    recall: s.recall,
    ndcg: s.ndcg,
  };
}
