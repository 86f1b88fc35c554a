// evalGeneration / evalCheckpoint with each decoding on a tiny built-in world and a random model: greedy
// unchanged by default, catalog decodings keep every line in the catalog, no-repeat never repeats an item.
import { join } from "node:path";
import { assert, assertEquals } from "../../_assert.ts";
import { loadCatalog } from "../../../lib/catalog/catalog.ts";
import { readRecords } from "../../../lib/data/read_records.ts";
import type { ConversationRecord } from "../../../lib/data/record.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { saveCheckpoint } from "../../../lib/model/checkpoint.ts";
import { presetConfig } from "../../../lib/model/config.ts";
import { itemText } from "../../../lib/model/generate/catalog_trie.ts";
import { loadTokenizer } from "../../../lib/model/tokenizer/load.ts";
import { disposeWeights, initWeights } from "../../../lib/model/weights.ts";
import { evalCheckpoint } from "../../../lib/train/eval/eval_checkpoint.ts";
import {
  type EvalDecoding,
  evalGeneration,
  type EvalMetrics,
  tokenizerCatalogTrie,
} from "../../../lib/train/eval/evaluate.ts";
import { writeFixture } from "../sft/fixture.ts";

function untimed(m: EvalMetrics): EvalMetrics {
  const { gen_tokens_per_s: _, ...rest } = m;
  return rest;
}

Deno.test("evalGeneration: greedy by default; catalog decodings stay in the catalog; no-repeat never repeats", async () => {
  const f = await writeFixture();
  await useBackend("wasm");
  try {
    const tokenizer = await loadTokenizer(f.tokenizer);
    const catalog = await loadCatalog(f.catalog);
    const records: ConversationRecord[] = [];
    for await (const r of readRecords(f.val)) records.push(r.record);
    const config = {
      ...presetConfig("builtin-small"),
      vocab_size: tokenizer.vocabSize,
      eos_token_id: tokenizer.eosId,
    };
    const weights = initWeights(config, { seed: 3 });
    const texts = new Set(catalog.items.map(itemText));
    const prefixes = new Set(
      [...texts].flatMap((t) => Array.from({ length: t.length }, (_, i) => t.slice(0, i))),
    );
    const base = { catalog, ks: [5, 10], maxNewTokens: 48, maxPromptTokens: 80, batchSize: 3 };
    try {
      const plain = await evalGeneration(weights, config, tokenizer, records, base);
      assertEquals(plain.decoding, "greedy");
      const greedy = await evalGeneration(weights, config, tokenizer, records, {
        ...base,
        decoding: "greedy",
      });
      assertEquals(greedy.texts, plain.texts);
      assertEquals(untimed(greedy.metrics), untimed(plain.metrics));

      const trie = tokenizerCatalogTrie(tokenizer, catalog);
      const lists: Record<string, string[][]> = {};
      for (const decoding of ["catalog", "catalog-no-repeat"] as EvalDecoding[]) {
        const res = await evalGeneration(weights, config, tokenizer, records, {
          ...base,
          decoding,
        });
        assertEquals(res.decoding, decoding);
        // a prebuilt trie gives the same result
        const again = await evalGeneration(weights, config, tokenizer, records, {
          ...base,
          decoding,
          catalogTrie: trie,
        });
        assertEquals(again.texts, res.texts);
        assert(res.texts.length === plain.texts.length && res.texts.length > 1);
        lists[decoding] = res.texts.map((t) => {
          const lines = t.split("\n");
          // every line but the last is a whole item; the last is an item or a cut-off item prefix
          lines.slice(0, -1).forEach((l) =>
            assert(texts.has(l), `${decoding}: ${JSON.stringify(l)}`)
          );
          const last = lines.at(-1)!;
          assert(
            texts.has(last) || prefixes.has(last),
            `${decoding}: last ${JSON.stringify(last)}`,
          );
          return lines.filter((l) => texts.has(l));
        });
        assert(lists[decoding].flat().length >= 4, `${decoding}: too few items`);
      }
      for (const l of lists["catalog-no-repeat"]) {
        assertEquals(new Set(l).size, l.length, `repeat in ${JSON.stringify(l)}`);
      }
      const repeats = (ls: string[][]) => ls.reduce((s, l) => s + l.length - new Set(l).size, 0);
      console.log(
        `repeated lines: catalog ${repeats(lists.catalog)}, catalog-no-repeat ${
          repeats(lists["catalog-no-repeat"])
        }`,
      );

      // evalCheckpoint passes the decoding through: the saved model gives the same lists
      const ckpt = join(f.dir, "ckpt");
      await saveCheckpoint(ckpt, weights, config);
      for await (const e of Deno.readDir(f.tokenizer)) {
        if (e.isFile) await Deno.copyFile(join(f.tokenizer, e.name), join(ckpt, e.name));
      }
      const viaCkpt = await evalCheckpoint(ckpt, {
        val: f.val,
        catalog: f.catalog,
        ks: base.ks,
        maxNewTokens: base.maxNewTokens,
        maxPromptTokens: base.maxPromptTokens,
        batchSize: base.batchSize,
        decoding: "catalog-no-repeat",
      });
      assertEquals(viaCkpt.decoding, "catalog-no-repeat");
      assertEquals(
        viaCkpt.texts.map((t) => t.split("\n").filter((l) => texts.has(l))),
        lists["catalog-no-repeat"],
      );
      await assertRejectsDecoding(() =>
        evalGeneration(weights, config, tokenizer, records, {
          ...base,
          decoding: "beam" as EvalDecoding,
        })
      );
    } finally {
      disposeWeights(weights);
    }
  } finally {
    await useBackend("cpu");
    await Deno.remove(f.dir, { recursive: true });
  }
});

async function assertRejectsDecoding(fn: () => Promise<unknown>): Promise<void> {
  const err = await fn().then(() => null, (e: Error) => e);
  assert(err !== null && /evaluate\.ts: decoding: expected one of/.test(err.message), `${err}`);
}
