// `convrec score`: scores generated lists in a records file against their ground truth and a catalog,
// writing one JSON line per record and printing a summary object. This module is what the launcher
// loads for the permissions: the scoring code (lib/reward/score_file.ts) loads only when it runs.

import { z } from "zod";
import { parseRewardSpec } from "../reward/rank_rewards.ts";
import type { ScoreCommandSummary } from "../reward/score_file.ts";
import { flag, intList, type RawOptions } from "./args.ts";
import { type Command, jsonCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";
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

/** Files the command reads and writes (the launcher grants exactly these). */
export function scorePermissions(raw: RawOptions): { read: string[]; write: string[] } {
  const read = [raw.catalog, raw.data].filter((p): p is string => typeof p === "string");
  const write = typeof raw.out === "string" ? [raw.out] : [];
  return { read, write };
}

/**
 * Runs `convrec score` with parsed options; returns the summary (the CLI prints it).
 * @example One record whose list has its ground truth first
 * ```ts
 * import { parseOptions } from "./args.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const catalog = `${dir}/c.csv`, data = `${dir}/r.jsonl`;
 * await Deno.writeTextFile(catalog, "title,year\nHeat,1995\nRonin,1998\n");
 * await Deno.writeTextFile(
 *   data,
 *   JSON.stringify({
 *     prompt: [{ role: "user", content: "a heist film?" }],
 *     completion: [{ role: "assistant", content: "Heat (1995)\nRonin (1998)" }],
 *     seen_titles: [],
 *     groundtruth_with_release_year: [["Heat", "1995"]],
 *   }) + "\n",
 * );
 * const summary = await runScore(parseOptions(ScoreOptionsSchema, { catalog, data, k: "5" }));
 * if (summary.records !== 1 || summary.recall["5"] !== 1) throw new Error(JSON.stringify(summary));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runScore(
  opts: ScoreCommandOptions,
  log?: (line: string) => void,
): Promise<ScoreCommandSummary> {
  const { scoreRecordsFile } = await import("../reward/score_file.ts");
  return await scoreRecordsFile(opts, log);
}

/** `convrec score`. */
export const command: Command = jsonCommand({
  usage: SCORE_USAGE,
  // V8 otherwise lets the heap grow with the input while streaming (child RSS 108 MB at 90k records,
  // ~160 MB at 1M); favouring size keeps it flat (80 → 85 MB) at about the same speed
  // (tests/bench/score_process.ts)
  v8Flags: ["--optimize-for-size"],
  permissions: scorePermissions,
  schema: ScoreOptionsSchema,
  run: (opts) => runScore(opts),
});

if (import.meta.main) await runAsChild("score", command);
