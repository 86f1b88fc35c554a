// Tests of Remap's embeddings: the offline hashed TF-IDF (unit rows, determinism, n-gram similarity)
// and the endpoint wrapper (normalisation, count and width checks).
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../_assert.ts";
import {
  endpointEmbedder,
  fitHashedTfidf,
  normalizeRows,
  textFeatures,
} from "../../../lib/distill/embed/mod.ts";

const CORPUS = [
  "Heat (1995)\nKeywords: action, crime, directed by Michael Mann, 1990s",
  "Collateral (2004)\nKeywords: thriller, crime, directed by Michael Mann, 2000s",
  "Toy Story (1995)\nKeywords: animation, family, comedy, 1990s",
  "Up (2009)\nKeywords: animation, adventure, family, 2000s",
];

function cos(m: Float32Array, d: number, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += m[i * d + k] * m[j * d + k];
  return s;
}

Deno.test("textFeatures: word unigrams, bigrams and padded char n-grams", () => {
  const f = textFeatures("Big Heat", [3, 3]);
  assertEquals(f.word, ["w:big", "w:heat", "b:big heat"]);
  assertEquals(f.char, ["c:<bi", "c:big", "c:ig>", "c:<he", "c:hea", "c:eat", "c:at>"]);
});

Deno.test("hashed TF-IDF: unit rows of width d, deterministic, related texts closer", async () => {
  const emb = fitHashedTfidf(CORPUS, { dim: 128 });
  assertEquals(emb.dim, 128);
  const m = await emb.embed([...CORPUS, "a Michael Mann crime thriller", ""]);
  assertEquals(m.length, 6 * 128);
  for (let i = 0; i < 5; i++) assertAlmostEquals(cos(m, 128, i, i), 1, 1e-5, `row ${i}`);
  assertEquals(cos(m, 128, 5, 5), 0); // no features → zero row
  const again = await fitHashedTfidf(CORPUS, { dim: 128 }).embed(CORPUS);
  assertEquals(again, m.slice(0, 4 * 128));
  assert(cos(m, 128, 4, 0) > cos(m, 128, 4, 2), "Mann query closer to Heat than to Toy Story");
  assert(cos(m, 128, 4, 1) > cos(m, 128, 4, 3), "Mann query closer to Collateral than to Up");
});

Deno.test("hashed TF-IDF: a misspelt title stays close through character n-grams", async () => {
  const emb = fitHashedTfidf(CORPUS, { dim: 256 });
  const m = await emb.embed(["Collaterall (2004)", "Collateral (2004)", "Toy Story (1995)"]);
  assert(cos(m, 256, 0, 1) > 0.5 && cos(m, 256, 0, 1) > cos(m, 256, 0, 2) + 0.3);
});

Deno.test("endpointEmbedder: normalises rows, learns the width, checks counts", async () => {
  const emb = endpointEmbedder(
    (texts) => Promise.resolve(texts.map((t) => Float32Array.of(t.length, 0, 0, 0))),
    {
      name: "fake",
    },
  );
  const m = await emb.embed(["abc", "de"]);
  assertEquals(emb.dim, 4);
  assertEquals(Array.from(m), [1, 0, 0, 0, 1, 0, 0, 0]);
  const short = endpointEmbedder(() => Promise.resolve([Float32Array.of(1)]), { name: "short" });
  await assertRejects(() => short.embed(["a", "b"]), "expected 2 vectors, got 1");
  assertEquals(
    Array.from(normalizeRows(Float32Array.of(3, 4, 0, 0), 2)),
    [0.6, 0.8, 0, 0].map(Math.fround),
  );
});
