// `convrec demo`: the most complete workflow the project runs today, end to end on shipped data —
// generate the built-in world, rank its val/test conversations with the reference rankers, distil
// catalog-grounded demonstrations from the simulated teacher (Remap → Reflect → Adjust, with every
// ablation scored), score every list with the authors' rules, and print the results table.
// SFT and RL join here once the built-in model reaches its quality target (see the issues).

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { catalogFromItems } from "../catalog/catalog.ts";
import { distill } from "../distill/pipeline.ts";
import { writeFileAtomic } from "../data/atomic_write.ts";
import {
  baselineLists,
  DEFAULT_WORLD_DIR,
  generateWorld,
  vegaMoviesPath,
  type WorldSplit,
  writeWorld,
} from "../data/world/mod.ts";
import {
  addScore,
  emptyTotals,
  scoreList,
  type ScoreSummary,
  totalsSummary,
} from "../reward/score.ts";
import type { RawOptions } from "./args.ts";

export const DEMO_USAGE = `convrec demo [--seed N] [--out DIR] [--world DIR]

  --seed N     root seed of the built-in world (default 20240601)
  --out DIR    where results go (default runs/demo)
  --world DIR  where the generated world is written (default ${DEFAULT_WORLD_DIR})

Writes <out>/results.json, <out>/summary.md and the distilled SFT set under <out>/distill/.`;

export const DemoOptionsSchema = z.strictObject({
  seed: z.coerce.number().int().min(0).optional(),
  out: z.string().default("runs/demo"),
  world: z.string().default(DEFAULT_WORLD_DIR),
});
export type DemoOptions = z.infer<typeof DemoOptionsSchema>;

/** The demo reads the movies file and writes its two folders. */
export function demoPermissions(raw: RawOptions): { read: string[]; write: string[] } {
  const out = typeof raw.out === "string" ? raw.out : "runs/demo";
  const world = typeof raw.world === "string" ? raw.world : DEFAULT_WORLD_DIR;
  return {
    read: [vegaMoviesPath(), fileURLToPath(new URL("../../kernels", import.meta.url))],
    write: [`${out}/results.json`, `${out}/distill/report.json`, `${world}/catalog.csv`],
  };
}

const KS = [5, 10, 20];
const DISTILL_LABELS: Record<string, string> = {
  teacher: "teacher zero-shot",
  full: "distilled (full)",
  "no-adjust": "distilled −adjust",
  "no-reflect": "distilled −reflect",
  "no-remap-reflect": "distilled −remap&reflect",
};
const RANKERS = ["oracle", "tfidf_knn", "popularity"] as const;

/** One row of the results table. */
export interface DemoRow extends ScoreSummary {
  split: WorldSplit;
  method: string;
}

/**
 * Runs the demo; returns the table rows (also written to `<out>/results.json` and `<out>/summary.md`).
 * @example const rows = await runDemo(DemoOptionsSchema.parse({}));
 */
export async function runDemo(
  opts: DemoOptions,
  log: (l: string) => void = console.error,
): Promise<DemoRow[]> {
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  log(`[1/4] generating the built-in world …`);
  const world = await generateWorld(opts.seed === undefined ? {} : { seed: opts.seed });
  await Deno.mkdir(opts.world, { recursive: true });
  await writeWorld(opts.world, world);
  log(
    `[1/4] world: ${world.catalog.length} movies, ${world.records.train.length}/${world.records.val.length}/${world.records.test.length} train/val/test records → ${opts.world} (${elapsed()})`,
  );
  const catalog = catalogFromItems(
    world.catalog.map((m) => ({ title: m.title, year: m.year, meta: {} })),
  );
  const rows: DemoRow[] = [];
  for (const split of ["val", "test"] as const) {
    log(`[2/4] ranking ${split} with the reference rankers …`);
    const lists = baselineLists(world, { split });
    for (const method of RANKERS) {
      const totals = emptyTotals(KS);
      for (const r of world.records[split]) {
        // Render the list as a model would write it, so scoring runs the full parse path.
        const text = lists[method][r.id].map(([t, y]) => `${t} (${y})`).join("\n");
        addScore(
          totals,
          scoreList(text, {
            seenTitles: r.seen_titles,
            groundTruth: r.groundtruth_with_release_year,
            catalog,
          }, { ks: KS }),
        );
      }
      rows.push({ split, method, ...totalsSummary(totals) });
    }
    log(`[2/4] ${split} scored (${elapsed()})`);
  }
  log(`[3/4] distilling: simulated teacher → Remap → Reflect → Adjust, every ablation scored …`);
  const distilled = await distill({
    source: { kind: "world", world: opts.seed === undefined ? {} : { seed: opts.seed } },
    evaluate: true,
    gpu: "cpu",
    out: join(opts.out, "distill"),
  }, { log: (l) => log(`      ${l}`) });
  for (const [split, methods] of Object.entries(distilled.evaluation ?? {})) {
    for (const [method, summary] of Object.entries(methods)) {
      rows.push({
        split: split as WorldSplit,
        method: DISTILL_LABELS[method] ?? method,
        ...summary,
      });
    }
  }
  log(
    `[3/4] distilled ${
      distilled.demonstrations.train?.length ?? 0
    } train demonstrations (${elapsed()})`,
  );
  const table = resultsTable(rows);
  await Deno.mkdir(opts.out, { recursive: true });
  await writeFileAtomic(
    join(opts.out, "results.json"),
    JSON.stringify({ seed: world.config.seed, rows }, null, 2) + "\n",
  );
  await writeFileAtomic(
    join(opts.out, "summary.md"),
    `# convrec demo\n\nBuilt-in world, seed ${world.config.seed}; authors' filter-first metrics. Reference rankers on val
and test; the simulated teacher and the distilled demonstrations (every ablation) on val.\n\n${table}\n`,
  );
  log(
    `[4/4] results written to ${opts.out}/results.json and ${opts.out}/summary.md (${elapsed()})`,
  );
  return rows;
}

/**
 * A markdown table of demo rows.
 * @example resultsTable(rows).split("\n")[0] // "| split | method | R@5 | …"
 */
export function resultsTable(rows: readonly DemoRow[]): string {
  const head = `| split | method | ${KS.map((k) => `R@${k}`).join(" | ")} | ${
    KS.map((k) => `N@${k}`).join(" | ")
  } | in-catalog |`;
  const sep = `|${"---|".repeat(3 + 2 * KS.length)}`;
  const body = rows.map((r) =>
    `| ${r.split} | ${r.method} | ${KS.map((k) => r.recall[k].toFixed(4)).join(" | ")} | ${
      KS.map((k) => r.ndcg[k].toFixed(4)).join(" | ")
    } | ${r.in_catalog.toFixed(4)} |`
  );
  return [head, sep, ...body].join("\n");
}
