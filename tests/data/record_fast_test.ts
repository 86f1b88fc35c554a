// The zod-free record check never disagrees with ConversationRecordSchema: on valid records it
// returns exactly the schema's value; on every broken variant it steps aside (undefined) so the
// schema names the problem. Random single-field mutations of real records check both directions.

import { assert, assertEquals } from "../_assert.ts";
import { ConversationRecordSchema } from "../../lib/data/record.ts";
import { fastConversationRecord } from "../../lib/data/record_fast.ts";
import { createPrng, pick } from "../../lib/data/prng.ts";

const SAMPLE = new URL("../../../shared/data/reddit-v2/sft_sample.jsonl", import.meta.url).pathname;
const lines = (await Deno.readTextFile(SAMPLE)).split("\n").filter((l) => l.trim() !== "");

/** Both checks on a fresh copy; fails when the fast path accepts what zod rejects or differs. */
function agree(json: unknown, label: string): "fast" | "schema" {
  const zod = ConversationRecordSchema.safeParse(structuredClone(json));
  const fast = fastConversationRecord(structuredClone(json));
  if (fast === undefined) return "schema";
  assert(zod.success, `${label}: fast path accepted what the schema rejects`);
  assertEquals(fast, zod.data, `${label}: fast path value differs from the schema's`);
  return "fast";
}

Deno.test("fast record check: the 40 released records take the fast path with the schema's value", () => {
  for (const [i, line] of lines.entries()) {
    assertEquals(agree(JSON.parse(line), `record ${i}`), "fast");
  }
});

Deno.test("fast record check: numeric years become strings, extra fields are kept, as in the schema", () => {
  const r = {
    prompt: [{ role: "system", content: "s" }, { role: "user", content: "u" }],
    completion: [],
    seen_titles: [],
    groundtruth_with_release_year: [["Heat", 1995], ["Alien", " 1979 "]],
    id: 7,
    time: "2020",
    source_url: "x",
  };
  assertEquals(agree(r, "numeric years"), "fast");
  assertEquals(fastConversationRecord(structuredClone(r))?.groundtruth_with_release_year, [
    ["Heat", "1995"],
    ["Alien", " 1979 "],
  ]);
});

const BROKEN: [string, (r: Record<string, unknown>) => void][] = [
  ["no prompt", (r) => delete r.prompt],
  ["empty prompt", (r) => r.prompt = []],
  ["prompt not an array", (r) => r.prompt = "hi"],
  ["bad role", (r) => (r.prompt as { role: string }[])[0].role = "bot"],
  ["extra message key", (r) => ((r.prompt as object[])[0] as Record<string, unknown>).name = "x"],
  ["missing content", (r) => delete ((r.prompt as object[])[0] as Record<string, unknown>).content],
  [
    "content not a string",
    (r) => ((r.prompt as object[])[0] as Record<string, unknown>).content = 3,
  ],
  ["message null", (r) => (r.prompt as unknown[])[0] = null],
  ["completion by the user", (r) => r.completion = [{ role: "user", content: "x" }]],
  ["completion null", (r) => r.completion = null],
  ["seen title a number", (r) => r.seen_titles = ["a", 1]],
  ["seen_titles missing", (r) => delete r.seen_titles],
  ["gt pair of 3", (r) => r.groundtruth_with_release_year = [["Heat", "1995", "x"]]],
  ["gt pair of 1", (r) => r.groundtruth_with_release_year = [["Heat"]]],
  ["gt year not an int", (r) => r.groundtruth_with_release_year = [["Heat", "19x5"]]],
  ["gt year fractional", (r) => r.groundtruth_with_release_year = [["Heat", 1995.5]]],
  ["gt year null", (r) => r.groundtruth_with_release_year = [["Heat", null]]],
  ["gt title a number", (r) => r.groundtruth_with_release_year = [[5, "1995"]]],
  ["gt not an array", (r) => r.groundtruth_with_release_year = {}],
  ["id null", (r) => r.id = null],
  ["id an object", (r) => r.id = {}],
  ["split a number", (r) => r.split = 3],
  ["time a boolean", (r) => r.time = true],
  ["typo seen_title", (r) => r.seen_title = []],
  ["typo Prompt", (r) => r.Prompt = []],
];

Deno.test("fast record check: every broken variant goes to the schema, which rejects it", () => {
  const base = JSON.parse(lines[0]);
  for (const [label, breakIt] of BROKEN) {
    const r = structuredClone(base);
    breakIt(r);
    assertEquals(agree(r, label), "schema", label);
    assert(!ConversationRecordSchema.safeParse(r).success, `${label}: the schema accepts it`);
  }
  for (const json of [null, 3, "x", [], [JSON.parse(lines[0])]]) {
    assertEquals(agree(json, JSON.stringify(json).slice(0, 20)), "schema");
  }
});

Deno.test("fast record check: 2,000 random one-field mutations of real records never disagree", () => {
  const prng = createPrng(17);
  const values: unknown[] = [
    null,
    0,
    1995,
    1995.5,
    "",
    "1995",
    " 1995 ",
    "x",
    [],
    {},
    true,
    [
      "Heat",
      "1995",
    ],
    [{ role: "user", content: "c" }],
    [{ role: "assistant", content: "c" }],
  ];
  let fast = 0;
  for (let i = 0; i < 2000; i++) {
    const r = JSON.parse(pick(prng, lines));
    const paths: ((v: unknown) => void)[] = [
      (v) => r[pick(prng, ["prompt", "completion", "seen_titles", "id", "split", "time", "x"])] = v,
      (v) => r.prompt[0][pick(prng, ["role", "content", "extra"])] = v,
      (v) => r.completion[0][pick(prng, ["role", "content"])] = v,
      (v) => r.seen_titles.push(v),
      (v) => r.groundtruth_with_release_year.push(v),
      (v) => r.groundtruth_with_release_year[0][1] = v,
    ];
    pick(prng, paths)(pick(prng, values));
    if (agree(r, `mutation ${i}: ${JSON.stringify(r).slice(-120)}`) === "fast") fast++;
  }
  assert(fast > 100 && fast < 1900, `both paths exercised (fast ${fast} of 2000)`);
});
