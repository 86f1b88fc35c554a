// lib/experiment/presets.ts: one registry of experiment presets ("smoke" | "default") holding the
// world, SFT, RL and base zero-shot settings; a renamed name fails naming its new one.
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  EXPERIMENT_PRESET_NAMES,
  EXPERIMENT_PRESETS,
  experimentPreset,
  experimentPresetName,
  sftPreset,
  worldPreset,
} from "../../lib/experiment/presets.ts";
import { rlPreset } from "../../lib/train/rl_loop/presets.ts";
import { parseNotebookParams } from "../../lib/experiment/notebook_params.ts";
import { dirname, join, normalize } from "node:path";

/** Repo-relative paths of the local modules a source imports (static, type-only and dynamic). */
function importsOf(file: string, source: string): string[] {
  const spec = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(["'])(\.{1,2}\/[^"']+)\1/gm;
  const code = source.replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
  return [...code.matchAll(spec)].map((m) => normalize(join(dirname(file), m[2])));
}

Deno.test("EXPERIMENT_PRESETS: every name has world, sft, rl and base_zero_shot; rl is rlPreset's", () => {
  assertEquals(Object.keys(EXPERIMENT_PRESETS), [...EXPERIMENT_PRESET_NAMES]);
  for (const name of EXPERIMENT_PRESET_NAMES) {
    const p = experimentPreset(name);
    assertEquals(Object.keys(p), ["world", "sft", "rl", "base_zero_shot"], name);
    assertEquals(p.rl, rlPreset(name), name);
    assertEquals(sftPreset(name), p.sft, name);
    assertEquals(worldPreset(name), p.world, name);
  }
  assertEquals(worldPreset("smoke", { seed: 7 }), {
    conversations: { train: 200, val: 30, test: 30 },
    seed: 7,
  });
  assertEquals(worldPreset("default"), {});
  assertEquals([sftPreset("smoke").model, sftPreset("default").model], ["smoke", "builtin-small"]);
});

Deno.test("experimentPreset: a fresh copy each call (the registry stays as written)", () => {
  const a = experimentPreset("smoke", { seed: 1 });
  a.sft.lr = 1;
  (a.world.conversations as { train: number }).train = 1;
  assertEquals(experimentPreset("smoke").sft.lr, 3e-3);
  assertEquals(EXPERIMENT_PRESETS.smoke.world, {
    conversations: { train: 200, val: 30, test: 30 },
  });
});

Deno.test("preset names: unknown names list the valid ones; builtin-small names its new name", () => {
  assertEquals(experimentPresetName("default", "here"), "default");
  assertThrows(
    () => experimentPreset("builtin-small"),
    'preset "builtin-small" was renamed "default"',
  );
  assertThrows(
    () => experimentPresetName("big", "here"),
    'here: preset: expected one of "smoke", "default", got "big"',
  );
  for (const nb of ["01_catalog_and_data", "03_sft"] as const) {
    const knobs = { preset: "builtin-small" };
    assertThrows(
      () => parseNotebookParams(nb, knobs),
      `"preset": preset "builtin-small" was renamed "default"`,
    );
  }
});

Deno.test("notebook_params.ts loads no trainer: its local imports reach no tfjs module", async () => {
  const seen = new Set<string>();
  const tfjs: string[] = [];
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = await Deno.readTextFile(new URL(`../../${file}`, import.meta.url));
    if (/from\s*["']@tensorflow|["']npm:@tensorflow/.test(source)) tfjs.push(file);
    for (const next of importsOf(file, source)) await visit(next);
  };
  await visit("lib/experiment/notebook_params.ts");
  assert(seen.has("lib/experiment/preset_names.ts"));
  assertEquals(tfjs, []);
  // preset_names.ts imports nothing
  const names = await Deno.readTextFile(
    new URL("../../lib/experiment/preset_names.ts", import.meta.url),
  );
  assertEquals(importsOf("lib/experiment/preset_names.ts", names), []);
});
