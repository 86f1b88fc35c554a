// Byte-level BPE trainer: hand-computed merges, the vocab-size cap, seeded tie order, determinism.
import { assertEquals, assertNotEquals, assertThrows } from "../../_assert.ts";
import { tokenizerFromJson, trainByteLevelBpe } from "../../../lib/model/tokenizer/mod.ts";

interface BpeModel {
  vocab: Record<string, number>;
  merges: string[];
}
const modelOf = (json: Record<string, unknown>) => json.model as BpeModel;

Deno.test("trainByteLevelBpe: hand-computed merges on 'ab ab ab cd'", () => {
  // words: "ab" ×1, "Ġab" ×2, "Ġcd" ×1 → pairs (a,b) 3, (Ġ,a) 2, (Ġ,c) 1, (c,d) 1: merge "a b";
  // then (Ġ,ab) 2: merge "Ġ ab"; then every pair occurs once (< minFrequency 2): stop
  const r = trainByteLevelBpe(["ab ab ab cd"], { vocabSize: 300, specialTokens: ["<|e|>"] });
  const model = modelOf(r.tokenizerJson);
  assertEquals(model.merges, ["a b", "Ġ ab"]);
  assertEquals([model.vocab["ab"], model.vocab["Ġab"], r.merges, r.words], [256, 257, 2, 3]);
  const tok = tokenizerFromJson(r.tokenizerJson, { eos_token: "<|e|>" });
  assertEquals(tok.encode("ab ab<|e|>"), [256, 257, 258]);
  assertEquals(tok.eosId, 258);
});

Deno.test("trainByteLevelBpe: stops at vocabSize (bytes + merges + specials)", () => {
  const r = trainByteLevelBpe(["ab ab ab cd"], { vocabSize: 258, specialTokens: ["<|e|>"] });
  assertEquals(modelOf(r.tokenizerJson).merges, ["a b"]);
  assertThrows(
    () => trainByteLevelBpe(["x"], { vocabSize: 256, specialTokens: ["<|e|>"] }),
    /vocabSize/,
  );
});

Deno.test("trainByteLevelBpe: the seed orders equal-count pairs; same seed, same output", () => {
  // (a,b), (Ġ,c) and (c,d) all occur 4 times: the one merge allowed depends on the seed only
  const texts = ["ab cd", "ab cd", "ab cd", "ab cd"];
  const first = (seed: number) =>
    modelOf(trainByteLevelBpe(texts, { vocabSize: 257, seed }).tokenizerJson).merges[0];
  const seen = new Set(Array.from({ length: 16 }, (_, s) => first(s)));
  assertEquals([...seen].every((m) => ["a b", "Ġ c", "c d"].includes(m)), true);
  assertNotEquals(seen.size, 1);
  assertEquals(
    trainByteLevelBpe(texts, { vocabSize: 300, seed: 3 }),
    trainByteLevelBpe(texts, { vocabSize: 300, seed: 3 }),
  );
});

Deno.test("trainByteLevelBpe: the loader reproduces the training segmentation", () => {
  // "aaaa" ×3: (a,a) counts 3 per word → "a a"; then (aa,aa) → "aa aa"; encode gives one token
  const r = trainByteLevelBpe(["aaaa aaaa aaaa"], { vocabSize: 300, specialTokens: ["<|e|>"] });
  assertEquals(modelOf(r.tokenizerJson).merges.slice(0, 2), ["a a", "aa aa"]);
  const tok = tokenizerFromJson(r.tokenizerJson, { eos_token: "<|e|>" });
  assertEquals(tok.encode("aaaa").length, 1);
  assertEquals(tok.decode(tok.encode("aaaa aaaa aaa")), "aaaa aaaa aaa");
});
