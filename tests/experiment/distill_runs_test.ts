// Notebook 02's distillation config has one home: its defaults are 02's declared knobs, and the config
// equals the one 02 and 06 used to build by hand (so their cached runs stay the same).
import { assertEquals, assertThrows } from "../_assert.ts";
import {
  DISTILL_NOTEBOOK_DEFAULTS,
  notebookDistillConfig,
} from "../../lib/experiment/distill_runs.ts";
import { parseDistillConfig } from "../../lib/distill/pipeline.ts";
import { worldPreset } from "../../lib/experiment/presets.ts";
import { declaredDefaults } from "../../lib/notebook/parameters_cell.ts";

Deno.test("DISTILL_NOTEBOOK_DEFAULTS are notebook 02's declared defaults", async () => {
  const path = new URL("../../notebooks/02_distill.ipynb", import.meta.url).pathname;
  const declared = declaredDefaults(await Deno.readTextFile(path), path);
  for (const [knob, value] of Object.entries(DISTILL_NOTEBOOK_DEFAULTS)) {
    assertEquals(declared[knob], value, knob);
  }
});

Deno.test("notebookDistillConfig = the hand-built config of notebooks 02 and 06; knobs override", () => {
  const byHand = parseDistillConfig({
    source: { kind: "world", world: worldPreset("smoke", { seed: 7 }) },
    variant: "full",
    lambda: 1,
    gamma: 0.5,
    n_r: 100,
    seed: 3,
    evaluate: true,
  });
  const config = notebookDistillConfig({ preset: "smoke", seed: 7, subsample_seed: 3 });
  assertEquals(JSON.stringify(config), JSON.stringify(byHand)); // key order too: the cache hashes it
  const changed = notebookDistillConfig({
    preset: "smoke",
    seed: 7,
    subsample_seed: 3,
    variant: "no-adjust",
    n_r: 20,
  });
  assertEquals([changed.variant, changed.n_r, changed.lambda], ["no-adjust", 20, 1]);
  assertThrows(
    () => notebookDistillConfig({ preset: "smoke", seed: 7, subsample_seed: 3, n_r: 0 }, "nb 02"),
    "nb 02",
    "n_r",
  );
});
