// The simulated teacher's raw zero-shot drafts for a few conversations, explained line by line
// (explainList) with their failure modes counted and colour-highlighted. Not in the paper.

import type { World, WorldSplit } from "../data/world/mod.ts";
import type { DistillConfig } from "../distill/pipeline.ts";
import { conversationText } from "../distill/teacher/prompts.ts";
import { simulatedTeacher } from "../distill/teacher/simulated.ts";
import type { Figure } from "./figure.ts";
import { explainList } from "./list_explain.ts";
import { worldCatalog } from "./reference_points.ts";
import { formatCell, type Row } from "./table.ts";

/** One raw draft with its line-by-line explanation (plain JSON). */
export interface DraftExample {
  record_id: string;
  /** The dialogue (prompt wrapper removed). */
  conversation: string;
  /** The teacher's answer as written. */
  text: string;
  /** {@link explainList} rows, one per non-empty line. */
  rows: Row[];
}

/** Options of {@link teacherDrafts}. */
export interface TeacherDraftsOptions {
  /** @default "val" */
  split?: WorldSplit;
  /** How many conversations (the split's first ones with ground truth); @default 3 */
  count?: number;
}

/**
 * Drafts of the config's simulated teacher (the one `distill` uses) for the first `count` records of
 * `split` that have ground truth, each explained against that record (seen titles, ground truth, catalog).
 * @example const drafts = await teacherDrafts(world, parseDistillConfig({}), { count: 2 });
 */
export async function teacherDrafts(
  world: World,
  config: Pick<DistillConfig, "teacher" | "list_length">,
  opts: TeacherDraftsOptions = {},
): Promise<DraftExample[]> {
  if (config.teacher.kind !== "simulated") {
    throw new Error(
      'lib/report/distill_drafts.ts: teacherDrafts: config.teacher: expected kind "simulated"',
    );
  }
  const teacher = simulatedTeacher(world, { seed: config.teacher.seed });
  const catalog = worldCatalog(world);
  const records = world.records[opts.split ?? "val"]
    .filter((r) => r.groundtruth_with_release_year.length > 0)
    .slice(0, opts.count ?? 3);
  return await Promise.all(records.map(async (r) => {
    const text = (await teacher.draft(r.prompt[0].content, { n: config.list_length })).text;
    const ctx = {
      seenTitles: r.seen_titles,
      groundTruth: r.groundtruth_with_release_year,
      catalog,
    };
    return {
      record_id: r.id,
      conversation: conversationText(r.prompt[0].content).trim(),
      text,
      rows: explainList(text, ctx, { n: config.list_length }),
    };
  }));
}

/** The failure-mode groups of an explained line (by explainList's `why`), in display order. */
export const DRAFT_OUTCOMES = [
  { key: "hit", color: "#d4f4dd", test: (why: string) => why === "hit" },
  {
    key: "not in ground truth",
    color: "#ffffff",
    test: (w: string) => w === "not in ground truth",
  },
  { key: "not in catalog", color: "#fbd5d5", test: (w: string) => w.startsWith("not in catalog") },
  { key: "format violation", color: "#fde8c8", test: (w: string) => w === "format violation" },
  { key: "seen title", color: "#e4e4e7", test: (w: string) => w === "seen title" },
  { key: "repeat", color: "#e0e7ff", test: (w: string) => w.startsWith("repeat") },
  { key: "beyond N", color: "#f3f4f6", test: (w: string) => w.startsWith("beyond N") },
] as const;

function outcomeOf(why: unknown): typeof DRAFT_OUTCOMES[number] {
  const found = DRAFT_OUTCOMES.find((o) => o.test(String(why)));
  if (found === undefined) {
    throw new Error(`lib/report/distill_drafts.ts: why: unexpected explanation ${String(why)}`);
  }
  return found;
}

/**
 * One row per draft: lines, parsed items, and how many lines fell in each outcome.
 * @example console.log(formatTable(draftSummaryRows(drafts)));
 */
export function draftSummaryRows(drafts: readonly DraftExample[]): Row[] {
  return drafts.map((d) => {
    const counts = Object.fromEntries(DRAFT_OUTCOMES.map((o) => [o.key, 0])) as Record<
      string,
      number
    >;
    for (const row of d.rows) counts[outcomeOf(row.why).key]++;
    return {
      record: d.record_id,
      lines: d.rows.length,
      items: d.rows.filter((r) => r.rank !== null).length,
      ...counts,
    };
  });
}

/**
 * The draft's lines as a plotly table, each row coloured by its outcome (green hit, red not in
 * catalog, orange format violation, grey seen, blue repeat).
 * @example await showFigure(explainedDraftTable(drafts[0]));
 */
export function explainedDraftTable(draft: DraftExample): Figure {
  const columns = ["line", "raw", "rank", "title", "year", "hit", "why"] as const;
  const fills = draft.rows.map((r) => outcomeOf(r.why).color);
  return {
    data: [{
      type: "table",
      columnwidth: [30, 260, 35, 200, 45, 30, 220],
      header: {
        values: [...columns],
        align: "left",
        fill: { color: "#e8ecf2" },
        font: { size: 13 },
      },
      cells: {
        values: columns.map((c) => draft.rows.map((r) => formatCell(r[c]))),
        align: "left",
        height: 24,
        font: { size: 12 },
        fill: { color: columns.map(() => fills) },
      },
    }],
    layout: {
      title: { text: `Teacher draft, line by line: ${draft.record_id}` },
      height: 80 + 36 * (draft.rows.length + 1),
      margin: { l: 10, r: 10, t: 50, b: 10 },
    },
  };
}
