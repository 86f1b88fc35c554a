import { z } from "zod";
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { parseJsonArray, readJsonArray } from "../../lib/data/json_array.ts";
import { ConversationRecordSchema } from "../../lib/data/record.ts";

const Row = z.strictObject({ a: z.number() });

Deno.test("parseJsonArray: values with their index; errors give the index and field", () => {
  assertEquals(parseJsonArray('\uFEFF[{"a":1},{"a":2}]', Row).records, [
    { index: 0, value: { a: 1 } },
    { index: 1, value: { a: 2 } },
  ]);
  assertThrows(
    () => parseJsonArray('[{"a":1},{"a":"x"}]', Row, { file: "r.json" }),
    "r.json[1]: field a:",
  );
  assertThrows(
    () => parseJsonArray('{"a":1}', Row, { file: "r.json" }),
    "r.json: expected a JSON array of records, found an object",
  );
  assertThrows(() => parseJsonArray("[1,", Row, { file: "r.json" }), "r.json: invalid JSON:");
  const skipped = parseJsonArray('[{"a":1},{"b":2},{"a":3}]', Row, { onInvalid: "skip" });
  assertEquals(skipped.records.map((r) => r.index), [0, 2]);
  assertEquals(skipped.skipped.map((s) => s.index), [1]);
});

Deno.test("readJsonArray: conversation records from a file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const rec = {
      prompt: [{ role: "user", content: "hi" }],
      seen_titles: [],
      groundtruth_with_release_year: [["A", 1999]],
    };
    await Deno.writeTextFile(path, JSON.stringify([rec, { ...rec, seen_titles: [1] }]));
    await assertRejects(
      () => readJsonArray(path, ConversationRecordSchema),
      `${path}[1]: field seen_titles[0]:`,
    );
    const { records } = await readJsonArray(path, ConversationRecordSchema, { onInvalid: "skip" });
    assertEquals(records[0].value.groundtruth_with_release_year, [["A", "1999"]]);
  } finally {
    await Deno.remove(path);
  }
});
