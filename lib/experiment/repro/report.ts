// The reproduction's table (mean ± sample std over seeds) and figures: per-rank training reward curves
// (ranks 1, 2, 5, 10, 15, 20) per method and in-catalog drift during RL, as plotly specs + exports.
import { join } from "node:path";
import { writeFileAtomic } from "../../data/atomic_write.ts";
import { lineChart, meanStd } from "../../report/charts.ts";
import { exportFigures, type NamedFigure } from "../../report/export_figures.ts";
import { readStepRows } from "../../train/run/metrics_log.ts";
import { readResults } from "./driver.ts";
import { REPRO_KS, type ReproResult } from "./jobs.ts";

/** Ranks whose training reward curves are drawn. */
export const CURVE_RANKS = [1, 2, 5, 10, 15, 20] as const;

function cell(values: readonly number[]): string {
  const { mean, std, n } = meanStd(values);
  return n <= 1 ? mean.toFixed(4) : `${mean.toFixed(4)} ± ${std.toFixed(4)}`;
}

/**
 * The markdown table: one row per method, Recall/NDCG@k and in-catalog share, mean ± std over seeds.
 * @example Two seeds of one method: mean ± std
 * ```ts
 * const metrics = (v: number) => ({ "recall@5": v, "ndcg@5": v, in_catalog: 1 });
 * const run = { method: "grpo", label: "GRPO", run_dir: null, rl_steps: 2, rl_wall_s: 1 };
 * const lines = reproTable([
 *   { ...run, seed: 0, metrics: metrics(0.5) },
 *   { ...run, seed: 1, metrics: metrics(0.7) },
 * ]).split("\n");
 * if (!lines[0].startsWith("| method | seeds | R@5 | N@5 |")) throw new Error(lines[0]);
 * if (!lines[2].startsWith("| GRPO | 0,1 | 0.6000 ± 0.")) throw new Error(lines[2]);
 * ```
 */
export function reproTable(results: readonly ReproResult[]): string {
  const methods = [...new Set(results.map((r) => r.method))];
  const cols = REPRO_KS.flatMap((k) => [`recall@${k}`, `ndcg@${k}`]);
  const head = `| method | seeds | ${
    cols.map((c) => c.replace("recall", "R").replace("ndcg", "N")).join(" | ")
  } | in-catalog |`;
  const lines = [head, `|${" --- |".repeat(cols.length + 3)}`];
  for (const m of methods) {
    const rs = results.filter((r) => r.method === m);
    const seeds = rs[0].seed === null ? "—" : rs.map((r) => r.seed).join(",");
    const vals = [...cols, "in_catalog"].map((c) => cell(rs.map((r) => r.metrics[c])));
    lines.push(`| ${rs[0].label} | ${seeds} | ${vals.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Mean over runs of a per-step series (runs may differ in length: the shortest wins). */
function meanSeries(series: readonly number[][]): number[] {
  const len = Math.min(...series.map((s) => s.length));
  return Array.from(
    { length: len },
    (_, i) => series.reduce((s, x) => s + x[i], 0) / series.length,
  );
}

/**
 * Figures from the runs' metrics.jsonl: per method, rank-k reward (mean rel_k over the step's rollouts,
 * averaged over seeds) for {@link CURVE_RANKS}; and in-catalog share per method.
 * @example
 * ```ts
 * import { readResults } from "./driver.ts";
 *
 * const out = await Deno.makeTempDir(); // a reproduction folder, here without results yet
 * const figs = await reproFigures(await readResults(out));
 * if (!figs.every((f) => f.name.length > 0)) throw new Error("every figure has a file name");
 * await Deno.remove(out);
 * ```
 */
export async function reproFigures(results: readonly ReproResult[]): Promise<NamedFigure[]> {
  const byMethod = new Map<string, { label: string; rows: Record<string, unknown>[][] }>();
  for (const r of results) {
    if (r.run_dir === null) continue;
    const { rows } = await readStepRows(join(r.run_dir, "metrics.jsonl"));
    const entry = byMethod.get(r.method) ?? { label: r.label, rows: [] };
    entry.rows.push(rows);
    byMethod.set(r.method, entry);
  }
  const figs: NamedFigure[] = [];
  for (const [id, { label, rows }] of byMethod) {
    const series = CURVE_RANKS.map((k) => ({
      name: `rank ${k}`,
      y: meanSeries(rows.map((rs) => rs.map((r) => (r.rank_reward as number[])[k - 1]))),
    }));
    figs.push({
      name: `rank_reward_${id}`,
      figure: lineChart(series, {
        title: `${label}: per-rank training reward (mean rel_k, ${rows.length} seeds)`,
        xTitle: "RL step",
        yTitle: "mean rel_k",
      }),
    });
  }
  figs.push({
    name: "in_catalog_drift",
    figure: lineChart(
      [...byMethod.values()].map(({ label, rows }) => ({
        name: label,
        y: meanSeries(rows.map((rs) => rs.map((r) => r.in_catalog as number))),
      })),
      {
        title: "In-catalog share of rollouts during RL (mean over seeds)",
        xTitle: "RL step",
        yTitle: "in-catalog share",
      },
    ),
  });
  figs.push({
    name: "dcg_curve",
    figure: lineChart(
      [...byMethod.values()].map(({ label, rows }) => ({
        name: label,
        y: meanSeries(rows.map((rs) => rs.map((r) => r.dcg as number))),
      })),
      { title: "Rollout DCG@20 during RL (mean over seeds)", xTitle: "RL step", yTitle: "DCG@20" },
    ),
  });
  return figs;
}

/**
 * Write out/table.md and out/figures/ (plotly JSON and HTML; SVG too when chromium is present and
 * this process may run its Deno binary, which the browser worker needs). Returns the table.
 * @example Type-checked only (the SVG export starts a headless browser)
 * ```ts
 * async function _report(): Promise<string> {
 *   return await writeReproReport("runs/repro"); // the markdown table, also in runs/repro/table.md
 * }
 * ```
 */
export async function writeReproReport(out: string): Promise<string> {
  const results = await readResults(out);
  const table = reproTable(results);
  await writeFileAtomic(join(out, "table.md"), table + "\n");
  const figs = await reproFigures(results);
  await Deno.mkdir(join(out, "figures"), { recursive: true });
  for (const f of figs) {
    await writeFileAtomic(join(out, "figures", `${f.name}.json`), JSON.stringify(f.figure));
  }
  const canRun = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state;
  const formats = canRun === "granted" ? ["svg" as const, "html" as const] : ["html" as const];
  await exportFigures(figs, { dir: join(out, "figures"), formats });
  return table;
}
