// Each notebook's parameters cell declares exactly its schema's knobs, its defaults parse, and a bad
// value or an unknown knob is refused naming the notebook, the knob and what it accepts.
import { assertEquals, assertThrows } from "../_assert.ts";
import { NOTEBOOK_PARAMS, parseNotebookParams } from "../../lib/experiment/notebook_params.ts";
import { declaredDefaults } from "../../lib/notebook/parameters_cell.ts";

const NOTEBOOKS = new URL("../../notebooks/", import.meta.url).pathname;

/** The knobs a notebook's `parameters` cell declares, with their default values. */
async function defaultsOf(name: string): Promise<Record<string, unknown>> {
  const path = `${NOTEBOOKS}${name}.ipynb`;
  return declaredDefaults(await Deno.readTextFile(path), path);
}

Deno.test("notebook params: every notebook has a schema of exactly its declared knobs, defaults parse", async () => {
  const names = [];
  for await (const e of Deno.readDir(NOTEBOOKS)) {
    if (e.name.endsWith(".ipynb")) names.push(e.name.slice(0, -".ipynb".length));
  }
  assertEquals(names.sort(), Object.keys(NOTEBOOK_PARAMS).sort());
  for (const name of names as (keyof typeof NOTEBOOK_PARAMS)[]) {
    const defaults = await defaultsOf(name);
    assertEquals(
      Object.keys(defaults).sort(),
      Object.keys(NOTEBOOK_PARAMS[name].shape).sort(),
      name,
    );
    assertEquals(parseNotebookParams(name, defaults), defaults, name);
  }
});

Deno.test("notebook params: the same accepted values in every notebook; errors name the knob", async () => {
  for (const name of ["03_sft", "04_rank_grpo", "05_ablations", "06_figures"] as const) {
    const defaults = await defaultsOf(name);
    for (const backend of ["auto", "cpu-blas", "wasm", "cpu", "webgpu"]) {
      assertEquals(parseNotebookParams(name, { ...defaults, backend }).backend, backend);
    }
    assertThrows(
      () => parseNotebookParams(name, { ...defaults, backend: "gpu" }),
      `notebooks/${name}.ipynb`,
      '"backend"',
      "auto",
    );
    assertThrows(() => parseNotebookParams(name, { ...defaults, preset: "large" }), '"preset"');
    assertThrows(
      () => parseNotebookParams(name, { ...defaults, sed: 1 }),
      'unknown key(s) "sed"',
    );
  }
  const rl = await defaultsOf("04_rank_grpo");
  assertEquals(parseNotebookParams("04_rank_grpo", { ...rl, reward: "exp:2" }).reward, "exp:2");
  assertThrows(() => parseNotebookParams("04_rank_grpo", { ...rl, reward: "exp:-1" }), "exp:Γ");
  assertThrows(() => parseNotebookParams("04_rank_grpo", { ...rl, algo: "ppo" }), '"algo"');
  const sft = await defaultsOf("03_sft");
  assertThrows(() => parseNotebookParams("03_sft", { ...sft, epochs: 0 }), '"epochs"');
  assertThrows(() => parseNotebookParams("03_sft", { ...sft, init: "" }), '"init"', "scratch");
  assertThrows(() => parseNotebookParams("07_new" as never, {}), "no schema", "06_figures");
});
