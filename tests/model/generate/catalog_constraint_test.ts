// Catalog-constrained decoding: the trie's allowed sets by hand, segmentation checks, and random-weight
// generation that never leaves the catalog (checked with parseList + Catalog.has), on a synthetic and the real catalog.
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { catalogFromItems, loadCatalog } from "../../../lib/catalog/catalog.ts";
import { parseList } from "../../../lib/catalog/parse_list.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { presetConfig } from "../../../lib/model/config.ts";
import { disposeWeights, initWeights } from "../../../lib/model/weights.ts";
import {
  buildCatalogTrie,
  catalogConstraint,
  generate,
  itemText,
  segmentationMismatches,
} from "../../../lib/model/generate/mod.ts";
import { REAL_CATALOG } from "../../shared_data.ts";
import { fakeVocab } from "./fake_vocab.ts";

const ITEMS = [
  ["Heat", 1995],
  ["Heat", 1986],
  ["Alien", 1979],
  ["Aliens", 1986],
  ["The Thing", 1982],
  ["The Wall", 1982],
  ["Up", 2009],
  ["Her", 2013],
  ["Heathers", 1988],
  ["Alien: Covenant", 2017],
].map(([title, year]) => ({ title: title as string, year: year as number, meta: {} }));
const SPECIALS = ["<pad>", "<eos>"];
const EXTRA = [" (", "19", "20", "The ", "He", "Alien", ")\n", "\n\n"];

Deno.test("catalog trie: allowed tokens step by step, repeats and seen titles forbidden", () => {
  const vocab = fakeVocab(ITEMS.map(itemText), EXTRA, SPECIALS);
  const eos = vocab.id("<eos>"), nl = vocab.id("\n");
  const trie = buildCatalogTrie(ITEMS, vocab.encode, { eosIds: [eos] });
  const c = catalogConstraint(trie, { forbiddenTitles: [["Heathers"]] });
  const s = c.start(0);
  const firsts = (ids: readonly number[]) => ids.map((i) => vocab.pieces[i]).sort();
  assertEquals(firsts(c.allowed(s)), ["Alien", "He", "The ", "U"].sort()); // no EOS before an item
  const feed = (text: string) => vocab.encode(text).forEach((t) => c.advance(s, t));
  feed("He");
  assertEquals(firsts(c.allowed(s)), ["a", "r"]);
  feed("at (1995)");
  assertEquals(c.allowed(s), [nl, eos]);
  assertThrows(() => c.advance(s, vocab.id(")\n")), /leaves the catalog/);
  c.advance(s, nl);
  assertEquals(s.emitted, [0]);
  feed("Heat (19");
  assertEquals(firsts(c.allowed(s)), ["8"]); // 1995 already emitted
  feed("86)");
  c.advance(s, nl);
  feed("He");
  assertEquals(firsts(c.allowed(s)), ["r"]); // both Heats emitted, Heathers is a seen title
  assert(c.allowed(s).length > 0);
  const t = c.start(1); // another prompt: nothing forbidden
  assertEquals(c.allowed(t).includes(eos), false);
  assertEquals(catalogConstraint(trie, { allowEmpty: true }).allowed(t).includes(eos), true);
});

Deno.test("catalog trie: newline must be one token; merged-newline segmentation is reported", () => {
  const texts = ITEMS.map(itemText);
  assertThrows(
    () => buildCatalogTrie(ITEMS, (t) => (t === "\n" ? [1, 2] : [3]), { eosIds: [0] }),
    /encode\("\\n"\) gave 2 tokens/,
  );
  const merged = fakeVocab(texts, EXTRA, SPECIALS); // has ")\n": lists re-encode differently
  const trieM = buildCatalogTrie(ITEMS, merged.encode, { eosIds: [merged.id("<eos>")] });
  assertEquals(segmentationMismatches(trieM, merged.encode).length, ITEMS.length);
  const plain = fakeVocab(texts, EXTRA.filter((p) => !p.includes("\n")), SPECIALS);
  const trieP = buildCatalogTrie(ITEMS, plain.encode, { eosIds: [plain.id("<eos>")] });
  assertEquals(segmentationMismatches(trieP, plain.encode), []);
});

async function constrainedRun(
  items: { title: string; year: number; meta: Record<string, string> }[],
  options: { seeds: number[]; maxNewTokens: number; forbidden?: string[][] },
) {
  await useBackend("wasm");
  const catalog = catalogFromItems(items);
  const vocab = fakeVocab(catalog.items.map(itemText), EXTRA, SPECIALS);
  const eos = vocab.id("<eos>");
  const trie = buildCatalogTrie(catalog.items, vocab.encode, { eosIds: [eos] });
  const config = {
    ...presetConfig("builtin-small"),
    vocab_size: vocab.pieces.length,
    eos_token_id: eos,
  };
  const weights = initWeights(config, { seed: 9 });
  const texts = new Set(catalog.items.map(itemText));
  const prompts = [[vocab.id("H"), vocab.id("e")], [vocab.id("T")], [
    vocab.id("U"),
    vocab.id("p"),
    5,
  ]];
  let parsedItems = 0;
  for (const seed of options.seeds) {
    const { completions } = await generate({ weights, config }, prompts, {
      maxNewTokens: options.maxNewTokens,
      temperature: 1,
      n: 3,
      seed,
      constraint: catalogConstraint(trie, { forbiddenTitles: options.forbidden }),
    });
    for (const c of completions) {
      const text = vocab.decode(c.tokenIds.filter((t) => t !== eos));
      const lines = text.split("\n");
      // the last line is cut off at maxNewTokens, or empty when EOS followed a newline
      const complete = c.finishReason === "eos" && lines.at(-1) !== "" ? lines : lines.slice(0, -1);
      complete.forEach((l) =>
        assert(texts.has(l), `line ${JSON.stringify(l)} is not a catalog item`)
      );
      assertEquals(
        new Set(complete).size,
        complete.length,
        `repeated item in ${JSON.stringify(text)}`,
      );
      const parsed = parseList(complete.join("\n"));
      for (const [title, year] of parsed.items) {
        assert(catalog.has(title, year), `${title} (${year}) not in catalog`);
        assert(!(options.forbidden?.[c.promptIndex] ?? []).includes(title), `seen title ${title}`);
      }
      parsedItems += parsed.items.length;
      // at temperature 1 without top-p, q = p / p(allowed) ≥ p
      c.samplingLogprobs.forEach((q, j) =>
        assert(q >= c.logprobs[j] - 1e-6, `q ${q} < p ${c.logprobs[j]}`)
      );
    }
  }
  disposeWeights(weights);
  await useBackend("cpu");
  return parsedItems;
}

Deno.test("constrained generation (random weights) never leaves a small catalog", async () => {
  const n = await constrainedRun(ITEMS, {
    seeds: [1, 2, 3],
    maxNewTokens: 60,
    forbidden: [["Heat"], [], ["Up", "Her"]],
  });
  assert(n >= 20, `only ${n} complete items generated`);
});

const haveReal = await Deno.stat(REAL_CATALOG).then(() => true, () => false);
Deno.test({
  name: `constrained generation never leaves the real Reddit-v2 catalog${
    haveReal ? "" : ` (skipped: ${REAL_CATALOG} absent)`
  }`,
  ignore: !haveReal,
  fn: async () => {
    const catalog = await loadCatalog(REAL_CATALOG);
    const n = await constrainedRun([...catalog.items], { seeds: [4], maxNewTokens: 80 });
    assert(n >= 6, `only ${n} complete items generated`);
  },
});
