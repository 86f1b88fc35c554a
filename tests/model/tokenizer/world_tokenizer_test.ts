// The built-in world tokenizer: train → save → load round trip on every world text and on random
// Unicode, multi-token titles, isolated newlines and digits, determinism, timing and throughput.
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { createPrng, generateWorld } from "../../../lib/data/world/mod.ts";
import {
  catalogLines,
  completionText,
  loadTokenizer,
  saveTokenizer,
  trainWorldTokenizer,
  WORLD_SPECIAL_TOKENS,
  worldCorpus,
} from "../../../lib/model/tokenizer/mod.ts";

const world = await generateWorld();
const t0 = performance.now();
const files = trainWorldTokenizer(world, { vocabSize: 2048, seed: 0 });
const trainSeconds = (performance.now() - t0) / 1000;
const dir = await Deno.makeTempDir({ prefix: "world_tokenizer_" });
await saveTokenizer(dir, files);
const tok = await loadTokenizer(dir);
const corpus = worldCorpus(world);
const pieces = Array.from({ length: tok.vocabSize }, (_, id) => tok.decodeToken(id));

Deno.test("world tokenizer: saved files load with the library; ids and specials as trained", async () => {
  assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/tokenizer.json`)), files.tokenizerJson);
  assertEquals(tok.vocabSize, 2048);
  assertEquals(Object.keys(tok.specialTokens), [...WORLD_SPECIAL_TOKENS]);
  assertEquals([tok.padId, tok.eosId, tok.bosId], [2045, 2047, null]);
  const record = world.records.train[0];
  const text = tok.applyChatTemplate([
    { role: "user", content: record.prompt[0].content },
    { role: "assistant", content: completionText(record) },
  ]);
  const ids = tok.encode(text);
  assertEquals(ids.at(-2), tok.eosId); // "...<|im_end|>\n"
  assertEquals(tok.decode(ids), text);
});

Deno.test(`world tokenizer: decode(encode(t)) = t on all ${corpus.length} world texts`, () => {
  for (const text of corpus) assertEquals(tok.decode(tok.encode(text)), text.normalize("NFC"));
});

Deno.test("world tokenizer: round trip on seeded random Unicode (NFC)", () => {
  const prng = createPrng(11);
  // ASCII, Latin-1, combining marks, Greek, CJK, emoji (astral), controls incl. \r \n \t
  const ranges: [number, number][] = [
    [0x20, 0x7e],
    [0xa0, 0xff],
    [0x300, 0x36f],
    [0x391, 0x3c9],
    [0x4e00, 0x4fff],
    [0x1f300, 0x1f64f],
    [0x00, 0x1f],
  ];
  for (let s = 0; s < 300; s++) {
    let text = "";
    const n = 1 + prng.int(40);
    for (let i = 0; i < n; i++) {
      const [lo, hi] = ranges[prng.int(ranges.length)];
      text += String.fromCodePoint(lo + prng.int(hi - lo + 1));
    }
    assertEquals(tok.decode(tok.encode(text)), text.normalize("NFC"), JSON.stringify(text));
  }
});

Deno.test("world tokenizer: every catalog 'Title (Year)' is several tokens", () => {
  const lines = catalogLines(world);
  const lengths = lines.map((line) => tok.encode(line).length);
  const short = lines.filter((_, i) => lengths[i] < 2);
  assertEquals(short, []);
  // the year alone is " (", four digits, ")": at least 6 tokens with the title
  assert(Math.min(...lengths) >= 6, `min tokens per item ${Math.min(...lengths)}`);
  console.log(
    `items: ${lines.length}, tokens per 'Title (Year)': min ${Math.min(...lengths)}, mean ${
      (lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(2)
    }, max ${Math.max(...lengths)}`,
  );
});

Deno.test("world tokenizer: '\\n' and each digit are tokens of their own", () => {
  const special = new Set(Object.values(tok.specialTokens));
  const withNewline = pieces.filter((p, id) => !special.has(id) && p.includes("\n"));
  assertEquals(withNewline, ["\n"]);
  const withDigit = pieces.filter((p) => /\p{N}/u.test(p) && [...p].length > 1);
  assertEquals(withDigit, []);
  const ids = tok.encode("Heat (1995)\nRan (1985)");
  assertEquals(ids.filter((id) => pieces[id] === "\n").length, 1);
});

Deno.test("world tokenizer: deterministic for a seed; strict options", () => {
  assertEquals(trainWorldTokenizer(world, { vocabSize: 2048, seed: 0 }), files);
  assertThrows(() => trainWorldTokenizer(world, { vocabSize: 100 }), /options.vocabSize/);
  assertThrows(
    () => trainWorldTokenizer(world, { vocab: 2048 } as unknown as { vocabSize: number }),
    /options/,
  );
});

Deno.test("world tokenizer: training time and encode throughput (printed, not asserted)", () => {
  const start = performance.now();
  let tokens = 0;
  for (const text of corpus) tokens += tok.encode(text).length;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `train ${trainSeconds.toFixed(2)} s on ${corpus.length} texts; encode ${tokens} tokens in ` +
      `${seconds.toFixed(2)} s = ${Math.round(tokens / seconds)} tokens/s`,
  );
  assert(tokens > corpus.length, "every text encodes to tokens");
});

const pythonRegex = await hasPythonRegex();
Deno.test({
  name: "world tokenizer: ids equal the independent Python BPE (make_fixtures.py --encode)" +
    (pythonRegex ? "" : " (skipped: needs /usr/bin/python3 with apt python3-regex)"),
  ignore: !pythonRegex,
  fn: async () => {
    const texts = [...corpus.slice(0, 40), catalogLines(world).join("\n"), "Amélie 2½ 🎬\r\n\t x"];
    const script = new URL("../../fixtures/tokenizer/make_fixtures.py", import.meta.url).pathname;
    const child = new Deno.Command("/usr/bin/python3", {
      args: [script, "--encode", dir],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(texts)));
    await writer.close();
    const out = await child.output();
    assertEquals(out.code, 0);
    const expected = JSON.parse(new TextDecoder().decode(out.stdout)) as number[][];
    texts.forEach((t, i) =>
      assertEquals(tok.encode(t), expected[i], JSON.stringify(t.slice(0, 80)))
    );
  },
});

async function hasPythonRegex(): Promise<boolean> {
  try {
    const r = await new Deno.Command("/usr/bin/python3", { args: ["-c", "import regex"] }).output();
    if (r.code === 0) return true;
  } catch { /* no python3 */ }
  console.log("skipped Python cross-check: needs /usr/bin/python3 with python3-regex (apt)");
  return false;
}

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
