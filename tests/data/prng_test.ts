// Tests of the seeded PRNG: reference outputs (from an independent Python transcription), determinism,
// fork independence from draws, ranges and rough uniformity.
import { assert, assertEquals, assertNotEquals, assertThrows } from "../_assert.ts";
import { createPrng, fnv1a32, intBetween, shuffled, splitmix32 } from "../../lib/data/prng.ts";

Deno.test("splitmix32 and xoshiro128** match reference values", () => {
  assertEquals(splitmix32(0), [2462723854, 2654435769]);
  assertEquals(splitmix32(42), [939911724, 2654435811]);
  const p = createPrng(42);
  assertEquals([1, 2, 3, 4, 5].map(() => p.nextU32()), [
    2837322924,
    544945897,
    479756282,
    3500138142,
    339756180,
  ]);
  const q = createPrng(0);
  assertEquals(q.nextU32(), 3809008728);
});

Deno.test("same seed gives the same stream; different seeds differ", () => {
  const a = createPrng(7), b = createPrng(7), c = createPrng(8);
  const xs = Array.from({ length: 20 }, () => a.float());
  assertEquals(Array.from({ length: 20 }, () => b.float()), xs);
  assertNotEquals(Array.from({ length: 20 }, () => c.float()), xs);
});

Deno.test("fork depends on seed and label, not on draws so far", () => {
  const a = createPrng(3);
  const before = a.fork("x").nextU32();
  for (let i = 0; i < 100; i++) a.nextU32();
  assertEquals(a.fork("x").nextU32(), before);
  assertNotEquals(a.fork("y").nextU32(), before);
  assertNotEquals(createPrng(4).fork("x").nextU32(), before);
  assertNotEquals(fnv1a32("train"), fnv1a32("val"));
});

Deno.test("int, intBetween, float ranges; shuffled is a permutation; float mean ≈ 0.5", () => {
  const p = createPrng(11);
  let sum = 0;
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 20000; i++) {
    const f = p.float();
    assert(f >= 0 && f < 1);
    sum += f;
    counts[p.int(5)]++;
    const v = intBetween(p, 2, 4);
    assert(v >= 2 && v <= 4);
  }
  assert(Math.abs(sum / 20000 - 0.5) < 0.01, `mean ${sum / 20000}`);
  for (const c of counts) assert(Math.abs(c - 4000) < 300, `bucket ${c}`);
  const s = shuffled(p, [1, 2, 3, 4, 5, 6]);
  assertEquals([...s].sort(), [1, 2, 3, 4, 5, 6]);
  let n2 = 0;
  for (let i = 0; i < 20000; i++) n2 += p.normal() ** 2;
  assert(Math.abs(n2 / 20000 - 1) < 0.05, `normal variance ${n2 / 20000}`);
});

Deno.test("bad arguments fail with the file and field", () => {
  assertThrows(() => createPrng(1).int(0), "prng.ts: int: n: expected an integer ≥ 1");
  assertThrows(() => createPrng(Number.NaN), "createPrng: seed");
});
