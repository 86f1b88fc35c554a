// SFT/RL inputs of the built-in world: distilled demonstrations (deduplicated, 25% of train conversations,
// catalog-grounded), RL prompts from the whole train split, the stand-in option, caching, backends.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { loadCatalog } from "../../lib/catalog/catalog.ts";
import { parseList } from "../../lib/catalog/parse_list.ts";
import { generateWorld } from "../../lib/data/world/mod.ts";
import {
  cachedTrainingInputs,
  dedupeDemonstrations,
  distilledInputsConfig,
  SFT_TRAIN_FRACTION,
} from "../../lib/experiment/training_inputs.ts";
import { cachedSftInputs, resolveTrainingBackend } from "../../lib/experiment/training_runs.ts";

const WORLD = { seed: 3, conversations: { train: 40, val: 6, test: 6 } };

const readJsonl = async (p: string) =>
  (await Deno.readTextFile(p)).split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));

const msg = (content: string) => [{ role: "user" as const, content }];
const reply = (content: string) => [{ role: "assistant" as const, content }];

Deno.test("dedupeDemonstrations: one record per distinct (prompt, completion), first kept, order kept", () => {
  const a = { prompt: msg("a"), completion: reply("x"), id: 1 };
  const a2 = { prompt: msg("a"), completion: reply("x"), id: 2 }; // another reply, same conversation
  const aOther = { prompt: msg("a"), completion: reply("y"), id: 3 };
  const b = { prompt: msg("b"), completion: reply("x"), id: 4 };
  assertEquals(dedupeDemonstrations([a, a2, aOther, b, a]).map((r) => r.id), [1, 3, 4]);
  assertEquals(dedupeDemonstrations([]), []);
});

Deno.test("distilledInputsConfig: variant full, every train conversation, scored on val and test", () => {
  const c = distilledInputsConfig({ seed: 9 });
  assertEquals([c.variant, c.train_fraction, c.splits, c.evaluate], [
    "full",
    1,
    ["train", "val", "test"],
    true,
  ]);
  assertEquals((c.source as { world: unknown }).world, { seed: 9 });
});

Deno.test("cachedTrainingInputs: distilled SFT data, RL prompts, test split; cached; stand-in on request", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "convrec-inputs-" });
  try {
    const lines: string[] = [];
    const opts = { cacheDir, log: (l: string) => lines.push(l), version: "test" };
    const inputs = await cachedTrainingInputs(WORLD, opts);
    const world = await generateWorld(WORLD);
    const catalog = await loadCatalog(inputs.sft.catalog);
    const train = await readJsonl(inputs.sft.data);
    const conversations = new Set(world.records.train.map((r) => r.prompt[0].content));
    // one demonstration per train conversation (SFT_TRAIN_FRACTION = 1), each 20 catalog items
    assertEquals(train.length, Math.round(SFT_TRAIN_FRACTION * conversations.size));
    assertEquals(train.length, conversations.size);
    assertEquals(new Set(train.map((r) => r.prompt[0].content)).size, train.length);
    for (const r of train) {
      const items = parseList(r.completion[0].content).items;
      assertEquals(items.length, 20);
      assert(items.every(([t, y]) => catalog.has(t, y)), "a distilled item outside the catalog");
    }
    const val = await readJsonl(inputs.sft.val);
    assertEquals(val.length, world.records.val.length);
    assert(val.every((r) => r.completion[0].content.split("\n").length === 20));
    assertEquals(
      (await readJsonl(inputs.rl)).map((r) => r.id),
      world.records.train.map((r) => r.id),
    );
    assertEquals((await readJsonl(inputs.test)).length, world.records.test.length);
    assertEquals(inputs.counts, {
      sft_train: train.length,
      val: val.length,
      rl: world.records.train.length,
      test: world.records.test.length,
    });
    assert((await Deno.stat(`${inputs.sft.tokenizer}/tokenizer.json`)).isFile);
    const test = inputs.evaluation!.test;
    assertEquals(test.full.in_catalog, 1);
    assert(test.teacher.records > 0);

    // the same config is served from the cache; cachedSftInputs gives the same SFT paths
    assertEquals(await cachedTrainingInputs(WORLD, opts), inputs);
    assertEquals(await cachedSftInputs(WORLD, opts), inputs.sft);
    assertEquals(lines.filter((l) => l.startsWith("cache hit")).length, 2);

    // the stand-in (oracle) demonstrations are an explicit option, in their own folder
    const standIn = await cachedTrainingInputs(WORLD, { ...opts, demonstrations: "stand-in" });
    assertEquals([standIn.demonstrations, standIn.distill, standIn.evaluation], [
      "stand-in",
      null,
      null,
    ]);
    assert(standIn.sft.data !== inputs.sft.data);
    assertEquals(standIn.counts.sft_train, conversations.size);
    await assertRejects(
      () => cachedTrainingInputs(WORLD, { ...opts, demonstrations: "oracle" }),
      'expected one of "distilled", "stand-in", got "oracle"',
    );
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("resolveTrainingBackend: a named backend as asked, an unknown name fails with the valid ones", async () => {
  assertEquals(await resolveTrainingBackend("wasm"), { backend: "wasm", reason: "asked for" });
  await assertRejects(() => resolveTrainingBackend("gpu"), 'expected one of "auto", "cpu-blas"');
  const auto = await resolveTrainingBackend("auto");
  assert(auto.reason.startsWith("auto: "), auto.reason);
  assert(["cpu-blas", "wasm"].includes(auto.backend), auto.backend);
});
