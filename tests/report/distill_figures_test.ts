// lib/report/distill_figures.ts, distill_trace.ts, distill_drafts.ts: figures and tables carry the run's
// own numbers; the one-conversation trace replays the pipeline exactly (its top 20 by s_final is the
// pipeline's demonstration); drafts are explained and coloured by outcome.
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { generateWorld } from "../../lib/data/world/mod.ts";
import { distill, parseDistillConfig } from "../../lib/distill/pipeline.ts";
import {
  adjustLossChart,
  compareBars,
  compareRows,
  configDiff,
  DISTILL_METHODS,
  distillMetricBars,
  distillMetricRows,
  type DistillRun,
  stageRows,
  stageTimingBars,
  topkLine,
} from "../../lib/report/distill_figures.ts";
import { conversationTrace, traceRows } from "../../lib/report/distill_trace.ts";
import {
  type DraftExample,
  draftSummaryRows,
  explainedDraftTable,
  teacherDrafts,
} from "../../lib/report/distill_drafts.ts";
import { worldPreset } from "../../lib/experiment/presets.ts";

const config = parseDistillConfig({
  source: { kind: "world", world: worldPreset("smoke", { seed: 11 }) },
  seed: 11,
  gpu: "cpu",
  evaluate: true,
});
const result = await distill(config);
const ev = result.evaluation!.val;

Deno.test("distillMetricRows / distillMetricBars: every method's own numbers, in order", () => {
  const rows = distillMetricRows(result);
  assertEquals(rows.map((r) => r.method), DISTILL_METHODS.map((m) => m.label));
  DISTILL_METHODS.forEach((m, i) => {
    assertEquals(rows[i]["R@20"], ev[m.key].recall["20"]);
    assertEquals(rows[i]["N@5"], ev[m.key].ndcg["5"]);
    assertEquals(rows[i].in_catalog, ev[m.key].in_catalog);
    assertEquals(rows[i].format_violations, ev[m.key].format_violations);
    assertEquals(rows[i].built, m.key === "full" ? "◀" : "");
  });
  const fig = distillMetricBars(result);
  assertEquals(fig.data.length, 5);
  assertEquals(fig.data[0].x, [
    "Recall@5",
    "Recall@10",
    "Recall@20",
    "NDCG@5",
    "NDCG@10",
    "NDCG@20",
    "in-catalog share",
    "format violations",
  ]);
  const teacher = ev.teacher;
  assertEquals(fig.data[0].y, [
    teacher.recall["5"],
    teacher.recall["10"],
    teacher.recall["20"],
    teacher.ndcg["5"],
    teacher.ndcg["10"],
    teacher.ndcg["20"],
    teacher.in_catalog,
    teacher.format_violations,
  ]);
  assertEquals(fig.layout.barmode, "group");
  assert(
    String((fig.layout.title as { text: string }).text).includes(`${teacher.records} records`),
  );
  const noEval: DistillRun = { ...result, evaluation: null };
  assertThrows(() => distillMetricRows(noEval), "evaluate: true");
  assertThrows(() => distillMetricBars(result, { split: "test" }), "evaluation.test");
});

Deno.test("adjustLossChart / stageTimingBars / topkLine: the run's curve, timings and path", () => {
  const loss = adjustLossChart(result);
  assertEquals(loss.data[0].y, result.adjust!.losses);
  const title = (loss.layout.title as { text: string }).text;
  assert(
    title.includes(
      result.adjust!.converged ? `converged in ${result.adjust!.iterations}` : "NOT converged",
    ),
    title,
  );
  const stuck = adjustLossChart({ ...result, adjust: { ...result.adjust!, converged: false } });
  assert((stuck.layout.title as { text: string }).text.includes("NOT converged"));
  assertThrows(() => adjustLossChart({ ...result, adjust: null }), "adjust: null");

  const stages = stageTimingBars(result);
  assertEquals(stages.data[0].x, result.stages.map((s) => s.stage));
  assertEquals(stages.data[0].y, result.stages.map((s) => s.seconds));
  assert(stages.data[0].x instanceof Array && (stages.data[0].x as string[]).includes("remap"));
  assertEquals(stageRows(result).length, result.stages.length);
  assertEquals(
    topkLine(result),
    `Remap top-k: cpu (config gpu: "cpu") — ${result.topk.reason}`,
  );
});

Deno.test("configDiff / compareRows / compareBars: the changed argument labels the second run", () => {
  assertEquals(configDiff({ gamma: 0.5, a: { b: 1, c: [1] } }, { gamma: 1, a: { b: 1, c: [2] } }), [
    "a.c: [1] → [2]",
    "gamma: 0.5 → 1",
  ]);
  assertEquals(configDiff({ x: 1 }, { x: 1, y: "n" }), ['y: undefined → "n"']);
  assertEquals(configDiff(config, structuredClone(config)), []);
  // A fake second run: same config except gamma, metrics shifted by a known amount.
  const shifted = structuredClone(result.evaluation!);
  shifted.val.full.recall["20"] += 0.125;
  const after: DistillRun = { ...result, config: { ...config, gamma: 1 }, evaluation: shifted };
  const rows = compareRows(result, after);
  assertEquals(rows.map((r) => r.run), ["before", "after (gamma: 0.5 → 1)"]);
  assertEquals(rows[1]["R@20"], ev.full.recall["20"] + 0.125);
  assertEquals(rows[0]["R@20"], ev.full.recall["20"]);
  const withVariant = compareRows(result, {
    ...after,
    config: { ...after.config, variant: "no-adjust" },
  });
  assertEquals(withVariant.map((r) => r.method), [
    "full (Remap → Reflect → Adjust)",
    "full (Remap → Reflect → Adjust)",
    "−adjust",
    "−adjust",
  ]);
  const fig = compareBars(result, after);
  assertEquals(fig.data.map((t) => t.name), [
    "full (Remap → Reflect → Adjust): before",
    "full (Remap → Reflect → Adjust): after (gamma: 0.5 → 1)",
  ]);
  assertEquals((fig.data[1].y as number[])[2], ev.full.recall["20"] + 0.125);
});

Deno.test("conversationTrace: replays the pipeline; its top 20 by s_final is the demonstration", async () => {
  const val = result.demonstrations.val;
  const picks = [val[0], val[val.length - 1]];
  for (const rec of picks) {
    const trace = await conversationTrace(config, { conversation: rec.prompt[0].content });
    assertEquals(trace.demonstration, rec.completion![0].content, `record ${rec.id}`);
    assertEquals(trace.split, "val");
    assert(trace.record_ids.includes(String(rec.id)));
    assertEquals(trace.candidates.length, config.n_r);
    assertEquals(trace.adjust.converged, result.adjust!.converged);
    assertEquals(trace.adjust.iterations, result.adjust!.iterations);
    const ranks = trace.candidates.map((c) => c.final_rank).sort((a, b) => a - b);
    assertEquals(ranks, Array.from({ length: config.n_r }, (_, i) => i + 1));
    for (const c of trace.candidates) {
      assertEquals(c.s_reflect, c.s_remap + config.gamma * (c.rating ?? 0));
    }
    for (let i = 1; i < trace.candidates.length; i++) {
      assert(trace.candidates[i - 1].s_remap >= trace.candidates[i].s_remap, "remap order");
    }
    const after = traceRows(trace, { by: "final", n: 10 });
    assertEquals(after.map((r) => r.final_rank), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assertEquals(
      after.map((r) => r.item).join("\n"),
      trace.demonstration.split("\n").slice(0, 10).join("\n"),
    );
    const before = traceRows(trace, { by: "remap" });
    assertEquals(before.map((r) => r.remap_rank), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // JSON-safe (it is cached as JSON): a round trip changes nothing.
    assertEquals(JSON.parse(JSON.stringify(trace)), trace);
  }
  await assertRejectsWith(
    () => conversationTrace(config, { conversation: "USER: not a conversation of this world\n" }),
    "not among the",
  );
  await assertRejectsWith(
    () => conversationTrace({ ...config, embedder: { kind: "endpoint" } }, { conversation: "x" }),
    'kind "hashed"',
  );
});

async function assertRejectsWith(f: () => Promise<unknown>, includes: string) {
  let message: string | null = null;
  try {
    await f();
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message !== null && message.includes(includes), `expected "${includes}", got ${message}`);
}

Deno.test("teacherDrafts / draftSummaryRows / explainedDraftTable: outcomes counted and coloured", async () => {
  const world = await generateWorld(worldPreset("smoke", { seed: 11 }));
  const drafts = await teacherDrafts(world, config, { count: 4 });
  assertEquals(drafts.length, 4);
  assertEquals(await teacherDrafts(world, config, { count: 4 }), drafts, "not deterministic");
  const summary = draftSummaryRows(drafts);
  summary.forEach((row, i) => {
    const outcomes = Object.entries(row).filter(([k]) => !["record", "lines", "items"].includes(k));
    assertEquals(outcomes.reduce((a, [, v]) => a + Number(v), 0), drafts[i].rows.length);
    assertEquals(row.record, drafts[i].record_id);
  });
  // The simulated teacher's drafts show its failure modes somewhere in a few lists.
  const total = (k: string) => summary.reduce((a, r) => a + Number(r[k]), 0);
  assert(total("format violation") + total("not in catalog") > 0, JSON.stringify(summary));

  const hand: DraftExample = {
    record_id: "val-x",
    conversation: "USER: hi",
    text: "Sure!\nHeat (1995)\nHeat (1995)\nFake (2001)\nSeen (1990)",
    rows: [
      { line: 1, raw: "Sure!", rank: null, why: "format violation" },
      { line: 2, raw: "Heat (1995)", rank: 1, hit: 1, why: "hit" },
      {
        line: 3,
        raw: "Heat (1995)",
        rank: 2,
        hit: 0,
        why: "repeat (its ground truth already matched)",
      },
      {
        line: 4,
        raw: "Fake (2001)",
        rank: 3,
        hit: 0,
        why: "not in catalog (hallucinated or wrong year)",
      },
      { line: 5, raw: "Seen (1990)", rank: 4, hit: 0, why: "seen title" },
    ],
  };
  assertEquals(draftSummaryRows([hand]), [{
    record: "val-x",
    lines: 5,
    items: 4,
    hit: 1,
    "not in ground truth": 0,
    "not in catalog": 1,
    "format violation": 1,
    "seen title": 1,
    repeat: 1,
    "beyond N": 0,
  }]);
  const fig = explainedDraftTable(hand);
  const cells = fig.data[0].cells as { values: string[][]; fill: { color: string[][] } };
  assertEquals(cells.values[1], hand.rows.map((r) => String(r.raw)));
  assertEquals(cells.fill.color[0], ["#fde8c8", "#d4f4dd", "#e0e7ff", "#fbd5d5", "#e4e4e7"]);
  assertThrows(
    () => draftSummaryRows([{ ...hand, rows: [{ line: 1, why: "mystery" }] }]),
    "unexpected explanation",
  );
});
