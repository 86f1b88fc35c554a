// lib/experiment/cache.ts: same config → served from the file (compute not called); any change to the
// config or the code version → recomputed; a corrupted or foreign file → recomputed with a warning.
import { assert, assertEquals } from "../_assert.ts";
import { basename, join } from "node:path";
import { cached, cachePathFor, codeVersion } from "../../lib/experiment/cache.ts";

const config = { source: { kind: "world", world: { seed: 7 } }, gamma: 0.5, n_r: 100 };

/** A compute function that counts its calls and returns data derived from the config. */
function counter() {
  const calls: unknown[] = [];
  const compute = (cfg: typeof config) => () => {
    calls.push(cfg);
    return Promise.resolve({ score: cfg.gamma * cfg.n_r, curve: [3, 2.5, 2.25], note: "x" });
  };
  return { calls, compute };
}

async function withDir(f: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "convrec-cache-" });
  try {
    await f(join(dir, "cache")); // a folder that does not exist yet
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cached: same config is served from the file; key order does not matter", () =>
  withDir(async (dir) => {
    const { calls, compute } = counter();
    const logs: string[] = [];
    const a = await cached(config, dir, compute(config), {
      version: "v1",
      log: (l) => logs.push(l),
    });
    assertEquals(calls.length, 1);
    assertEquals(a, { score: 50, curve: [3, 2.5, 2.25], note: "x" });
    const reordered = { n_r: 100, gamma: 0.5, source: { world: { seed: 7 }, kind: "world" } };
    const b = await cached(reordered, dir, compute(config), {
      version: "v1",
      log: (l) => logs.push(l),
    });
    assertEquals(calls.length, 1, "compute ran again for the same config");
    assertEquals(b, a);
    assert(logs[0].startsWith("computed in "), logs[0]);
    assert(logs[1].startsWith("cache hit: "), logs[1]);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    assertEquals(files.length, 1);
    assert(/^[0-9a-f]{64}\.json$/.test(files[0]), files[0]);
    assertEquals(basename(await cachePathFor(reordered, dir, "v1")), files[0]);
  }));

Deno.test("cached: any config change or a new code version is recomputed, never served stale", () =>
  withDir(async (dir) => {
    const { calls, compute } = counter();
    const opts = { version: "v1" };
    assertEquals((await cached(config, dir, compute(config), opts)).score, 50);
    const deep = { ...config, source: { kind: "world", world: { seed: 8 } } };
    const top = { ...config, gamma: 1 };
    const added = { ...config, extra: null };
    await cached(deep, dir, compute(deep), opts);
    assertEquals((await cached(top, dir, compute(top), opts)).score, 100);
    await cached(added, dir, compute(added as typeof config), opts);
    assertEquals(calls.length, 4);
    await cached(config, dir, compute(config), { version: "v2" });
    assertEquals(calls.length, 5, "a new code version served the old file");
    // Every earlier entry is still served from its own file.
    for (const c of [config, deep, top]) await cached(c, dir, compute(c), opts);
    assertEquals(calls.length, 5);
    assertEquals([...Deno.readDirSync(dir)].length, 5);
  }));

Deno.test("cached: a corrupted or mismatched file is recomputed with a warning and repaired", () =>
  withDir(async (dir) => {
    const { calls, compute } = counter();
    const warnings: string[] = [];
    const opts = { version: "v1", warn: (l: string) => warnings.push(l) };
    await cached(config, dir, compute(config), opts);
    const path = await cachePathFor(config, dir, "v1");
    const good = await Deno.readTextFile(path);

    await Deno.writeTextFile(path, good.slice(0, good.length / 2)); // truncated write
    assertEquals((await cached(config, dir, compute(config), opts)).score, 50);
    assertEquals(calls.length, 2);
    assertEquals(warnings.length, 1);
    assert(warnings[0].includes(path) && warnings[0].includes("not JSON"), warnings[0]);
    assertEquals(await Deno.readTextFile(path), good, "the file was not rewritten");

    // A file whose stored key is another config (e.g. copied by hand) is not served.
    const other = JSON.parse(good);
    other.key = { ...config, gamma: 9 };
    other.value = { score: -1 };
    await Deno.writeTextFile(path, JSON.stringify(other));
    assertEquals((await cached(config, dir, compute(config), opts)).score, 50);
    assertEquals(calls.length, 3);
    assert(warnings[1].includes("another config"), warnings[1]);

    await Deno.writeTextFile(path, "[1, 2]");
    await cached(config, dir, compute(config), opts);
    assertEquals(calls.length, 4);
    assert(warnings[2].includes("not a JSON object"), warnings[2]);
    assertEquals(warnings.length, 3);
    await cached(config, dir, compute(config), opts);
    assertEquals(calls.length, 4, "the repaired file is served");
    assertEquals(
      [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".tmp")),
      [],
      "temp files left behind",
    );
  }));

Deno.test("cached: values round-trip through JSON; non-JSON results and keys fail loudly", () =>
  withDir(async (dir) => {
    const computed = await cached({ k: 1 }, dir, () => ({ a: 1, gone: undefined, n: NaN }), {
      version: "v1",
    });
    assertEquals(computed, { a: 1, n: null } as unknown as typeof computed);
    let threw = "";
    try {
      await cached({ k: 2 }, dir, () => undefined, { version: "v1" });
    } catch (e) {
      threw = (e as Error).message;
    }
    assert(threw.includes("cache.ts") && threw.includes("compute()"), threw);
    assertEquals([...Deno.readDirSync(dir)].length, 1, "a failed compute wrote a file");
  }));

Deno.test("codeVersion: changes when a source file changes, not when other files do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-codever-" });
  try {
    await Deno.mkdir(join(dir, "sub"));
    await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 1;\n");
    await Deno.writeTextFile(join(dir, "sub", "k.wgsl"), "// kernel\n");
    const v1 = await codeVersion([dir]);
    assert(/^[0-9a-f]{64}$/.test(v1));
    await Deno.writeTextFile(join(dir, "notes.md"), "not code");
    assertEquals(await codeVersion([dir]), v1);
    await Deno.writeTextFile(join(dir, "sub", "k.wgsl"), "// kernel v2\n");
    const v2 = await codeVersion([dir]);
    assert(v2 !== v1);
    assertEquals(await codeVersion([dir]), v2, "not deterministic");
    const lib = await codeVersion();
    assert(/^[0-9a-f]{64}$/.test(lib) && lib !== v2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
