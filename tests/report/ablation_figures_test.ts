// The ablation variants, figures and summary table (notebook 05) and the seed tables/charts and the
// reproduction loader (notebook 06), on hand-made StepRecords.
import { join } from "node:path";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { ablationVariant } from "../../lib/experiment/ablation_runs.ts";
import { parseRlRunConfig } from "../../lib/train/rl_loop/config.ts";
import { resolveAlgo } from "../../lib/train/rl/algo_config.ts";
import { ablationBars, ablationSummaryRows } from "../../lib/report/ablation_figures.ts";
import {
  seedBarChart,
  seedDriftChart,
  seedRankRewardChart,
  seedTableRows,
} from "../../lib/report/paper_figures.ts";
import { finalRolloutMetrics, reproSeedRuns } from "../../lib/experiment/paper_runs.ts";
import type { RlRowLike } from "../../lib/report/training_figures.ts";

function row(step: number, r: number): RlRowLike {
  return {
    step,
    rank_reward: Array.from({ length: 20 }, (_, k) => r / (k + 1)),
    in_catalog: 0.5 + r / 10,
    dcg: 2 * r,
    kl: r / 100,
    clip_low: 0.01,
    clip_high: 0.03,
    completion_len: 16,
    wall_s: step,
  };
}
const runOf = (variant: string, rs: number[]) => ({
  ablation: "mu",
  variant,
  config: { algo: "rank-grpo" },
  rows: rs.map((r, i) => row(i + 1, r)),
});

Deno.test("ablationVariant: each knob maps to one override; bad values name the knob", () => {
  assertEquals(ablationVariant("reward", "log").reward, "log");
  // the level sweep is Rank-GRPO (exp∞) with only the ratio level changed
  for (const level of ["token", "sequence"] as const) {
    const v = ablationVariant("level", level);
    assertEquals([v.algo, v.reward, v.overrides, v.variant], [
      "rank-grpo",
      "exp_inf",
      { ratio_level: level },
      `level ${level}`,
    ]);
  }
  // Rank-GRPO's own level and ε add no override: the baseline is one config (one cache entry)
  assertEquals(ablationVariant("level", "rank").overrides, {});
  assertEquals(ablationVariant("eps", [0.06, 0.08]).overrides, {});
  assertEquals(ablationVariant("eps", [0.2, 0.26]).overrides, { eps_low: 0.2, eps_high: 0.26 });
  assertEquals(ablationVariant("mu", 2).overrides, { mu: 2 });
  assertEquals(ablationVariant("loss_norm", "rank").variant, "norm rank");
  assertThrows(
    () => ablationVariant("level", "item"),
    'level: expected "token" | "sequence" | "rank"',
  );
  assertThrows(() => ablationVariant("eps", 0.2), "eps: expected");
});

Deno.test("ablationVariant level: the resolved algorithm differs from Rank-GRPO's in the level only", () => {
  const paths = { data: "d.jsonl", catalog: "c.csv", init: "ck", run_dir: "r", steps: 2 };
  const resolved = (level: string) => {
    const v = ablationVariant("level", level);
    return resolveAlgo(
      parseRlRunConfig({ ...paths, algo: v.algo, reward: v.reward, ...v.overrides }),
    );
  };
  const base = resolved("rank");
  assertEquals([base.algo, base.level, base.advantage, base.eps_low], [
    "rank-grpo",
    "item",
    "rank",
    0.06,
  ]);
  assertEquals(resolved("token"), { ...base, level: "token" });
  assertEquals(resolved("sequence"), { ...base, level: "sequence" });
});

Deno.test("ablationBars: final-step values by variant; summary averages over steps", () => {
  const sweep = { knob: "mu", runs: [runOf("μ 1", [1, 3]), runOf("μ 2", [2, 4])] };
  const fig = ablationBars(sweep);
  assertEquals(fig.data.map((t) => t.name), ["DCG@N", "rank 1", "rank 5", "rank 20"]);
  assertEquals(fig.data[0].x, ["μ 1", "μ 2"]);
  assertEquals(fig.data[0].y, [6, 8]); // final-step dcg
  assertEquals(fig.data[2].y, [3 / 5, 4 / 5]); // rank 5 at the last step
  assertEquals(fig.layout.title, { text: "Ablation mu: final-step rollout reward (step 2)" });
  const rows = ablationSummaryRows([sweep]);
  assertEquals(rows[1].variant, "μ 2");
  assertEquals(rows[1].reward_r1, 3); // mean of 2 and 4
  assertEquals(rows[1].dcg_final, 8);
  assertEquals(rows[0].clip_high, 0.03);
  assertThrows(() => ablationBars({ knob: "mu", runs: [runOf("x", [])] }), "expected ≥1");
  assertThrows(() => ablationBars(sweep, { ranks: [21] }), "1..20");
});

Deno.test("seed tables and charts: mean ± sample std over seeds, curves averaged", () => {
  const mk = (method: string, seed: number, rs: number[]) => {
    const rows = rs.map((r, i) => row(i + 1, r));
    return { method, label: method.toUpperCase(), seed, metrics: finalRolloutMetrics(rows), rows };
  };
  const runs = [mk("a", 0, [0, 1]), mk("a", 1, [0, 3]), mk("b", 0, [1, 1])];
  const rows = seedTableRows(runs, ["dcg"], { digits: 2 });
  assertEquals(rows, [
    { method: "A", seeds: "0,1", dcg: `4.00 ± ${(2 * Math.SQRT2).toFixed(2)}` },
    { method: "B", seeds: "0", dcg: "2.00" },
  ]);
  const bars = seedBarChart(runs, ["dcg", "in_catalog"]);
  assertEquals(bars.data.map((t) => t.name), ["A", "B"]);
  assertEquals((bars.data[0].error_y as { array: number[] }).array[0], 2 * Math.SQRT2);
  const curve = seedRankRewardChart(runs.slice(0, 2), { ranks: [1, 2] });
  assertEquals(curve.data[0].y, [0, 2]);
  assertEquals(curve.data[1].y, [0, 1]);
  assertEquals(seedDriftChart(runs).data.map((t) => t.name), ["A", "B"]);
  assertThrows(() => seedTableRows(runs, ["recall@5"]), "metrics.recall@5");
});

Deno.test("reproSeedRuns: <id>/result.json plus an older results.jsonl; first row per (method, seed); [] without results", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-repro-" });
  try {
    assertEquals(await reproSeedRuns(join(dir, "absent")), []);
    const runDir = join(dir, "rl-grpo-0");
    await Deno.mkdir(runDir);
    await Deno.writeTextFile(
      join(runDir, "metrics.jsonl"),
      [row(1, 1), row(2, 2)].map((r) => JSON.stringify({ phase: "train", ...r })).join("\n") + "\n",
    );
    const result = (method: string, seed: number | null, run_dir: string | null, r: number) =>
      JSON.stringify({
        step: 0,
        method,
        label: method,
        seed,
        run_dir,
        rl_steps: 2,
        rl_wall_s: 1,
        metrics: { "recall@5": r },
      });
    await Deno.writeTextFile(
      join(dir, "results.jsonl"),
      [
        result("sft", null, null, 0.1),
        result("grpo", 0, runDir, 0.2),
        result("grpo", 0, runDir, 0.9),
      ]
        .join("\n") + "\n",
    );
    // the current driver's layout: one <job id>/result.json per finished job (wins over results.jsonl)
    for (
      const [id, method, seed, r] of [["gspo-s1", "gspo", 1, 0.3], [
        "sft",
        "sft",
        null,
        0.4,
      ]] as const
    ) {
      await Deno.mkdir(join(dir, id), { recursive: true });
      await Deno.writeTextFile(
        join(dir, id, "result.json"),
        result(method, seed, method === "sft" ? null : runDir, r),
      );
    }
    const runs = await reproSeedRuns(dir);
    assertEquals(runs.map((r) => [r.method, r.seed, r.rows.length, r.metrics["recall@5"]]), [
      ["sft", null, 0, 0.4],
      ["grpo", 0, 2, 0.2],
      ["gspo", 1, 2, 0.3],
    ]);
    assert(runs[1].rows[1].dcg === 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
