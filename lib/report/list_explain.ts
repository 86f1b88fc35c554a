// Explains how one generated list is scored, line by line: what each line parsed to (or why it was
// dropped), whether it is in the catalog or seen, and the hit and reward at its rank.

import { parseList } from "../catalog/parse_list.ts";
import { pyStrip, titleKey } from "../catalog/py_text.ts";
import type { ScoringContext } from "../reward/aligned_hits.ts";
import type { RewardSpec } from "../reward/rank_rewards.ts";
import { scoreList } from "../reward/score.ts";
import type { Row } from "./table.ts";

/** Options of {@link explainList}. */
export interface ExplainListOptions {
  /** List length N (items past N are not scored); @default 20 */
  n?: number;
  /** Per-rank reward; @default { kind: "exp_inf" } */
  reward?: RewardSpec;
}

/**
 * One row per non-empty line of `text`: the raw line, the parsed title and year and its rank (blank
 * for a dropped line), catalog membership, seen, hit, reward, and the reason in words.
 * @example
 * explainList("1. **Heat (1995)**\nnot a movie", { seenTitles: [], groundTruth: [["Heat", "1995"]], catalog });
 * // [{ line: 1, raw: "1. **Heat (1995)**", rank: 1, title: "Heat", year: 1995, …, hit: 1, why: "hit" }, …]
 */
export function explainList(
  text: string,
  ctx: ScoringContext,
  opts: ExplainListOptions = {},
): Row[] {
  const n = opts.n ?? 20;
  const parsed = parseList(text);
  const score = scoreList(text, ctx, { n, ...(opts.reward ? { reward: opts.reward } : {}) });
  const lines = pyStrip(text.replace(/\n+/g, "\n")).split("\n").map(pyStrip).filter((l) => l);
  const seen = new Set(ctx.seenTitles);
  const hitKeys = new Set<string>();
  return lines.map((raw, line) => {
    const rank = parsed.itemLines.indexOf(line); // 0-based item index, -1 when dropped
    if (rank < 0) {
      return { line: line + 1, raw, rank: null, title: null, year: null, why: "format violation" };
    }
    const [title, year] = parsed.items[rank];
    const inCatalog = ctx.catalog.has(title, year);
    const hit = rank < n ? score.hits[rank] : 0;
    const key = titleKey(title);
    const why = rank >= n
      ? `beyond N=${n}`
      : hit
      ? "hit"
      : seen.has(title)
      ? "seen title"
      : !inCatalog
      ? "not in catalog (hallucinated or wrong year)"
      : hitKeys.has(key)
      ? "repeat (its ground truth already matched)"
      : "not in ground truth";
    if (hit) hitKeys.add(key);
    return {
      line: line + 1,
      raw,
      rank: rank + 1,
      title,
      year,
      in_catalog: inCatalog,
      seen: seen.has(title),
      hit,
      reward: rank < n ? score.rewards[rank] : null,
      why,
    };
  });
}
