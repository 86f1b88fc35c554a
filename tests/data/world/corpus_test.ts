// The pretraining corpus: deterministic per (seed, index), every kind present, strict config, and
// disjoint from the world's conversations and from the task's prompt and answer format.
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import {
  corpusContext,
  corpusDocument,
  parseCorpusConfig,
} from "../../../lib/data/world/corpus.ts";
import { generateWorld } from "../../../lib/data/world/mod.ts";
import { RECOMMENDATION_PROMPT_PREFIX } from "../../../lib/data/world/prompt.ts";
import { BASE_SPLIT_PATTERN } from "../../../lib/train/pretrain/corpus_tokens.ts";
import { WORLD_SPLIT_PATTERN } from "../../../lib/model/tokenizer/world_tokenizer.ts";

const ctx = await corpusContext({ documents: 2000 });
const docs = Array.from({ length: 2000 }, (_, i) => corpusDocument(ctx, i));

Deno.test("corpus documents are a pure function of (seed, index); another seed gives other text", async () => {
  const again = await corpusContext({ documents: 2000 });
  assertEquals(corpusDocument(again, 1234), docs[1234]);
  assertEquals(corpusDocument(again, 7), docs[7]);
  const other = await corpusContext({ seed: 1, documents: 2000 });
  assert(corpusDocument(other, 7).text !== docs[7].text, "seed 1 repeats seed 20231001's text");
});

Deno.test("corpus mix: every kind appears near its share, and a zero share never appears", async () => {
  const counts: Record<string, number> = {};
  for (const d of docs) counts[d.kind] = (counts[d.kind] ?? 0) + 1;
  const share = { blurb: 0.25, thread: 0.45, fan_list: 0.2, mention: 0.1 };
  for (const [k, p] of Object.entries(share)) {
    const sd = Math.sqrt(p * (1 - p) / docs.length);
    const got = (counts[k] ?? 0) / docs.length;
    assert(Math.abs(got - p) < 5 * sd, `${k}: share ${got} vs ${p} (±5 sd = ${5 * sd})`);
  }
  const noThreads = await corpusContext({ mix: { thread: 0, blurb: 1, fan_list: 1, mention: 1 } });
  for (let i = 0; i < 300; i++) assert(corpusDocument(noThreads, i).kind !== "thread");
});

Deno.test("corpus is not the task: no recommendation prompt, no 20-line answers, no test conversation", async () => {
  const world = await generateWorld({});
  const testBodies = new Set(
    world.records.test.map((r) => r.prompt[0].content.slice(RECOMMENDATION_PROMPT_PREFIX.length)),
  );
  const wrapperLine = RECOMMENDATION_PROMPT_PREFIX.split("\n")[0];
  for (const d of docs) {
    assert(
      !d.text.includes(wrapperLine),
      `document has the prompt wrapper: ${d.text.slice(0, 80)}`,
    );
    assert(!d.text.includes("USER:") && !d.text.includes("SYSTEM:"), "a document uses turn tags");
    const itemLines = d.text.split("\n").filter((l) => /^.+ \(\d{4}\)$/.test(l)).length;
    assert(itemLines <= 1, `a document looks like an answer list (${itemLines} item lines)`);
  }
  const posts = new Set(docs.filter((d) => d.kind === "thread").map((d) => d.text.split("\n")[0]));
  for (const body of testBodies) {
    const first = `Post: ${body.split("\n")[0].replace(/^USER: /, "")}`;
    assert(!posts.has(first), `a corpus thread repeats a test conversation: ${first.slice(0, 80)}`);
  }
});

Deno.test("corpus config is strict and names the bad key", () => {
  assertThrows(() => parseCorpusConfig({ documentz: 3 }), 'unknown key(s) "documentz"');
  assertThrows(() => parseCorpusConfig({ movies_per_reply: [5, 2] }), '"movies_per_reply"');
  assertThrows(
    () => parseCorpusConfig({ mix: { blurb: 0, thread: 0, fan_list: 0, mention: 0 } }),
    '"mix"',
  );
});

Deno.test("the base tokenizer's split keeps up to four digits together (a year can be one id)", () => {
  assert(BASE_SPLIT_PATTERN !== WORLD_SPLIT_PATTERN, "the digit alternative was not found");
  const re = new RegExp(BASE_SPLIT_PATTERN.replace("(?i:", "(?:"), "gu");
  assertEquals("Heat (1995)".match(re), ["Heat", " (", "1995", ")"]);
});
