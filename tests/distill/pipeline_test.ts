// End-to-end distillation: a reduced world for the file formats and config strictness (JSONL + HF
// folder read back with our readers), and the default world for the measured orderings of data/README.md.
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { catalogFromItems } from "../../lib/catalog/catalog.ts";
import { parseList } from "../../lib/catalog/parse_list.ts";
import { readHfDataset } from "../../lib/data/hf_datasets.ts";
import { readRecords } from "../../lib/data/read_records.ts";
import { type ConversationRecord, ConversationRecordSchema } from "../../lib/data/record.ts";
import { generateWorld } from "../../lib/data/world/mod.ts";
import { distill, parseDistillConfig } from "../../lib/distill/pipeline.ts";

Deno.test("parseDistillConfig: defaults, and unknown or bad fields fail naming the field", () => {
  const c = parseDistillConfig({});
  assertEquals([c.lambda, c.gamma, c.n_r, c.train_fraction, c.variant], [
    1,
    0.5,
    100,
    0.25,
    "full",
  ]);
  assertThrows(() => parseDistillConfig({ lamda: 1 }), "lamda");
  assertThrows(() => parseDistillConfig({ variant: "no-remap" }), "field variant");
  assertThrows(
    () => parseDistillConfig({ source: { kind: "world", world: { sede: 1 } } }),
    "source.world",
  );
});

Deno.test("distill (default world): files read back, and the measured orderings of data/README.md", async () => {
  const out = await Deno.makeTempDir({ prefix: "distill-test-" });
  try {
    const lines: string[] = [];
    const t0 = performance.now();
    const r = await distill({ gpu: "cpu", evaluate: true, out }, { log: (l) => lines.push(l) });
    console.log(`${lines.join("\n")}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    assert(lines.some((l) => l.startsWith("distill remap:")));
    assertEquals(r.topk.path, "cpu");
    assert(r.adjust!.converged, "Adjust converged");
    const world = await generateWorld({});
    const catalog = catalogFromItems(
      world.catalog.map((m) => ({ title: m.title, year: m.year, meta: {} })),
    );
    for (const split of ["train", "val"]) {
      const back: ConversationRecord[] = [];
      for await (const { record } of readRecords(`${out}/${split}.jsonl`)) back.push(record);
      assertEquals(back.length, r.demonstrations[split].length);
      const hf: ConversationRecord[] = [];
      for await (const { value } of readHfDataset(`${out}/${split}_hf`, ConversationRecordSchema)) {
        hf.push(value);
      }
      assertEquals(hf.length, back.length);
      assertEquals(Object.keys(hf[0]).sort(), [
        "completion",
        "groundtruth_with_release_year",
        "prompt",
        "seen_titles",
      ]);
      hf.forEach((rec, i) => {
        assertEquals(rec.prompt, back[i].prompt);
        assertEquals(rec.completion, back[i].completion);
        const text = rec.completion![0].content;
        assert(!text.endsWith("\n"));
        const p = parseList(text);
        assertEquals(p.items.length, 20);
        assertEquals(p.dropped, 0);
        assert(p.items.every(([t, y]) => catalog.has(t, y) && !rec.seen_titles.includes(t)));
      });
    }
    assertEquals(r.demonstrations.val.length, world.records.val.length);
    const trainConvs = new Set(world.records.train.map((x) => x.prompt[0].content)).size;
    const usedConvs = new Set(r.demonstrations.train.map((x) => x.prompt[0].content)).size;
    assertEquals(usedConvs, Math.round(0.25 * trainConvs));

    const e = r.evaluation!.val;
    assertEquals(e.full.in_catalog, 1);
    assertEquals(e.full.format_violations, 0);
    assert(e.teacher.in_catalog < 0.9);
    assert(
      e.full.ndcg[20] > e.teacher.ndcg[20] + 0.01,
      "full beats the teacher's raw lists on NDCG@20",
    );
    assert(e.full.recall[20] > e.teacher.recall[20] + 0.03, "full beats the teacher on Recall@20");
    assert(e.full.ndcg[20] > e["no-adjust"].ndcg[20], "Adjust helps");
    assert(e.full.ndcg[20] > e["no-reflect"].ndcg[20], "Reflect helps");
    assert(
      e["no-adjust"].recall[20] > e["no-remap-reflect"].recall[20],
      "Remap+Reflect recover recall",
    );
    // −remap&reflect only drops out-of-catalog / seen / repeated lines: the filter-first metric already
    // ignores those, so it scores like the raw teacher.
    assert(Math.abs(e["no-remap-reflect"].ndcg[20] - e.teacher.ndcg[20]) < 0.005);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
