// Catalog-constrained decoding with noRepeat: exact per-row use counts (shared-prefix items stay reachable,
// used-up prefixes masked), no dead ends when every item is used, and random-weight generation (greedy and seeded sampling).
import { assert, assertEquals } from "../../_assert.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { presetConfig } from "../../../lib/model/config.ts";
import { disposeWeights, initWeights } from "../../../lib/model/weights.ts";
import {
  buildCatalogTrie,
  catalogConstraint,
  type CatalogState,
  type Completion,
  generate,
  itemText,
  type TokenConstraint,
} from "../../../lib/model/generate/mod.ts";
import { fakeVocab } from "./fake_vocab.ts";

const ITEMS = [
  ["The Matrix", 1999],
  ["The Matrix Reloaded", 2003],
  ["The Matrix Revolutions", 2003],
  ["Heat", 1995],
  ["Heat", 1986],
  ["Heathers", 1988],
  ["Up", 2009],
].map(([title, year]) => ({ title: title as string, year: year as number }));
const SPECIALS = ["<pad>", "<eos>"];
const EXTRA = [" (", "19", "20", "The ", "He", "Matrix"];

function setup(items = ITEMS) {
  const vocab = fakeVocab(items.map(itemText), EXTRA, SPECIALS);
  const eos = vocab.id("<eos>"), nl = vocab.id("\n");
  const trie = buildCatalogTrie(items, vocab.encode, { eosIds: [eos] });
  const pieces = (ids: readonly number[]) => ids.map((i) => vocab.pieces[i]).sort();
  const feed = (c: TokenConstraint<CatalogState>, s: CatalogState, text: string) =>
    vocab.encode(text).forEach((t) => c.advance(s, t));
  return { vocab, eos, nl, trie, pieces, feed };
}

Deno.test("noRepeat: a shared prefix stays open while an unused item lies below it", () => {
  const { nl, eos, trie, pieces, feed } = setup();
  const c = catalogConstraint(trie, { noRepeat: true });
  const s = c.start(0);
  feed(c, s, "The Matrix (1999)");
  c.advance(s, nl);
  feed(c, s, "The Matrix");
  assertEquals(pieces(c.allowed(s)), [" "]);
  feed(c, s, " ");
  assertEquals(pieces(c.allowed(s)), ["R"]); // "(" would only lead to the used 1999 item
  feed(c, s, "Reloaded (2003)");
  assertEquals(c.allowed(s), [nl, eos]);
  c.advance(s, nl);
  feed(c, s, "The Matrix Re");
  assertEquals(pieces(c.allowed(s)), ["v"]);
  assertEquals(s.emitted, [0, 1]);
  assertEquals(s.blocked.get(trie.root), 2); // counts per node, the trie is not copied
  assertEquals(trie.root.count, ITEMS.length);
  // without noRepeat the used item is allowed again
  const r = catalogConstraint(trie, { noRepeat: false });
  const t = r.start(0);
  feed(r, t, "The Matrix (1999)");
  r.advance(t, nl);
  feed(r, t, "The Matrix");
  assertEquals(pieces(r.allowed(t)), [" ", " ("]);
  feed(r, t, " (1999)");
  assertEquals(r.allowed(t), [nl, eos]);
  assertEquals(t.blocked.size, 0);
});

Deno.test("noRepeat: when every item is used only EOS is left; an EOS-ended item is recorded", () => {
  const items = [{ title: "Up", year: 2009 }, { title: "Her", year: 2013 }];
  const { nl, eos, trie, feed } = setup(items);
  const c = catalogConstraint(trie);
  const s = c.start(0);
  feed(c, s, "Up (2009)");
  c.advance(s, nl);
  feed(c, s, "Her (2013)");
  assertEquals(c.allowed(s), [nl, eos]);
  c.advance(s, nl);
  assertEquals(c.allowed(s), [eos]); // nothing left: the row can still end
  const all = catalogConstraint(trie, { forbiddenTitles: [["Up", "Her"]] }).start(0);
  assertEquals(catalogConstraint(trie).allowed(all), [eos]); // nothing allowed from the start
  const e = c.start(0);
  feed(c, e, "Her (2013)");
  c.advance(e, eos);
  assertEquals(e.emitted, [1]);
});

Deno.test("noRepeat: duplicate item texts are blocked once (other items stay open)", () => {
  const items = [{ title: "Up", year: 2009 }, { title: "Up", year: 2009 }, {
    title: "Upside",
    year: 2010,
  }];
  const { eos, trie, pieces } = setup(items);
  const c = catalogConstraint(trie, { forbiddenTitles: [["Up"]] });
  const s = c.start(0);
  assertEquals(pieces(c.allowed(s)), ["U"]); // "Upside (2010)" is still reachable
  assertEquals(s.blocked.get(trie.root), 1);
  assert(!c.allowed(s).includes(eos));
});

/** The constraint without EOS while anything else is allowed: forces a row to use up the catalog. */
function noEarlyEos<S>(c: TokenConstraint<S>, eos: number): TokenConstraint<S> {
  return {
    ...c,
    allowed(state) {
      const a = c.allowed(state);
      const b = a.filter((t) => t !== eos);
      return b.length > 0 ? b : a;
    },
  };
}

async function run(
  options: {
    noRepeat: boolean;
    temperature: number;
    seeds: number[];
    weightSeeds: number[];
    maxNewTokens: number;
    exhaust?: boolean;
  },
): Promise<{ completions: Completion[]; lines: string[][] }> {
  const { vocab, eos, trie } = setup();
  const config = { ...presetConfig("builtin-small"), vocab_size: vocab.pieces.length };
  const prompts = [[vocab.id("H"), vocab.id("e")], [vocab.id("T")], [vocab.id("U"), 5, 7]];
  const base = catalogConstraint(trie, { noRepeat: options.noRepeat });
  const constraint = options.exhaust ? noEarlyEos(base, eos) : base;
  const texts = new Set(ITEMS.map(itemText));
  const completions: Completion[] = [];
  const lines: string[][] = [];
  for (const ws of options.weightSeeds) {
    const weights = initWeights(config, { seed: ws });
    try {
      for (const seed of options.seeds) {
        const out = await generate({ weights, config }, prompts, {
          maxNewTokens: options.maxNewTokens,
          temperature: options.temperature,
          topP: options.temperature === 0 ? 1 : 0.9,
          n: 2,
          seed,
          eosIds: [eos],
          constraint,
        });
        for (const c of out.completions) {
          const text = vocab.decode(c.tokenIds.filter((t) => t !== eos));
          const split = text.split("\n");
          // a length-cut last line is partial; after EOS the last line is complete (or empty after a newline)
          const complete = c.finishReason === "eos"
            ? split.filter((l, i) => l !== "" || i < split.length - 1)
            : split.slice(0, -1);
          complete.forEach((l) =>
            assert(texts.has(l), `line ${JSON.stringify(l)} is not a catalog item`)
          );
          completions.push(c);
          lines.push(complete);
        }
      }
    } finally {
      disposeWeights(weights);
    }
  }
  return { completions, lines };
}

Deno.test("noRepeat generation: no completion repeats an item (greedy and sampled, many seeds)", async () => {
  await useBackend("wasm");
  try {
    const greedy = await run({
      noRepeat: true,
      temperature: 0,
      seeds: [0],
      weightSeeds: [1, 2, 3, 4, 5, 6],
      maxNewTokens: 90,
    });
    const sampled = await run({
      noRepeat: true,
      temperature: 1,
      seeds: [1, 2, 3, 4, 5, 6, 7, 8],
      weightSeeds: [9],
      maxNewTokens: 90,
    });
    let items = 0;
    for (const l of [...greedy.lines, ...sampled.lines]) {
      assertEquals(new Set(l).size, l.length, `repeated item in ${JSON.stringify(l)}`);
      items += l.length;
    }
    assert(items >= 60, `only ${items} complete items generated`);
    // seeded: the same seed gives the same completions
    const again = await run({
      noRepeat: true,
      temperature: 1,
      seeds: [3],
      weightSeeds: [9],
      maxNewTokens: 90,
    });
    assertEquals(again.completions, sampled.completions.slice(2 * 6, 3 * 6));
  } finally {
    await useBackend("cpu");
  }
});

Deno.test("noRepeat generation: rows that use up the catalog end with EOS, each item once", async () => {
  await useBackend("wasm");
  try {
    const all = ITEMS.map(itemText).sort();
    for (const temperature of [0, 1]) {
      const { completions, lines } = await run({
        noRepeat: true,
        temperature,
        seeds: temperature === 0 ? [0] : [1, 2],
        weightSeeds: [1, 2],
        maxNewTokens: 200,
        exhaust: true,
      });
      completions.forEach((c) => assertEquals(c.finishReason, "eos"));
      lines.forEach((l) => assertEquals([...l].sort(), all));
    }
    // without noRepeat the same forced rows repeat items and run to the length limit
    const { completions, lines } = await run({
      noRepeat: false,
      temperature: 1,
      seeds: [1],
      weightSeeds: [1],
      maxNewTokens: 200,
      exhaust: true,
    });
    completions.forEach((c) => assertEquals(c.finishReason, "length"));
    lines.forEach((l) => assert(new Set(l).size < l.length, `no repeat in ${l.length} lines`));
  } finally {
    await useBackend("cpu");
  }
});
