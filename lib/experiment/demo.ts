// The demo pipeline on the built-in world — distill (simulated teacher → Remap → Reflect → Adjust) →
// SFT on the distilled lists → GRPO and Rank-GRPO exp∞ from that SFT checkpoint → greedy eval on the
// test split → results table and figures. Through the notebooks in Jupyter when installed (their
// cached runs are read back here), else through the same lib functions. Not paper scale.
// `convrec demo` (lib/cli/demo.ts) parses its options and grants its permissions.

import { basename, join, relative, resolve } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { generateWorld } from "../data/world/mod.ts";
import { cachedGreedyEval } from "./checkpoint_eval.ts";
import { reporter } from "../notebook/progress.ts";
import { cachedTrainingInputs } from "./training_inputs.ts";
import {
  cachedRl,
  cachedSft,
  resolveTrainingBackend,
  type RlRun,
  TRAINING_BACKENDS,
} from "./training_runs.ts";
import { EXPERIMENT_PRESET_NAMES, experimentPreset, renamedPresetMessage } from "./presets.ts";
import { exportFigures, type NamedFigure, SHARED_PLOTLY_FILE } from "../report/export_figures.ts";
import { tfjsOnDeno } from "../runtime/tfjs_env.ts";
import { inCatalogDriftChart, rankRewardChart, sftLossChart } from "../report/training_figures.ts";
import type { StepRow } from "../train/run/metrics_log.ts";
import {
  type DemoDifference,
  type DemoRow,
  difference,
  differencesTable,
  evalRow,
  referenceRowsWithUnits,
  resultsBars,
  resultsTable,
  resultsTableFigure,
  summaryRow,
  textUnits,
  withIntervals,
} from "./demo_results.ts";
import { loadCatalog } from "../catalog/catalog.ts";
import type { UnitScores } from "../reward/bootstrap.ts";
import type { ConversationRecord } from "../data/record.ts";
import {
  DEMO_PATHS,
  type ExecutedNotebook,
  pickDemoPath,
  runDemoNotebooks,
} from "./demo_notebooks.ts";

export { type DemoRow, resultsTable } from "./demo_results.ts";

/** Options of the demo (`convrec demo` parses them; notebooks and tests may too). */
export const DemoOptionsSchema = z.strictObject({
  preset: z.enum(EXPERIMENT_PRESET_NAMES, { error: (iss) => renamedPresetMessage(iss.input) })
    .default("default"),
  seed: z.coerce.number().int().min(0).default(0),
  via: z.enum(DEMO_PATHS).default("auto"),
  backend: z.enum(TRAINING_BACKENDS).default("auto"),
  out: z.string().min(1).default("runs/demo"),
  cache: z.string().min(1).optional(),
});
export type DemoOptions = z.infer<typeof DemoOptionsSchema>;

/** What {@link runDemoFull} produced (also written to `<out>/results.json`). */
export interface DemoResult {
  preset: string;
  seed: number;
  path: "jupyter" | "lib";
  path_reason: string;
  backend: string;
  backend_reason: string;
  /** every row of the table, on the test split */
  rows: DemoRow[];
  /** paired differences over the same test conversations (95% bootstrap CIs) */
  differences: DemoDifference[];
  /** figure files written by the demo (its own folder) */
  figures: string[];
  /** why SVG/PNG were not written, when they were not */
  figures_skipped: string | null;
  notebooks: ExecutedNotebook[];
  /** seconds per stage and in total */
  seconds: Record<string, number>;
  wall_s: number;
}

/** Picks the fields a terminal progress line shows; the whole record still reaches metrics.jsonl. */
function progress(
  label: string,
  total: number | undefined,
  fields: string[],
  log: (l: string) => void,
) {
  const line = reporter({ label, total, mode: "terminal", write: (l) => log(`      ${l}`) });
  return (row: StepRow) =>
    line({
      step: row.step,
      ...Object.fromEntries(fields.filter((f) => row[f] !== undefined).map((f) => [f, row[f]])),
    });
}

const RL_FIELDS = ["dcg", "reward_mean", "in_catalog", "kl", "step_s"];
const SFT_FIELDS = ["phase", "loss", "lr", "ndcg@20", "in_catalog", "tokens_per_s"];

/**
 * Runs the demo and returns every result (see {@link DemoResult}); progress lines go to `log`.
 * @example Type-checked only (the demo distils, trains and evaluates)
 * ```ts
 * async function _demo(): Promise<string> {
 *   const r = await runDemoFull(DemoOptionsSchema.parse({ preset: "smoke", via: "lib" }));
 *   return resultsTable(r.rows);
 * }
 * ```
 */
export async function runDemoFull(
  opts: DemoOptions,
  log: (l: string) => void = console.error,
): Promise<DemoResult> {
  const t0 = performance.now();
  const secs = () => (performance.now() - t0) / 1000;
  const stamp = () => `(${secs().toFixed(1)} s)`;
  const seconds: Record<string, number> = {};
  let last = 0;
  const done = (stage: string) => {
    seconds[stage] = secs() - last;
    last = secs();
  };
  await tfjsOnDeno(); // no tfjs-node banner in the demo's output
  const cacheDir = resolve(opts.cache ?? join(opts.out, "cache")); // notebooks run in notebooks/
  const presets = experimentPreset(opts.preset, { seed: opts.seed });
  const backend = await resolveTrainingBackend(opts.backend);
  const path = await pickDemoPath(opts.via);
  log(
    `demo: preset ${opts.preset}, seed ${opts.seed}, backend ${backend.backend} (${backend.reason}), ` +
      `${path.path} path (${path.reason}), cache ${cacheDir}`,
  );

  let notebooks: ExecutedNotebook[] = [];
  if (path.path === "jupyter") {
    log(
      `[0/6] notebooks 02 ‖ 03 → 04 through Jupyter (they train; the steps below read their cache) …`,
    );
    notebooks = await runDemoNotebooks({
      preset: opts.preset,
      seed: opts.seed,
      backend: backend.backend,
      cacheDir,
    }, { outDir: join(opts.out, "notebooks"), log: (l) => log(`      ${l}`) });
    log(`[0/6] notebooks executed ${stamp()}`);
    done("notebooks");
  }
  const cacheLog = (l: string) => log(`      ${l}`);

  log(`[1/6] world (${opts.preset} preset) and reference rankers on test …`);
  const world = await generateWorld(presets.world);
  const refs = referenceRowsWithUnits(world, "test");
  const units = new Map<string, UnitScores[]>(refs.map((r) => [r.row.method, r.units]));
  const rows: DemoRow[] = refs.map((r) => withIntervals(r.row, r.units, { seed: opts.seed }));
  log(
    `[1/6] world: ${world.catalog.length} movies, ${world.records.train.length}/` +
      `${world.records.val.length}/${world.records.test.length} train/val/test records ${stamp()}`,
  );
  done("world");

  log(`[2/6] distill: simulated teacher → Remap → Reflect → Adjust (every train conversation) …`);
  const inputs = await cachedTrainingInputs(presets.world, { cacheDir, log: cacheLog });
  const distilled = inputs.evaluation?.test;
  if (distilled === undefined) {
    throw new Error("lib/experiment/demo.ts: the distilled inputs carry no test-split evaluation");
  }
  rows.push(summaryRow("test", "teacher zero-shot", "teacher", distilled.teacher));
  rows.push(summaryRow("test", "distilled (full)", "distilled", distilled.full));
  log(
    `[2/6] ${inputs.counts.sft_train} SFT demonstrations, ${inputs.counts.val} val rows, ` +
      `${inputs.counts.rl} RL prompts → ${inputs.sft.data} ${stamp()}`,
  );
  done("distill");

  log(`[3/6] SFT (${opts.preset}) on the distilled demonstrations …`);
  const sft = await cachedSft({
    ...presets.sft,
    ...inputs.sft,
    seed: opts.seed,
    backend: backend.backend,
  }, {
    cacheDir,
    onStep: progress("sft", presets.sft.max_steps ?? undefined, SFT_FIELDS, log),
    log: cacheLog,
  });
  log(`[3/6] SFT: ${sft.result.totalSteps} steps → ${sft.checkpoint} ${stamp()}`);
  done("sft");

  const base = {
    ...presets.rl,
    data: inputs.rl,
    catalog: inputs.sft.catalog,
    init: sft.checkpoint,
    seed: opts.seed,
    backend: backend.backend,
  };
  const rl: RlRun[] = [];
  for (const algo of ["grpo", "rank-grpo"]) {
    log(`[4/6] ${algo === "grpo" ? "GRPO" : "Rank-GRPO exp∞"} from the SFT checkpoint …`);
    rl.push(
      await cachedRl(base, algo, {
        cacheDir,
        reward: "exp_inf",
        onStep: progress(algo, presets.rl.steps, RL_FIELDS, log),
        log: cacheLog,
      }),
    );
    log(`[4/6] ${rl.at(-1)!.label}: ${rl.at(-1)!.result.step} steps ${stamp()}`);
  }
  done("rl");

  const evalSettings = {
    records: inputs.test,
    catalog: inputs.sft.catalog,
    backend: backend.backend,
    maxNewTokens: sft.config.eval_max_new_tokens,
    maxPromptTokens: Math.max(1, sft.config.max_seq_len - sft.config.eval_max_new_tokens),
    batchSize: sft.config.eval_batch_size,
  };
  const catalog = await loadCatalog(inputs.sft.catalog);
  const testRecords = world.records.test as unknown as ConversationRecord[];
  const models: [string, "base" | "sft" | "rl", string | null, number | null][] = [
    // the base never learned to stop (no <|im_end|> in its corpus): scored on a subset, no pairing
    ["base zero-shot", "base", presets.base_zero_shot.init, presets.base_zero_shot.conversations],
    ["SFT", "sft", sft.checkpoint, null],
    ["GRPO", "rl", rl[0].result.lastCheckpoint, null],
    ["Rank-GRPO (exp∞)", "rl", rl[1].result.lastCheckpoint, null],
  ];
  for (const [method, stage, checkpoint, conversations] of models) {
    if (checkpoint === null) {
      throw new Error(`lib/experiment/demo.ts: ${method}: no final checkpoint`);
    }
    log(`[5/6] greedy eval of ${method} on test …`);
    const r = await cachedGreedyEval(checkpoint, { ...evalSettings, conversations }, {
      cacheDir,
      log: cacheLog,
    });
    const u = textUnits(r.texts, testRecords, catalog);
    units.set(method, u);
    rows.push(withIntervals(evalRow("test", method, stage, r.metrics), u, { seed: opts.seed }));
    log(
      `[5/6] ${method}: NDCG@20 ${r.metrics["ndcg@20"].toFixed(4)}, in-catalog ` +
        `${r.metrics.in_catalog.toFixed(4)} (${r.metrics.conversations} conversations) ${stamp()}`,
    );
  }
  const pair = (a: string, b: string) =>
    difference(`${a} − ${b}`, [a, units.get(a)!], [b, units.get(b)!], { seed: opts.seed });
  const differences = [
    pair("SFT", "popularity"),
    pair("GRPO", "SFT"),
    pair("Rank-GRPO (exp∞)", "SFT"),
    pair("Rank-GRPO (exp∞)", "GRPO"),
  ];
  done("eval");

  log(`[6/6] figures and results …`);
  const title = `convrec demo (${opts.preset}, seed ${opts.seed}): test split`;
  const figs: NamedFigure[] = [
    { name: "results_table", figure: resultsTableFigure(rows, title) },
    { name: "results_bars", figure: resultsBars(rows, title) },
    { name: "sft_loss", figure: sftLossChart(sft.rows) },
    ...rl.map((r) => ({
      name: `rl_rank_reward_${r.config.algo}`,
      figure: rankRewardChart(r),
    })),
    { name: "rl_in_catalog_drift", figure: inCatalogDriftChart(rl) },
  ];
  const exported = await exportFigures(figs, { dir: join(opts.out, "figures") });
  done("figures");
  const result: DemoResult = {
    preset: opts.preset,
    seed: opts.seed,
    path: path.path,
    path_reason: path.reason,
    backend: backend.backend,
    backend_reason: backend.reason,
    rows,
    differences,
    figures: exported.files,
    figures_skipped: exported.skipped ?? null,
    notebooks,
    seconds,
    wall_s: secs(),
  };
  await writeDemoFiles(opts.out, result, { inputs: inputs.counts, sft: sft.config.run_dir, rl });
  log(`figures (${result.figures.length} files): ${join(opts.out, "figures")}`);
  for (const f of result.figures) log(`  ${f}`);
  if (result.figures_skipped) log(`  ${result.figures_skipped}`);
  for (const nb of notebooks) {
    log(`notebook ${nb.name}: ${nb.html ?? nb.notebook}, ${nb.figures_dir}`);
  }
  log(
    `total wall time ${
      result.wall_s.toFixed(1)
    } s (${opts.preset}, ${backend.backend}, ${path.path})`,
  );
  return result;
}

/** results.json and summary.md, each written atomically. */
async function writeDemoFiles(
  out: string,
  r: DemoResult,
  extra: { inputs: unknown; sft: string; rl: readonly RlRun[] },
): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  const runs = {
    inputs: extra.inputs,
    sft_run: extra.sft,
    rl_runs: extra.rl.map((x) => x.config.run_dir),
  };
  await writeFileAtomic(
    join(out, "results.json"),
    JSON.stringify({ ...r, ...runs }, null, 2) + "\n",
  );
  const notes = [
    `Built-in world, preset ${r.preset}, seed ${r.seed}; ${r.path} path (${r.path_reason}); backend ` +
    `${r.backend} (${r.backend_reason}); total wall time ${r.wall_s.toFixed(1)} s.`,
    "Test split, authors' filter-first metrics. The oracle sees the hidden taste (an upper bound); " +
    "SFT trains on the distilled lists; GRPO and Rank-GRPO (exp∞) start from that SFT checkpoint and " +
    "are evaluated greedily, one list per conversation.",
    ...(r.preset === "smoke"
      ? ["SMOKE preset: a tiny model and a few steps — plumbing, not results."]
      : []),
  ];
  await writeFileAtomic(join(out, "summary.md"), summaryMarkdown(out, r, notes));
}

/**
 * summary.md: the notes, the table, the paired differences and the figure files relative to `out`
 * (the folder it lies in), so its links hold wherever the folder is moved or mailed.
 * @example Figure links are relative to the folder of summary.md
 * ```ts
 * const result = {
 *   rows: [],
 *   differences: [],
 *   figures: ["runs/demo/figures/results.html"],
 *   figures_skipped: null,
 * };
 * const md = summaryMarkdown("runs/demo", result, ["Built-in world …"]);
 * if (!md.startsWith("# convrec demo") || !md.includes("`figures/results.html`")) {
 *   throw new Error(md);
 * }
 * ```
 */
export function summaryMarkdown(
  out: string,
  r: Pick<DemoResult, "rows" | "differences" | "figures" | "figures_skipped">,
  notes: readonly string[],
): string {
  const rel = (f: string) => relative(resolve(out), resolve(f));
  const pages = r.figures.filter((f) => basename(f) !== SHARED_PLOTLY_FILE);
  const shared = r.figures.find((f) => basename(f) === SHARED_PLOTLY_FILE);
  const figures = `Figures: ${pages.map((f) => `\`${rel(f)}\``).join(", ")}${
    r.figures_skipped ? ` (${r.figures_skipped})` : ""
  }${
    shared === undefined
      ? ""
      : `. The HTML pages load \`${rel(shared)}\`: keep it beside them (offline, no network).`
  }`;
  return `# convrec demo\n\n${notes.join("\n\n")}\n\n${resultsTable(r.rows)}\n\n` +
    `Paired differences over the same test conversations (95% bootstrap CI; * = excludes 0):\n\n` +
    `${differencesTable(r.differences)}\n\n${figures}\n`;
}

/**
 * Runs the demo (see {@link runDemoFull}) and returns the table rows; the CLI prints them.
 * @example Type-checked only (the demo distils, trains and evaluates)
 * ```ts
 * async function _rows(): Promise<number> {
 *   const rows = await runDemo(DemoOptionsSchema.parse({ preset: "smoke" }));
 *   return rows.length;
 * }
 * ```
 */
export async function runDemo(
  opts: DemoOptions,
  log: (l: string) => void = console.error,
): Promise<DemoRow[]> {
  return (await runDemoFull(opts, log)).rows;
}
