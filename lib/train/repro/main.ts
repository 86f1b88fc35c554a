// Entry point of the reproduction: `deno run -A lib/train/repro/main.ts --init DIR [--methods a,b]
// [--seeds 0,1,2] [--steps N] [--test-conversations N] [--report-only]`; re-running finishes what is missing.
import { z } from "zod";
import { parseOptions, splitArgs } from "../../cli/args.ts";
import { runReproduction } from "./driver.ts";
import { selectMethods } from "./methods.ts";
import { writeReproReport } from "./report.ts";

const WORLD = "data/generated/world";
const list = z.string().transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== ""));

/** Options of the reproduction entry point (strict). */
export const ReproOptionsSchema = z.strictObject({
  init: z.string().min(1),
  data: z.string().default(`${WORLD}/train.jsonl`),
  test: z.string().default(`${WORLD}/test.jsonl`),
  catalog: z.string().default(`${WORLD}/catalog.csv`),
  out: z.string().default("runs/repro"),
  methods: list.default([]),
  seeds: list.default(["0", "1", "2"]),
  steps: z.coerce.number().int().positive().default(25),
  "test-conversations": z.coerce.number().int().positive().optional(),
  "eval-max-new-tokens": z.coerce.number().int().positive().default(220),
  "report-only": z.union([z.literal(true), z.enum(["true", "false"])]).optional(),
});

if (import.meta.main) {
  const opts = parseOptions(ReproOptionsSchema, splitArgs(Deno.args).options);
  if (opts["report-only"] === undefined || opts["report-only"] === "false") {
    await runReproduction({
      init: opts.init,
      data: opts.data,
      test: opts.test,
      catalog: opts.catalog,
      out: opts.out,
      methods: selectMethods(opts.methods),
      seeds: opts.seeds.map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0) throw new Error(`--seeds: "${s}" is not a seed`);
        return n;
      }),
      rl: { steps: opts.steps },
      testConversations: opts["test-conversations"] ?? null,
      evalMaxNewTokens: opts["eval-max-new-tokens"],
    });
  }
  console.log(await writeReproReport(opts.out));
}
