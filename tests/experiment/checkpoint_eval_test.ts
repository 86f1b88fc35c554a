// cachedGreedyEval: a checkpoint evaluated on a record file once per (checkpoint files, records, catalog,
// settings, code version); a rewritten checkpoint file or other settings are evaluated again.
import { assert, assertEquals } from "../_assert.ts";
import { cachedGreedyEval } from "../../lib/experiment/checkpoint_eval.ts";
import { cachedTrainingInputs } from "../../lib/experiment/training_inputs.ts";
import { cachedSft } from "../../lib/experiment/training_runs.ts";
import { experimentPreset } from "../../lib/experiment/presets.ts";

Deno.test("cachedGreedyEval: served from the cache until the checkpoint or the settings change", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "convrec-eval-" });
  try {
    const lines: string[] = [];
    const opts = { cacheDir, log: (l: string) => lines.push(l), version: "test" };
    const preset = experimentPreset("smoke", { seed: 2 });
    const world = { ...preset.world, conversations: { train: 12, val: 3, test: 3 } };
    const inputs = await cachedTrainingInputs(world, { ...opts, demonstrations: "stand-in" });
    const sft = await cachedSft({
      ...preset.sft,
      ...inputs.sft,
      backend: "wasm",
      max_steps: 1,
      eval_conversations: 1,
      eval_max_new_tokens: 4,
    }, opts);
    const settings = {
      records: inputs.test,
      catalog: inputs.sft.catalog,
      backend: "wasm" as const,
      maxNewTokens: 8,
      maxPromptTokens: 96,
    };
    const hits = () => lines.filter((l) => l.startsWith("cache hit")).length;
    const a = await cachedGreedyEval(sft.checkpoint, settings, opts);
    assertEquals(a.metrics.conversations, 3);
    assertEquals(a.texts.length, 3);
    for (const k of ["recall@20", "ndcg@20", "in_catalog"]) {
      assert(a.metrics[k] >= 0 && a.metrics[k] <= 1, `${k}: ${a.metrics[k]}`);
    }
    const before = hits();
    assertEquals(await cachedGreedyEval(sft.checkpoint, settings, opts), a);
    assertEquals(hits(), before + 1);
    await cachedGreedyEval(sft.checkpoint, { ...settings, maxNewTokens: 6 }, opts);
    assertEquals(hits(), before + 1, "other settings were served a cached evaluation");
    // rewriting a checkpoint file (same bytes, new modification time) is a new checkpoint
    const cfg = `${sft.checkpoint}/config.json`;
    await new Promise((r) => setTimeout(r, 20));
    await Deno.writeTextFile(cfg, await Deno.readTextFile(cfg));
    await cachedGreedyEval(sft.checkpoint, settings, opts);
    assertEquals(hits(), before + 1, "a rewritten checkpoint was served a cached evaluation");
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
