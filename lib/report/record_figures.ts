// Figures and tables of a world's records: ground truth per reply, replies per conversation, and the
// train/val/test time split (records per month). Counts are precomputed so the figure JSON holds them.

import { type World, WORLD_SPLITS, type WorldRecord } from "../data/world/mod.ts";
import { type CategoryCount, countBars } from "./catalog_figures.ts";
import { axisTitle, type Figure } from "./figure.ts";
import type { Row } from "./table.ts";

/**
 * Counts of integer values with every integer between the smallest and largest present (zeros kept,
 * so a histogram has no missing bars), ascending.
 * @example integerCounts([1, 3, 3]) // [{ label: "1", count: 1 }, { label: "2", count: 0 }, { label: "3", count: 2 }]
 */
export function integerCounts(values: readonly number[]): CategoryCount[] {
  if (values.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isInteger(v)) {
      throw new Error(`lib/report/record_figures.ts: integerCounts: expected integers, got ${v}`);
    }
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const counts = new Array<number>(hi - lo + 1).fill(0);
  for (const v of values) counts[v - lo]++;
  return counts.map((count, i) => ({ label: String(lo + i), count }));
}

/** Every record of every split, in split order. */
function allRecords(world: World): WorldRecord[] {
  return WORLD_SPLITS.flatMap((s) => world.records[s]);
}

/**
 * Histogram of the number of ground-truth movies per reply (record), over all splits.
 * @example await showFigure(groundTruthPerReplyBars(world));
 */
export function groundTruthPerReplyBars(world: World): Figure {
  const records = allRecords(world);
  return countBars(integerCounts(records.map((r) => r.groundtruth_with_release_year.length)), {
    title: `Ground-truth movies per reply (${records.length} replies)`,
    xTitle: "ground-truth movies",
    yTitle: "replies",
  });
}

/**
 * Replies (records) per conversation, keyed by conversation id (from the world's hidden truth).
 * @example repliesPerConversation(world).get("train-c00000") // 2
 */
export function repliesPerConversation(world: World): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of allRecords(world)) {
    const truth = world.truth[r.id];
    if (truth === undefined) {
      throw new Error(
        `lib/report/record_figures.ts: repliesPerConversation: truth: no entry for record ${r.id}`,
      );
    }
    counts.set(truth.conversation_id, (counts.get(truth.conversation_id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Histogram of replies per conversation, over all splits.
 * @example await showFigure(repliesPerConversationBars(world));
 */
export function repliesPerConversationBars(world: World): Figure {
  const counts = [...repliesPerConversation(world).values()];
  return countBars(integerCounts(counts), {
    title: `Replies per conversation (${counts.length} conversations)`,
    xTitle: "replies",
    yTitle: "conversations",
  });
}

/**
 * One row per split: records, conversations, ground-truth movies, first and last month.
 * @example splitRows(world)[0] // { split: "train", records: 2981, conversations: 1500, … }
 */
export function splitRows(world: World): Row[] {
  const perConversation = repliesPerConversation(world);
  return WORLD_SPLITS.map((split) => {
    const records = world.records[split];
    const months = records.map((r) => r.time).sort();
    const conversations = [...perConversation.keys()].filter((c) => c.startsWith(`${split}-`));
    return {
      split,
      records: records.length,
      conversations: conversations.length,
      ground_truth: records.reduce((a, r) => a + r.groundtruth_with_release_year.length, 0),
      first_month: months[0] ?? "",
      last_month: months[months.length - 1] ?? "",
    };
  });
}

/**
 * Records per month, stacked by split: the time-ordered train → val → test split.
 * @example await showFigure(splitTimeline(world));
 */
export function splitTimeline(world: World): Figure {
  const months = [...new Set(allRecords(world).map((r) => r.time))].sort();
  const data = WORLD_SPLITS.map((split) => {
    const perMonth = new Map<string, number>();
    for (const r of world.records[split]) perMonth.set(r.time, (perMonth.get(r.time) ?? 0) + 1);
    return {
      type: "bar",
      name: split,
      x: months,
      y: months.map((m) => perMonth.get(m) ?? 0),
    };
  });
  return {
    data,
    layout: {
      title: { text: "Records per month, by split (time-ordered)" },
      barmode: "stack",
      xaxis: { ...axisTitle("month"), type: "category" },
      yaxis: axisTitle("records"),
      height: 380,
      margin: { l: 60, r: 20, t: 50, b: 70 },
    },
  };
}
