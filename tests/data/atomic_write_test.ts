import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { writeDirAtomic, writeFileAtomic, writeJsonlAtomic } from "../../lib/data/atomic_write.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("writeFileAtomic / writeJsonlAtomic: write, replace, keep the old file's mode", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.jsonl`;
    await writeFileAtomic(path, "old\n");
    await Deno.chmod(path, 0o600);
    await writeJsonlAtomic(path, [{ a: 1 }, "s", null]);
    assertEquals(await Deno.readTextFile(path), '{"a":1}\n"s"\nnull\n');
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    const gen = async function* () {
      for (let i = 0; i < 50_000; i++) yield { i, pad: "x".repeat(40) }; // > 1 MiB: several flushes
    };
    await writeJsonlAtomic(path, gen());
    const lines = (await Deno.readTextFile(path)).split("\n");
    assertEquals([lines.length, JSON.parse(lines[49_999]).i, lines[50_000]], [50_001, 49_999, ""]);
    assertEquals(await names(dir), ["out.jsonl"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeJsonlAtomic: a failure mid-way leaves the old file and no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/keep.jsonl`;
    await Deno.writeTextFile(path, "untouched\n");
    const failing = async function* () {
      yield { ok: 1 };
      for (let i = 0; i < 30_000; i++) yield { i, pad: "y".repeat(40) }; // forces a flush first
      throw new Error("simulated failure");
    };
    await assertRejects(() => writeJsonlAtomic(path, failing()), "simulated failure");
    assertEquals(await Deno.readTextFile(path), "untouched\n");
    await assertRejects(() => writeJsonlAtomic(path, [{ a: 1 }, { b: 10n }]), "BigInt");
    await assertRejects(
      () => writeJsonlAtomic(path, [{ a: 1 }, undefined]),
      "value 1 cannot be written as JSON",
    );
    assertEquals(await Deno.readTextFile(path), "untouched\n");
    assertEquals(await names(dir), ["keep.jsonl"]);
    // a missing target folder fails before anything is written
    await assertRejects(() => writeFileAtomic(`${dir}/no/such/file`, "x"));
    assertEquals(await names(dir), ["keep.jsonl"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeDirAtomic: replaces a folder whole; a failing build leaves the old one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const target = `${dir}/ds`;
    await writeDirAtomic(target, (t) => Deno.writeTextFile(`${t}/a.txt`, "1"));
    await writeDirAtomic(target, (t) => Deno.writeTextFile(`${t}/b.txt`, "2"));
    assertEquals(await names(target), ["b.txt"]);
    await assertRejects(
      () =>
        writeDirAtomic(target, async (t) => {
          await Deno.writeTextFile(`${t}/c.txt`, "3");
          throw new Error("simulated failure");
        }),
      "simulated failure",
    );
    assertEquals(await names(target), ["b.txt"]);
    assertEquals(await names(dir), ["ds"]);
    assert((await Deno.stat(target)).isDirectory);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
