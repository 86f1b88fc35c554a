// The test kit stays one kit: assertions come from tests/_assert.ts, seeded inputs from
// tests/_seeded.ts (lib's createPrng), and CLI runs go through tests/cli/_launch.ts. A test file that
// imports node:assert directly, carries its own LCG/xorshift/splitmix generator or spawns
// lib/cli/launch.ts by hand fails here, with the file and line.
import { assertEquals } from "./_assert.ts";

const TESTS = new URL("./", import.meta.url).pathname;

/** Every .ts file under `dir`, as paths relative to tests/. */
async function tsFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir + rel)) {
    const path = rel + e.name;
    if (e.isDirectory) out.push(...await tsFiles(dir, path + "/"));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** `file:line: text` for each line of the test sources matching `pattern`, except in `allowed` files. */
async function offenders(pattern: RegExp, allowed: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const f of await tsFiles(TESTS)) {
    if (allowed.includes(f) || f === "test_kit_test.ts") continue;
    const lines = (await Deno.readTextFile(TESTS + f)).split("\n");
    lines.forEach((line, i) => {
      if (pattern.test(line)) hits.push(`tests/${f}:${i + 1}: ${line.trim()}`);
    });
  }
  return hits;
}

const NODE_ASSERT = /from "node:assert/;
const OWN_GENERATOR = /Math\.imul\(s, 1664525\)|s \^= s << 13|0x9e3779b9/;
const HAND_LAUNCH = /new URL\("[./]*lib\/cli\/launch\.ts"/;

Deno.test("test kit: one assertion module (no direct node:assert imports)", async () => {
  // each guard is shown to catch what it names on a scratch line
  assertEquals(NODE_ASSERT.test('import { ok } from "node:assert/strict";'), true);
  assertEquals(await offenders(NODE_ASSERT, ["_assert.ts"]), []);
});

Deno.test("test kit: seeded inputs come from tests/_seeded.ts, not a private generator", async () => {
  assertEquals(OWN_GENERATOR.test("s = (Math.imul(s, 1664525) + 1013904223) >>> 0;"), true);
  assertEquals(await offenders(OWN_GENERATOR, []), []);
});

Deno.test("test kit: the CLI launcher is spawned only by tests/cli/_launch.ts", async () => {
  assertEquals(HAND_LAUNCH.test('new URL("../../../lib/cli/launch.ts", import.meta.url)'), true);
  assertEquals(
    await offenders(HAND_LAUNCH, [
      "cli/_launch.ts",
      "cli/launcher_parent_test.ts", // kills the launcher process itself: needs its pid
    ]),
    [],
  );
});
