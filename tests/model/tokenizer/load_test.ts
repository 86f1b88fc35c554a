// Loader tests on two tiny real-format fixtures (Qwen2 and Llama-3 layouts): ids derived by hand
// and ids from an independent Python byte-level BPE (tests/fixtures/tokenizer/make_fixtures.py).
import { assertEquals, assertRejects, assertThrows } from "../../_assert.ts";
import { loadTokenizer, tokenizerFromJson } from "../../../lib/model/tokenizer/mod.ts";

const FIXTURES = new URL("../../fixtures/tokenizer/", import.meta.url).pathname;
const qwen = await loadTokenizer(`${FIXTURES}tiny_qwen2`);
const llama = await loadTokenizer(`${FIXTURES}tiny_llama3`);
const reference = JSON.parse(
  await Deno.readTextFile(`${FIXTURES}reference_encodings.json`),
) as Record<string, { text: string; add_special_tokens: boolean; ids: number[] }[]>;

// GPT-2 byte order: "!".."~" are ids 0..93 (id = byte - 33); space "Ġ" is 220, "\n" "Ċ" is 198.
const ch = (c: string) => c.charCodeAt(0) - 33;

Deno.test("qwen2 fixture: hand-derived ids (digits split, ')\\n' merged, merge ranks)", () => {
  // "Heat" (merges e a → H ea → Hea t = 263), "Ġ(" (260), 1 9 9 5 one each (the merge "1 9" never
  // applies: the split regex isolates digits), ")Ċ" (266: punctuation keeps trailing newlines)
  assertEquals(qwen.encode("Heat (1995)\n"), [263, 260, ch("1"), ch("9"), ch("9"), ch("5"), 266]);
  // " the" → Ġt(256)+he(257) → Ġthe(258); "thing" → t h in(259) g → t h ing(269) (no "t h" merge)
  assertEquals(qwen.encode(" the thing"), [258, 256, ch("h"), 269]);
  // "é" NFC: bytes C3 A9 → "Ã©" merged (268); decomposed "e\u0301" is NFC-normalized first
  assertEquals(qwen.encode("é"), [268]);
  assertEquals(qwen.encode("e\u0301"), [268]);
  // specials are matched before the regex, with their ids after the vocab (270..272)
  assertEquals(qwen.encode("<|im_start|>x<|im_end|>"), [271, ch("x"), 272]);
});

Deno.test("llama3 fixture: hand-derived ids (digit triples, ignore_merges, BOS)", () => {
  // "1995" → "199" (19 9 = 260) + "5"; ")\n" stays one pre-token but has no merge: ")" "Ċ"
  assertEquals(llama.encode("Heat (1995)\n"), [264, 261, 260, ch("5"), ch(")"), 198]);
  // "Ġhello" (266) has no merge path; ignore_merges takes the whole pre-token from the vocab
  assertEquals(llama.encode("hello hello"), [257, ch("l"), ch("l"), ch("o"), 266]);
  assertEquals(llama.encode("hi", { addSpecialTokens: true }), [267, ch("h"), ch("i")]);
  assertEquals(llama.encode("hi"), [ch("h"), ch("i")]);
});

for (const name of ["tiny_qwen2", "tiny_llama3"]) {
  Deno.test(
    `${name}: encode matches the independent Python BPE on ${reference[name].length} cases`,
    () => {
      const tok = name === "tiny_qwen2" ? qwen : llama;
      for (const { text, add_special_tokens, ids } of reference[name]) {
        assertEquals(
          tok.encode(text, { addSpecialTokens: add_special_tokens }),
          ids,
          `${name} ${JSON.stringify(text)}`,
        );
      }
    },
  );
}

Deno.test("qwen2 fixture: decode round trip (NFC), skipSpecialTokens, decodeToken, tokenBytes", () => {
  for (const { text } of reference.tiny_qwen2) {
    assertEquals(qwen.decode(qwen.encode(text)), text.normalize("NFC"));
  }
  const ids = qwen.encode("<|im_start|>user\nHi<|im_end|>");
  assertEquals(qwen.decode(ids, { skipSpecialTokens: true }), "user\nHi");
  assertEquals(qwen.decode([]), "");
  assertEquals(qwen.decodeToken(266), ")\n");
  assertEquals(qwen.decodeToken(198), "\n");
  assertEquals(qwen.decodeToken(272), "<|im_end|>");
  // a lone UTF-8 lead byte is not text by itself: "Ã" is byte C3 = 195, id 94 + 12 + (195 - 174)
  assertEquals(qwen.decodeToken(127), "\uFFFD");
  assertEquals(Array.from(qwen.tokenBytes(127)), [0xc3]);
  assertEquals(Array.from(qwen.tokenBytes(268)), [0xc3, 0xa9]);
  assertEquals(
    Array.from(qwen.tokenBytes(272)),
    Array.from(new TextEncoder().encode("<|im_end|>")),
  );
  assertThrows(() => qwen.decode([273]), /id 273 is not in the vocab/);
});

Deno.test("fixtures: special ids and vocab size come from the files", () => {
  assertEquals([qwen.vocabSize, qwen.eosId, qwen.bosId, qwen.padId], [273, 272, null, 270]);
  assertEquals(qwen.specialTokens, {
    "<|endoftext|>": 270,
    "<|im_start|>": 271,
    "<|im_end|>": 272,
  });
  assertEquals([llama.vocabSize, llama.eosId, llama.bosId, llama.padId], [272, 271, 267, null]);
});

Deno.test("llama3 fixture: decode applies clean_up_tokenization_spaces as configured", () => {
  assertEquals(llama.decode(llama.encode("a , b")), "a, b");
  assertEquals(qwen.decode(qwen.encode("a , b")), "a , b");
});

Deno.test("chat templates render with messages, special tokens and add_generation_prompt", () => {
  const messages = [{ role: "user", content: " Hi " }];
  assertEquals(
    qwen.applyChatTemplate(messages, { addGenerationPrompt: true }),
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
      "<|im_start|>user\n Hi <|im_end|>\n<|im_start|>assistant\n",
  );
  assertEquals(
    qwen.applyChatTemplate([{ role: "system", content: "S" }, ...messages]),
    "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n Hi <|im_end|>\n",
  );
  assertEquals(
    llama.applyChatTemplate(messages, { addGenerationPrompt: true }),
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
      "<|start_header_id|>assistant<|end_header_id|>\n\n",
  );
  // the rendered BOS is encoded as the special id (no second BOS without addSpecialTokens)
  assertEquals(llama.encode(llama.applyChatTemplate(messages))[0], 267);
});

Deno.test("loadTokenizer: chat_template.jinja wins; bad files fail naming the field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const json = await Deno.readTextFile(`${FIXTURES}tiny_qwen2/tokenizer.json`);
    await Deno.writeTextFile(`${dir}/tokenizer.json`, json);
    await Deno.writeTextFile(`${dir}/tokenizer_config.json`, '{"eos_token": "<|im_end|>"}');
    await Deno.writeTextFile(`${dir}/chat_template.jinja`, "{{ messages[0].content }}!");
    const tok = await loadTokenizer(dir);
    assertEquals(tok.applyChatTemplate([{ role: "user", content: "x" }]), "x!");
    await Deno.writeTextFile(`${dir}/tokenizer_config.json`, '{"eos_token": "<nope>"}');
    await assertRejects(
      loadTokenizer(dir),
      /tokenizer_config.json: eos_token: "<nope>" is not in the vocab/,
    );
    await Deno.writeTextFile(`${dir}/tokenizer_config.json`, "{}");
    await assertRejects(loadTokenizer(dir), /eos_token: expected a token/);
    assertThrows(
      () => tokenizerFromJson({ model: { type: "WordPiece" } }, {}),
      /tokenizer.json: not a supported tokenizer file: model.type/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
