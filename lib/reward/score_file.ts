// Scores every record of a records file (JSONL, JSON array or HF datasets folder) against a
// catalog: the summary of all lists, and optionally one JSON line per record written atomically.
// The work behind `convrec score`.

import { loadCatalog } from "../catalog/catalog.ts";
import { writeJsonlAtomic } from "../data/atomic_write.ts";
import { completionText, type ConversationRecord } from "../data/record.ts";
import { readRecords } from "../data/read_records.ts";
import type { MetricVariant } from "./metrics.ts";
import { formatRewardSpec, type RewardSpec } from "./rank_rewards.ts";
import {
  addScore,
  emptyTotals,
  type ListScore,
  scoreList,
  type ScoreSummary,
  totalsSummary,
} from "./score.ts";

/** What to score and how. */
export interface ScoreFileOptions {
  /** Catalog CSV. */
  catalog: string;
  /** Records: .jsonl, .json (array) or an HF datasets folder. */
  data: string;
  /** "completion" (assistant content) or a top-level string field holding the list. */
  field: string;
  reward: RewardSpec;
  /** Cutoffs for Recall/NDCG. */
  k: number[];
  metric: MetricVariant;
  /** Write one JSON line per record here (atomically). */
  out?: string;
  /** Skip and count invalid records instead of failing. */
  "skip-invalid": boolean;
}

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

/** The summary of a whole file (what `convrec score` prints on stdout). */
export interface ScoreCommandSummary extends ScoreSummary {
  skipped: number;
  reward: string;
  metric: MetricVariant;
}

/**
 * Scores a records file; returns the summary (`convrec score` prints it).
 * @example await scoreRecordsFile({ catalog: "c.csv", data: "r.jsonl", field: "completion",
 *   reward: { kind: "exp_inf" }, k: [5, 10], metric: "filter-first", "skip-invalid": false })
 */
export async function scoreRecordsFile(
  opts: ScoreFileOptions,
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
