import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  decodeFloats,
  floatToBf16Bits,
  halfToFloat,
  openSafetensors,
  writeSafetensors,
} from "../../lib/model/safetensors.ts";
import { openCheckpointTensors } from "../../lib/model/checkpoint_tensors.ts";
import { tempDir } from "./_fixtures.ts";
import { createPrng } from "../../lib/data/prng.ts";

/** Build a safetensors file by hand from a header object and raw data bytes. */
function rawFile(header: unknown, data: Uint8Array, headerLenOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function seededValues(n: number, seed: number): Float32Array {
  // values spread over 20 binades (2^-10 … 2^9), incl. negatives
  const prng = createPrng(seed);
  return Float32Array.from({ length: n }, () => (prng.float() - 0.5) * 2 ** (prng.int(20) - 10));
}

Deno.test("safetensors: F32 write/read round trip is bit-exact, header 8-byte aligned", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const a = seededValues(6, 1), b = seededValues(5, 2);
    const path = `${dir}/m.safetensors`;
    await writeSafetensors(path, [
      { name: "a", shape: [2, 3], data: a },
      { name: "b.lazy", shape: [5], data: () => Promise.resolve(b) },
      { name: "empty", shape: [0, 4], data: new Float32Array(0) },
    ], { metadata: { format: "pt" } });
    const bytes = await Deno.readFile(path);
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assertEquals(headerLen % 8, 0);
    assertEquals(bytes.length, 8 + headerLen + 4 * 11);
    const f = await openSafetensors(path);
    assertEquals(f.metadata, { format: "pt" });
    assertEquals(await f.read("a"), { shape: [2, 3], data: a });
    assertEquals((await f.read("b.lazy")).data, b);
    assertEquals((await f.read("empty")).shape, [0, 4]);
    await assertRejects(f.read("nope"), path, '"nope"');
    f.close();
    assertEquals(await Array.fromAsync(Deno.readDir(dir)).then((e) => e.length), 1); // no temp left
  } finally {
    await cleanup();
  }
});

Deno.test("safetensors: BF16 rounds to nearest even; bf16-exact values round-trip exactly", () => {
  const one = 1, ulp = 2 ** -7;
  const cases: Array<[number, number]> = [
    [one, one],
    [one + ulp / 2, one], // tie → even (mantissa 0)
    [one + ulp + ulp / 2, one + 2 * ulp], // tie → even (mantissa 2)
    [one + ulp / 2 + 2 ** -20, one + ulp], // just above the tie → up
    [-(one + ulp / 4), -one],
    [Infinity, Infinity],
    [-0, -0],
    [3.3895313892515355e38, 3.3895313892515355e38], // largest finite bf16
  ];
  const bits = floatToBf16Bits(Float32Array.from(cases, (c) => c[0]));
  const back = decodeFloats(new Uint8Array(bits.buffer), "BF16");
  cases.forEach(([, want], i) =>
    assert(Object.is(back[i], want), `case ${i}: ${back[i]} != ${want}`)
  );
  const nan = decodeFloats(new Uint8Array(floatToBf16Bits(new Float32Array([NaN])).buffer), "BF16");
  assert(Number.isNaN(nan[0]));
  // every bf16 value (top 16 bits of a float32) survives float32 → bf16 unchanged
  const exact = seededValues(1000, 7).map((v) => {
    const u = new Uint32Array(new Float32Array([v]).buffer)[0] & 0xffff0000;
    return new Float32Array(new Uint32Array([u]).buffer)[0];
  });
  assertEquals(decodeFloats(new Uint8Array(floatToBf16Bits(exact).buffer), "BF16"), exact);
});

Deno.test("safetensors: BF16 file write/read; relative error ≤ 2^-8", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const v = seededValues(257, 3);
    await writeSafetensors(`${dir}/b.safetensors`, [{ name: "v", shape: [257], data: v }], {
      dtype: "BF16",
    });
    const f = await openSafetensors(`${dir}/b.safetensors`);
    assertEquals(f.tensors.get("v")?.dtype, "BF16");
    const { data } = await f.read("v");
    f.close();
    v.forEach((x, i) =>
      assert(Math.abs(data[i] - x) <= Math.abs(x) * 2 ** -8, `${i}: ${data[i]} vs ${x}`)
    );
    const direct = decodeFloats(new Uint8Array(floatToBf16Bits(v).buffer), "BF16");
    assertEquals(data, direct);
  } finally {
    await cleanup();
  }
});

Deno.test("safetensors: F16 decoding incl. subnormal, max, inf", async () => {
  const halves = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000, 0x3555]);
  assertEquals(Array.from(halves, halfToFloat).slice(0, 6), [1, -2, 65504, 2 ** -24, Infinity, -0]);
  const { dir, cleanup } = await tempDir();
  try {
    const path = `${dir}/h.safetensors`;
    const header = { h: { dtype: "F16", shape: [7], data_offsets: [0, 14] } };
    await Deno.writeFile(path, rawFile(header, new Uint8Array(halves.buffer)));
    const f = await openSafetensors(path);
    const { data } = await f.read("h");
    f.close();
    assertEquals(data[6], Math.fround(0.333251953125));
    assertEquals(Array.from(data.slice(0, 5)), [1, -2, 65504, 2 ** -24, Infinity]);
  } finally {
    await cleanup();
  }
});

Deno.test("safetensors: corrupt files fail naming file and tensor", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const p = (n: string) => `${dir}/${n}.safetensors`;
    const ok4 = { w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
    await Deno.writeFile(p("short"), new Uint8Array(5));
    await assertRejects(openSafetensors(p("short")), p("short"), "truncated");
    await Deno.writeFile(p("trunc"), rawFile(ok4, new Uint8Array(4)));
    await assertRejects(openSafetensors(p("trunc")), p("trunc"), '"w"', "out of range");
    await Deno.writeFile(p("huge"), rawFile(ok4, new Uint8Array(8), 2n ** 40n));
    await assertRejects(openSafetensors(p("huge")), p("huge"), "header too large");
    await Deno.writeFile(p("hdr"), rawFile(ok4, new Uint8Array(8), 10_000n));
    await assertRejects(openSafetensors(p("hdr")), p("hdr"), "truncated");
    const i64 = { idx: { dtype: "I64", shape: [1], data_offsets: [0, 8] } };
    await Deno.writeFile(p("i64"), rawFile(i64, new Uint8Array(8)));
    await assertRejects(openSafetensors(p("i64")), p("i64"), '"idx"', "dtype", "I64");
    const span = { w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } };
    await Deno.writeFile(p("span"), rawFile(span, new Uint8Array(8)));
    await assertRejects(openSafetensors(p("span")), p("span"), '"w"', "expected 12");
    await Deno.writeFile(
      p("json"),
      rawFile("x", new Uint8Array(0)).map((b, i) => i === 8 ? 0x7b : b),
    );
    await assertRejects(openSafetensors(p("json")), p("json"), "JSON");
  } finally {
    await cleanup();
  }
});

Deno.test("checkpoint tensors: sharded index reads across shards; single file too", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const a = seededValues(4, 5), b = seededValues(3, 6);
    await writeSafetensors(`${dir}/model-00001-of-00002.safetensors`, [
      { name: "x.a", shape: [2, 2], data: a },
    ]);
    await writeSafetensors(`${dir}/model-00002-of-00002.safetensors`, [
      { name: "x.b", shape: [3], data: b },
    ], { dtype: "BF16" });
    const index = {
      metadata: { total_size: 22 },
      weight_map: {
        "x.a": "model-00001-of-00002.safetensors",
        "x.b": "model-00002-of-00002.safetensors",
      },
    };
    await Deno.writeTextFile(`${dir}/model.safetensors.index.json`, JSON.stringify(index));
    const ck = await openCheckpointTensors(dir);
    assertEquals([...ck.tensors.keys()].sort(), ["x.a", "x.b"]);
    assertEquals((await ck.read("x.a")).data, a);
    assertEquals(
      (await ck.read("x.b")).data,
      decodeFloats(new Uint8Array(floatToBf16Bits(b).buffer), "BF16"),
    );
    await assertRejects(ck.read("x.c"), dir, '"x.c"');
    ck.close();
    const bad = { weight_map: { "x.z": "model-00001-of-00002.safetensors" } };
    await Deno.writeTextFile(`${dir}/model.safetensors.index.json`, JSON.stringify(bad));
    await assertRejects(openCheckpointTensors(dir), "index.json", '"x.z"');
    await Deno.remove(`${dir}/model.safetensors.index.json`);
    await assertRejects(openCheckpointTensors(dir), "no model.safetensors");
  } finally {
    await cleanup();
  }
});
