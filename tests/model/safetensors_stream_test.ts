// The safetensors reader streams: one tensor of a (sparse, synthetic) >1 GiB file is read without
// touching the rest, a 16-bit tensor costs only its float32 size, and in-place widening is exact.
import { assert, assertEquals } from "../_assert.ts";
import { decodeFloats, openSafetensors } from "../../lib/model/safetensors.ts";
import { tempDir } from "./_fixtures.ts";

const MiB = 2 ** 20;

/** Write a safetensors file whose tensors are holes (zeros) except `tail`, stored last. */
async function sparseFile(
  path: string,
  sizes: Array<[name: string, dtype: "BF16" | "F16", n: number]>,
  tail: Float32Array,
): Promise<void> {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, dtype, n] of sizes) {
    header[name] = { dtype, shape: [n], data_offsets: [offset, offset + 2 * n] };
    offset += 2 * n;
  }
  header.tail = {
    dtype: "F32",
    shape: [tail.length],
    data_offsets: [offset, offset + 4 * tail.length],
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await file.write(len);
    await file.write(json);
    await file.seek(8 + json.length + offset, Deno.SeekMode.Start); // the rest stays a hole
    await file.write(new Uint8Array(tail.buffer));
  } finally {
    file.close();
  }
}

const rssMiB = () => Deno.memoryUsage().rss / MiB;

Deno.test("safetensors: reads one tensor of a 1 GiB file without loading the file", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = `${dir}/big.safetensors`;
    const big = 32 * MiB; // elements: 64 MiB of BF16, 128 MiB as float32
    await sparseFile(
      path,
      [["big", "BF16", big], ["filler", "F16", 512 * MiB]],
      new Float32Array([1, -2, 3.5]),
    );
    assert((await Deno.stat(path)).size > 1024 * MiB, "the file is over 1 GiB");
    const start = rssMiB();
    const f = await openSafetensors(path);
    try {
      assertEquals((await f.read("tail")).data, new Float32Array([1, -2, 3.5]));
      const afterTail = rssMiB() - start;
      assert(afterTail < 32, `reading a 12-byte tensor grew RSS by ${afterTail.toFixed(1)} MiB`);
      const { data } = await f.read("big");
      const afterBig = rssMiB() - start;
      assertEquals(data.length, big);
      assert(data[0] === 0 && data[big - 1] === 0, "holes read as zeros");
      // one float32 buffer (128 MiB); the old path also kept the 64 MiB of raw bytes alive
      assert(
        afterBig < 1.25 * 4 * big / MiB,
        `a 128 MiB tensor grew RSS by ${afterBig.toFixed(1)} MiB`,
      );
    } finally {
      f.close();
    }
  } finally {
    await cleanup();
  }
});

Deno.test("safetensors: in-place 16-bit widening equals decodeFloats (odd lengths, all bit patterns)", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (const dtype of ["BF16", "F16"] as const) {
      for (const n of [1, 3, 65536 + 5]) {
        const bits = Uint16Array.from({ length: n }, (_, i) => (i * 40503 + 7) & 0xffff); // every pattern
        const raw = new Uint8Array(bits.buffer);
        const header = { x: { dtype, shape: [n], data_offsets: [0, 2 * n] } };
        const json = new TextEncoder().encode(JSON.stringify(header));
        const bytes = new Uint8Array(8 + json.length + raw.length);
        new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
        bytes.set(json, 8);
        bytes.set(raw, 8 + json.length);
        const path = `${dir}/${dtype}_${n}.safetensors`;
        await Deno.writeFile(path, bytes);
        const f = await openSafetensors(path);
        const { data } = await f.read("x");
        f.close();
        const want = decodeFloats(raw, dtype);
        assert(
          data.every((v, i) => Object.is(v, want[i]) || (Number.isNaN(v) && Number.isNaN(want[i]))),
          `${dtype} n=${n}`,
        );
      }
    }
  } finally {
    await cleanup();
  }
});
