// The test kit stays one kit: assertions come from tests/_assert.ts, seeded inputs from
// tests/_seeded.ts (lib's createPrng), and CLI runs go through tests/cli/_launch.ts. A test file that
// imports node:assert directly, carries its own LCG/xorshift/splitmix generator or spawns
// lib/cli/launch.ts by hand fails here, with the file and line. Test files mirror lib/ and kernels/
// (tests/README.md, "Where tests live"): one in a folder with no lib/ counterpart fails here too.
import { assertEquals } from "./_assert.ts";

const TESTS = new URL("./", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

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

/** The cross-cutting tests at tests/ itself (tests/README.md, "Where tests live"). */
const CROSS_CUTTING = ["layers_test.ts", "public_surface_test.ts", "test_kit_test.ts"];

/** Every folder and .ts module under lib/ and kernels/, as repo-relative paths ("lib/data/world"). */
async function sourceTree(rel: string, out = new Set<string>()): Promise<Set<string>> {
  out.add(rel);
  for await (const e of Deno.readDir(ROOT + rel)) {
    if (e.isDirectory) await sourceTree(`${rel}/${e.name}`, out);
    else if (e.name.endsWith(".ts")) out.add(`${rel}/${e.name}`);
  }
  return out;
}

/**
 * Why the test file tests/`file` does not mirror lib/ (or kernels/), or null when it does: its folder
 * must exist under lib/ (tests/kernels/ → kernels/), and a file named after a module (x_test.ts) must
 * sit in the mirror of that module's folder; tests/a/b/b_test.ts tests folder b as a whole.
 */
function misplaced(file: string, tree: ReadonlySet<string>): string | null {
  const parts = file.split("/");
  const name = parts.pop()!;
  const dir = parts.join("/");
  if (dir === "") {
    return CROSS_CUTTING.includes(name) ? null : "tests/ itself holds only the cross-cutting tests";
  }
  const home = dir === "kernels" || dir.startsWith("kernels/") ? dir : `lib/${dir}`;
  if (!tree.has(home)) return `no ${home}/ to mirror`;
  const stem = name.slice(0, -"_test.ts".length);
  if (stem === parts.at(-1) || tree.has(`${home}/${stem}.ts`)) return null;
  const elsewhere = [...tree].filter((p) => p.endsWith(`/${stem}.ts`));
  return elsewhere.length === 0 ? null : `named after ${elsewhere.join(", ")}, not in its mirror`;
}

Deno.test("test kit: test files mirror lib/ and kernels/ (tests/a/b/c_test.ts tests lib/a/b/c.ts)", async () => {
  const tree = new Set([...await sourceTree("lib"), ...await sourceTree("kernels")]);
  const scratch = new Set(["lib", "lib/data", "lib/data/world", "lib/data/world/generate.ts"]);
  assertEquals(misplaced("world/generate_test.ts", scratch), "no lib/world/ to mirror");
  assertEquals(
    misplaced("data/generate_test.ts", scratch),
    "named after lib/data/world/generate.ts, not in its mirror",
  );
  assertEquals(misplaced("data/world/generate_test.ts", scratch), null);
  assertEquals(misplaced("data/world/world_test.ts", scratch), null);
  assertEquals(
    misplaced("stray_test.ts", scratch),
    "tests/ itself holds only the cross-cutting tests",
  );
  const tests = (await tsFiles(TESTS)).filter((f) => f.endsWith("_test.ts"));
  const found = tests.flatMap((f) => {
    const why = misplaced(f, tree);
    return why === null ? [] : [`tests/${f}: ${why}`];
  });
  assertEquals(found, []);
});
