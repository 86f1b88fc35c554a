import { z } from "zod";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { readJsonl, readJsonlAll } from "../../lib/data/jsonl.ts";
import type { LineIssue } from "../../lib/data/jsonl.ts";

const Row = z.strictObject({ a: z.number(), b: z.optional(z.array(z.string())) });

/** A byte stream cut into pieces of `size` bytes (splitting CRLF pairs and multi-byte characters). */
function streamOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (at >= bytes.length) return ctrl.close();
      ctrl.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}
const enc = (s: string) => new TextEncoder().encode(s);

async function linesOf(text: string | Uint8Array, size = 3) {
  const bytes = typeof text === "string" ? enc(text) : text;
  const { records } = await readJsonlAll(streamOf(bytes, size), z.unknown(), { file: "t.jsonl" });
  return records.map((r) => [r.line, r.value]);
}

Deno.test("readJsonl: BOM, CRLF, blank lines, last line without newline, odd chunk boundaries", async () => {
  const text = '\uFEFF{"a":1}\r\n\r\n   \n{"a":"é😀"}\r\n{"a":3}';
  for (const size of [1, 2, 3, 7, 1000]) {
    assertEquals(await linesOf(text, size), [[1, { a: 1 }], [4, { a: "é😀" }], [5, { a: 3 }]]);
  }
  assertEquals(await linesOf('{"a":1}\n'), [[1, { a: 1 }]]);
  assertEquals(await linesOf(""), []);
  assertEquals(await linesOf("\n\n"), []);
});

Deno.test("readJsonl: a line over 10 MB", async () => {
  const big = "x".repeat(11 * 1024 * 1024);
  const text = `{"a":1}\n{"a":2,"b":["${big}"]}\n{"a":3}\n`;
  const { records } = await readJsonlAll(streamOf(enc(text), 64 * 1024), Row);
  assertEquals(records.map((r) => r.line), [1, 2, 3]);
  assertEquals(records[1].value.b![0].length, big.length);
});

Deno.test("readJsonl: malformed JSON fails with file:line; skip policy counts and reports", async () => {
  const text = '{"a":1}\n{"a":\n{"a":3}\n{"a":"no"}\n\xff\n{"a":6}\n';
  const bytes = enc(text.replace("\xff", "#")); // placeholder for an invalid UTF-8 byte
  bytes[bytes.indexOf(0x23)] = 0xff;
  await assertRejects(
    () => readJsonlAll(streamOf(bytes, 5), Row, { file: "t.jsonl" }),
    "t.jsonl:2: invalid JSON:",
  );
  const seen: LineIssue[] = [];
  const { records, skipped } = await readJsonlAll(streamOf(bytes, 5), Row, {
    file: "t.jsonl",
    onInvalid: "skip",
    onSkip: (i) => seen.push(i),
  });
  assertEquals(records.map((r) => [r.line, r.value.a]), [[1, 1], [3, 3], [6, 6]]);
  assertEquals(skipped.map((s) => s.line), [2, 4, 5]);
  assertEquals(seen, skipped);
  assert(skipped[0].message.startsWith("t.jsonl:2: invalid JSON:"));
  assertEquals(
    skipped[1].message,
    "t.jsonl:4: field a: Invalid input: expected number, received string",
  );
  assertEquals(skipped[2].message, "t.jsonl:5: invalid UTF-8");
});

Deno.test("readJsonl: schema errors carry the zod path; generator returns a summary", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(path, '{"a":1,"b":["x",2]}\n{"a":2}\n{"a":1,"c":0}\n');
    await assertRejects(
      () => readJsonlAll(path, Row),
      `${path}:1: field b[1]: Invalid input: expected string`,
    );
    const gen = readJsonl(path, Row, { onInvalid: "skip" });
    const values: number[] = [];
    let step = await gen.next();
    while (!step.done) {
      values.push(step.value.value.a);
      step = await gen.next();
    }
    assertEquals(values, [2]);
    assertEquals(step.value, { records: 1, skipped: 2 });
    await assertRejects(
      () => readJsonlAll(path, Row, { file: "named.jsonl" }),
      "named.jsonl:1: field b[1]",
    );
    const third = await readJsonlAll(path, Row, { onInvalid: "skip" });
    assert(third.skipped[1].message.includes(":3: field (record): Unrecognized key"));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readJsonl: stopping early closes the file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(path, '{"a":1}\n{"a":2}\n{"a":3}\n');
    for await (const r of readJsonl(path, Row)) if (r.line === 1) break;
    // a leaked handle would fail Deno's resource sanitizer for this test
  } finally {
    await Deno.remove(path);
  }
});
