// The conversation record (one SFT/RL example), compatible with the released Reddit-v2 records:
// a zod schema for file boundaries, its TS type, and helpers to read its completion and conversation.

import { z } from "zod";
import { pyInt } from "../catalog/py_text.ts";

/** A chat message inside `prompt`. */
export const MessageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

/** A message inside `completion`: always the assistant's. */
export const AssistantMessageSchema = z.strictObject({
  role: z.literal("assistant"),
  content: z.string(),
});

/**
 * A ground-truth pair `[title, year]`. The year may be a string (as released) or a number; it must
 * parse like Python `int()` and is normalised to a string (what the released records and the
 * authors' trainer hold).
 */
export const GroundTruthSchema = z.tuple([
  z.string(),
  z.union([z.string(), z.number()]).transform((y, ctx) => {
    const ok = typeof y === "number" ? Number.isInteger(y) : pyInt(y) !== null;
    if (!ok) {
      ctx.addIssue({
        code: "custom",
        message: `expected an integer year, found ${JSON.stringify(y)}`,
      });
      return z.NEVER;
    }
    return typeof y === "number" ? String(y) : y;
  }),
]);

/** Known fields; unknown keys are kept (records from other tools carry extra columns). */
const KNOWN_FIELDS = {
  prompt: z.array(MessageSchema).min(1),
  completion: z.array(AssistantMessageSchema).optional(),
  seen_titles: z.array(z.string()),
  groundtruth_with_release_year: z.array(GroundTruthSchema),
  id: z.union([z.string(), z.number()]).optional(),
  split: z.string().optional(),
  time: z.union([z.string(), z.number()]).optional(),
};

/** Long known names a typo is checked against (short ones like `id` would flag `idx`, `ids`). */
const TYPO_TARGETS = ["prompt", "completion", "seen_titles", "groundtruth_with_release_year"];

/** Edit distance (insert, delete, substitute, swap adjacent), stopping early above `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The known field an unknown key looks like a typo of (case-insensitive or ≤ 2 edits), if any. */
export function typoOf(key: string): string | null {
  if (key in KNOWN_FIELDS) return null;
  const lower = key.toLowerCase();
  for (const target of TYPO_TARGETS) {
    if (lower === target || editDistance(lower, target, 2) <= 2) return target;
  }
  return null;
}

/**
 * Schema of one conversation record. Known fields are type-checked strictly; other keys are kept
 * as they are, except keys that look like typos of `prompt`, `completion`, `seen_titles` or
 * `groundtruth_with_release_year` (case variants or ≤ 2 edits away, e.g. `seen_title`), which fail.
 */
export const ConversationRecordSchema = z.looseObject(KNOWN_FIELDS).superRefine((rec, ctx) => {
  for (const key of Object.keys(rec)) {
    const target = typoOf(key);
    if (target !== null) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `unknown field ${JSON.stringify(key)}: did you mean ${JSON.stringify(target)}?`,
      });
    }
  }
});

/** A conversation record as the rest of the code sees it (ground-truth years as strings). */
export type ConversationRecord = z.output<typeof ConversationRecordSchema>;

/**
 * The assistant text of `completion` (contents of its messages joined by "\n"), or null when the
 * record has no completion.
 * @example
 * completionText({ prompt: [{ role: "user", content: "hi" }], completion: [{ role: "assistant",
 *   content: "Heat (1995)" }], seen_titles: [], groundtruth_with_release_year: [] }); // "Heat (1995)"
 */
export function completionText(record: ConversationRecord): string | null {
  if (record.completion === undefined) return null;
  return record.completion.map((m) => m.content).join("\n");
}

/**
 * The key grouping rows that share one conversation: the prompt's user content (the contents of
 * its user messages joined by "\n"). Rows with equal keys are one conversation with several
 * ground-truth rows.
 * @example
 * conversationKey({ prompt: [{ role: "user", content: "hi" }], seen_titles: [],
 *   groundtruth_with_release_year: [] }); // "hi"
 */
export function conversationKey(record: ConversationRecord): string {
  return record.prompt.filter((m) => m.role === "user").map((m) => m.content).join("\n");
}
