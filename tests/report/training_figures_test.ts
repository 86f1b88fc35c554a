// lib/report/training_figures.ts and the pure parts of training_runs.ts on hand-made rows: which lines,
// which points, the comparison table's numbers, and the errors on bad input.
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  evalMetricNames,
  inCatalogDriftChart,
  rankRewardChart,
  rlComparisonRows,
  type RlRowLike,
  sftEvalChart,
  sftEvalRows,
  sftLossChart,
} from "../../lib/report/training_figures.ts";
import {
  cachedSft,
  cachedSftInputs,
  rlLabel,
  withoutNulls,
} from "../../lib/experiment/training_runs.ts";
import { experimentPreset } from "../../lib/experiment/presets.ts";

const SFT_ROWS = [
  { step: 1, phase: "train", loss: 3 },
  { step: 2, phase: "train", loss: 2.5 },
  {
    step: 2,
    phase: "eval",
    loss: 2.8,
    conversations: 4,
    "recall@10": 0.2,
    "ndcg@5": 0.1,
    "recall@5": 0.1,
    "ndcg@10": 0.15,
    in_catalog: 0.9,
    format_violations: 0.25,
  },
  { step: 3, phase: "skipped", loss: NaN },
  { step: 4, phase: "train", loss: 2 },
];

/** An RL row whose reward at rank k (1-based) is `scale / k`. */
function rlRow(step: number, scale: number, inCatalog: number): RlRowLike {
  return {
    step,
    rank_reward: Array.from({ length: 20 }, (_, i) => scale / (i + 1)),
    in_catalog: inCatalog,
    dcg: scale,
    kl: 0.01 * step,
    clip_low: 0.1,
    clip_high: 0.05,
    completion_len: 100 + step,
    wall_s: 2 * step,
  };
}

Deno.test("sftLossChart: train loss per train step, eval loss per eval, skipped rows left out", () => {
  const fig = sftLossChart(SFT_ROWS);
  assertEquals(fig.data.map((t) => t.name), ["train loss", "eval loss"]);
  assertEquals(fig.data[0].x, [1, 2, 4]);
  assertEquals(fig.data[0].y, [3, 2.5, 2]);
  assertEquals(fig.data[1].x, [2]);
  assertEquals(fig.data[1].y, [2.8]);
  assertEquals(fig.data[1].mode, "lines+markers"); // one eval is still a visible point
  assertEquals(
    (fig.layout.title as { text: string }).text,
    "SFT loss (3 steps, 1 eval)",
  );
  assertThrows(() => sftLossChart([]), 'no phase "train" rows');
});

Deno.test("sftEvalChart / sftEvalRows: Recall@k then NDCG@k by k, then the in-catalog share", () => {
  assertEquals(evalMetricNames(SFT_ROWS), [
    "recall@5",
    "recall@10",
    "ndcg@5",
    "ndcg@10",
    "in_catalog",
  ]);
  const fig = sftEvalChart(SFT_ROWS);
  assertEquals(fig.data.map((t) => t.name), [
    "Recall@5",
    "Recall@10",
    "NDCG@5",
    "NDCG@10",
    "in-catalog share",
  ]);
  assertEquals(fig.data.map((t) => (t.y as number[])[0]), [0.1, 0.2, 0.1, 0.15, 0.9]);
  assertEquals(
    (fig.layout.title as { text: string }).text,
    "SFT eval metrics (4 val conversations)",
  );
  assertEquals(sftEvalRows(SFT_ROWS), [{
    step: 2,
    eval_loss: 2.8,
    "recall@5": 0.1,
    "recall@10": 0.2,
    "ndcg@5": 0.1,
    "ndcg@10": 0.15,
    in_catalog: 0.9,
    format_violations: 0.25,
  }]);
  assertThrows(() => sftEvalChart(SFT_ROWS.slice(0, 2)), 'no phase "eval" rows');
});

Deno.test("rankRewardChart: one line per rank with that rank's reward at each step", () => {
  const run = { label: "grpo", rows: [rlRow(1, 0.5, 1), rlRow(2, 1, 0.9)] };
  const fig = rankRewardChart(run);
  assertEquals(fig.data.map((t) => t.name), [
    "rank 1",
    "rank 2",
    "rank 5",
    "rank 10",
    "rank 15",
    "rank 20",
  ]);
  assertEquals(fig.data[2].x, [1, 2]);
  assertEquals(fig.data[2].y, [0.1, 0.2]); // rank 5: 0.5/5, 1/5
  assertEquals(fig.data[5].y, [0.025, 0.05]); // rank 20
  assertEquals(rankRewardChart(run, { ranks: [3] }).data[0].y, [0.5 / 3, 1 / 3]);
  assertThrows(() => rankRewardChart(run, { ranks: [21] }), "expected integers in 1..20");
});

Deno.test("inCatalogDriftChart: one line per run, in-catalog share per step", () => {
  const a = { label: "grpo", rows: [rlRow(1, 1, 1), rlRow(2, 1, 0.8)] };
  const b = { label: "rank-grpo (exp_inf)", rows: [rlRow(1, 1, 1), rlRow(2, 1, 0.95)] };
  const fig = inCatalogDriftChart([a, b]);
  assertEquals(fig.data.map((t) => t.name), ["grpo", "rank-grpo (exp_inf)"]);
  assertEquals(fig.data.map((t) => t.y), [[1, 0.8], [1, 0.95]]);
  assertEquals(
    (fig.layout.title as { text: string }).text,
    "In-catalog drift during RL (grpo vs rank-grpo (exp_inf))",
  );
  assertThrows(() => inCatalogDriftChart([]), "expected ≥1 run");
});

Deno.test("rlComparisonRows: means over the last steps, first and last in-catalog share", () => {
  const rows = [rlRow(1, 0.2, 1), rlRow(2, 0.4, 0.9), rlRow(3, 0.6, 0.8)];
  const [r] = rlComparisonRows([{ label: "grpo", rows }], { last: 2 });
  assertEquals(r.method, "grpo");
  assertEquals(r.steps, 3);
  assert(Math.abs((r.reward_r1 as number) - 0.5) < 1e-12); // (0.4 + 0.6) / 2
  assert(Math.abs((r.reward_r5 as number) - 0.1) < 1e-12); // (0.08 + 0.12) / 2
  assert(Math.abs((r.kl as number) - 0.025) < 1e-12); // (0.02 + 0.03) / 2
  assert(Math.abs((r.clip as number) - 0.15) < 1e-12);
  assertEquals([r.in_catalog_first, r.in_catalog_last, r.wall_s], [1, 0.8, 6]);
  assertEquals(rlComparisonRows([{ label: "x", rows }], { last: 10 })[0].dcg, 0.4000000000000001);
  assertThrows(() => rlComparisonRows([{ label: "empty", rows: [] }]), '"empty": no step');
});

Deno.test("experimentPreset, withoutNulls, rlLabel", () => {
  const smoke = experimentPreset("smoke", { seed: 3 });
  assertEquals([smoke.sft.model, smoke.sft.max_steps, smoke.rl.steps], ["smoke", 6, 4]);
  assertEquals(smoke.world.seed, 3);
  assertEquals(experimentPreset("default").sft.model, "builtin-small"); // a model size
  assertThrows(() => experimentPreset("tiny"), 'expected one of "smoke", "default"');
  assertEquals(withoutNulls({ lr: null, epochs: 2, max_steps: 0 }), { epochs: 2, max_steps: 0 });
  assertEquals(rlLabel("rank-grpo", "log"), "rank-grpo (log)");
  assertEquals(rlLabel("grpo", "log"), "grpo");
});

Deno.test("cachedSft: the same config is served from the cache, a changed one trains in its own folder", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "convrec-training-runs-" });
  try {
    const lines: string[] = [];
    const opts = { cacheDir, log: (l: string) => lines.push(l), version: "test" };
    const preset = experimentPreset("smoke", { seed: 5 });
    const world = { ...preset.world, conversations: { train: 12, val: 2, test: 2 } };
    const inputs = await cachedSftInputs(world, opts);
    const input = {
      ...preset.sft,
      ...inputs,
      max_steps: 1,
      eval_conversations: 1,
      eval_max_new_tokens: 4,
    };
    const a = await cachedSft(input, opts);
    const again = await cachedSft(input, opts);
    const other = await cachedSft({ ...input, lr: 1e-3 }, opts);
    assertEquals(lines.filter((l) => l.startsWith("cache hit")).length, 1);
    assertEquals(again, a);
    assert(a.checkpoint.startsWith(`${cacheDir}/sft-`) && a.checkpoint.endsWith("step-1"));
    assert(other.config.run_dir !== a.config.run_dir, "a changed config reused the run folder");
    assertEquals((await Deno.stat(`${a.checkpoint}/config.json`)).isFile, true);
    assertEquals(a.rows.map((r) => r.phase), ["train", "eval"]);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
