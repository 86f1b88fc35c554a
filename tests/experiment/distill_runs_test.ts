// Notebook 02's distillation config has one home: its defaults are 02's declared knobs, and the config
// equals the one 02 and 06 used to build by hand (so their cached runs stay the same).
import { assertEquals, assertThrows } from "../_assert.ts";
import {
  DISTILL_NOTEBOOK_DEFAULTS,
  notebookDistillConfig,
} from "../../lib/experiment/distill_runs.ts";
import { parseDistillConfig } from "../../lib/distill/pipeline.ts";
import { worldPreset } from "../../lib/experiment/presets.ts";

Deno.test("DISTILL_NOTEBOOK_DEFAULTS are notebook 02's declared defaults", async () => {
  const nb = JSON.parse(
    await Deno.readTextFile(new URL("../../notebooks/02_distill.ipynb", import.meta.url)),
  );
  const cell = nb.cells.find((c: { metadata?: { tags?: string[] } }) =>
    c.metadata?.tags?.includes("parameters")
  );
  const source = (cell.source as string[]).join("");
  for (const [knob, value] of Object.entries(DISTILL_NOTEBOOK_DEFAULTS)) {
    const m = new RegExp(`^let ${knob}\\s*=\\s*(.+?);`, "m").exec(source);
    assertEquals(m === null ? undefined : JSON.parse(m[1]), value, knob);
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
