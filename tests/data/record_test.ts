import { assert, assertEquals } from "../_assert.ts";
import { readJsonlAll } from "../../lib/data/jsonl.ts";
import {
  completionText,
  conversationKey,
  ConversationRecordSchema,
  typoOf,
} from "../../lib/data/record.ts";
import { describeZodError } from "../../lib/data/jsonl.ts";

const SAMPLE = new URL("../../../shared/data/reddit-v2/sft_sample.jsonl", import.meta.url).pathname;

const base = {
  prompt: [{ role: "user", content: "USER: I liked Heat (1995)" }],
  completion: [{ role: "assistant", content: "Collateral (2004)\nThief (1981)" }],
  seen_titles: ["Heat"],
  groundtruth_with_release_year: [["Collateral", "2004"]],
};

function errorOf(value: unknown): string {
  const r = ConversationRecordSchema.safeParse(value);
  assert(!r.success, "expected a schema failure");
  return describeZodError(r.error);
}

Deno.test("record schema: every released Reddit-v2 sample record is valid", async () => {
  const { records, skipped } = await readJsonlAll(SAMPLE, ConversationRecordSchema);
  assertEquals([records.length, skipped.length], [40, 0]);
  const first = records[0].value;
  assertEquals(first.seen_titles, ["Best in Show"]);
  assertEquals(first.groundtruth_with_release_year[0], ["This Is Spinal Tap", "1984"]);
  assert(completionText(first)!.startsWith("A Mighty Wind (2003)\nThis Is Spinal Tap (1984)"));
  assert(conversationKey(first).includes("USER: Best in Show (2000) is an hilarious movie"));
  // rows sharing one conversation share the key (the sample repeats conversations)
  const keys = new Set(records.map((r) => conversationKey(r.value)));
  assert(keys.size < records.length, `expected repeated conversations, got ${keys.size} keys`);
});

Deno.test("record schema: years as strings or integers, normalised to strings; Python int() rules", () => {
  const ok = (year: unknown) =>
    ConversationRecordSchema.parse({ ...base, groundtruth_with_release_year: [["X", year]] })
      .groundtruth_with_release_year[0][1];
  assertEquals(ok(1999), "1999");
  assertEquals(ok("1999"), "1999");
  assertEquals(ok(" 1_999 "), " 1_999 "); // kept verbatim; pyInt reads it as 1999
  assertEquals(ok("١٩٩٩"), "١٩٩٩");
  const bad = (year: unknown) => errorOf({ ...base, groundtruth_with_release_year: [["X", year]] });
  assert(
    bad("19x9").startsWith("field groundtruth_with_release_year[0][1]: expected an integer year"),
  );
  assert(bad(1999.5).includes("groundtruth_with_release_year[0][1]"));
  assert(bad("").includes("groundtruth_with_release_year[0][1]"));
  assert(
    errorOf({ ...base, groundtruth_with_release_year: [["X"]] }).includes(
      "groundtruth_with_release_year[0]",
    ),
  );
});

Deno.test("record schema: known fields strictly typed, with the failing path", () => {
  assert(
    errorOf({ ...base, prompt: [{ role: "user", content: 3 }] }).startsWith(
      "field prompt[0].content:",
    ),
  );
  assert(errorOf({ ...base, prompt: [] }).startsWith("field prompt:"));
  assert(
    errorOf({ ...base, completion: [{ role: "user", content: "x" }] }).startsWith(
      "field completion[0].role:",
    ),
  );
  assert(
    errorOf({ ...base, prompt: [{ role: "user", content: "x", contnet: "y" }] }).includes(
      "prompt[0]",
    ),
  );
  assert(errorOf({ ...base, seen_titles: "Heat" }).startsWith("field seen_titles:"));
  const { seen_titles: _, ...noSeen } = base;
  assert(errorOf(noSeen).startsWith("field seen_titles:"));
  assert(errorOf({ ...base, id: true }).startsWith("field id:"));
});

Deno.test("record schema: extra fields kept; typos of known long names rejected", () => {
  const r = ConversationRecordSchema.parse({
    ...base,
    idx: 4,
    source: "teacher",
    id: "a1",
    split: "train",
  });
  assertEquals([r.idx, r.source, r.id, r.split], [4, "teacher", "a1", "train"]);
  const { completion: _, ...noCompletion } = base;
  const r2 = ConversationRecordSchema.parse(noCompletion);
  assertEquals(completionText(r2), null);
  assertEquals(
    errorOf({ ...base, seen_title: [] }),
    'field seen_title: unknown field "seen_title": did you mean "seen_titles"?',
  );
  assert(errorOf({ ...base, Completion: [] }).includes('did you mean "completion"'));
  assert(errorOf({ ...base, completions: [] }).includes('did you mean "completion"'));
  assert(
    errorOf({ ...base, groundtruth_with_relase_year: [] }).includes(
      "groundtruth_with_release_year",
    ),
  );
  assertEquals([typoOf("idx"), typoOf("ids"), typoOf("groundtruth"), typoOf("prompt")], [
    null,
    null,
    null,
    null,
  ]);
});

Deno.test("completionText joins several assistant messages; conversationKey uses user messages only", () => {
  const r = ConversationRecordSchema.parse({
    ...base,
    prompt: [{ role: "system", content: "S" }, { role: "user", content: "U1" }, {
      role: "assistant",
      content: "A",
    }, {
      role: "user",
      content: "U2",
    }],
    completion: [{ role: "assistant", content: "a" }, { role: "assistant", content: "b" }],
  });
  assertEquals(completionText(r), "a\nb");
  assertEquals(conversationKey(r), "U1\nU2");
});
