// Kernel plumbing without an adapter: bindings generated from the spec, uniform packing; plus a
// tiny end-to-end kernel (spec → WGSL → dispatch → readback) when an adapter exists.

import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { kernelPrelude, type KernelSpec, packParams } from "../../lib/gpu/kernel.ts";
import { acquireGpu, gpuAvailable } from "../../lib/gpu/device.ts";
import {
  bindDispatch,
  createKernel,
  storageBuffer,
  submitAndRead,
  uploadArray,
} from "../../lib/gpu/kernel.ts";

const SPEC: KernelSpec = {
  name: "axpy",
  entryPoint: "main",
  inputs: [{ name: "x", type: "array<f32>" }, { name: "y", type: "array<f32>" }],
  outputs: [{ name: "out", type: "array<f32>" }],
  params: { n: "u32", a: "f32" },
};

Deno.test("kernelPrelude: bindings in spec order, then the params uniform", () => {
  const text = kernelPrelude(SPEC, { CAP: 32 });
  const lines = text.split("\n");
  assert(lines.includes("const CAP: u32 = 32u;"));
  assert(lines.includes("@group(0) @binding(0) var<storage, read> x: array<f32>;"));
  assert(lines.includes("@group(0) @binding(1) var<storage, read> y: array<f32>;"));
  assert(lines.includes("@group(0) @binding(2) var<storage, read_write> out: array<f32>;"));
  assert(lines.includes("@group(0) @binding(3) var<uniform> params: Params;"));
  assert(text.indexOf("n: u32") < text.indexOf("a: f32"));
});

Deno.test("kernelPrelude: rejects names that are not WGSL identifiers", () => {
  assertThrows(
    () => kernelPrelude({ ...SPEC, inputs: [{ name: "x-1", type: "array<f32>" }] }),
    'input "x-1"',
  );
  assertThrows(() => kernelPrelude(SPEC, { CAP: -1 }), "const CAP=-1");
});

Deno.test("packParams: 4 bytes per field in spec order, padded to 16 bytes", () => {
  const buf = packParams({ n: "u32", a: "f32", b: "i32" }, { n: 7, a: 0.5, b: -2 });
  assertEquals(buf.byteLength, 16);
  const v = new DataView(buf);
  assertEquals([v.getUint32(0, true), v.getFloat32(4, true), v.getInt32(8, true)], [7, 0.5, -2]);
  assertEquals(
    packParams({ a: "u32", b: "u32", c: "u32", d: "u32", e: "u32" }, {
      a: 1,
      b: 2,
      c: 3,
      d: 4,
      e: 5,
    }).byteLength,
    32,
  );
  assertThrows(() => packParams({ n: "u32" }, {}), 'param "n" missing');
  assertThrows(() => packParams({ n: "u32" }, { n: 1, m: 2 }), 'param "m" is not in the spec');
  assertThrows(() => packParams({ n: "u32" }, { n: -1 }), "expected a u32");
});

const probe = await gpuAvailable({ timeoutMs: 5000 });
const skip = probe.available ? "" : ` (skipped: no WebGPU adapter: ${probe.reason})`;

Deno.test({
  name: `createKernel: spec-bound axpy over a non-multiple of the workgroup${skip}`,
  ignore: !probe.available,
  async fn() {
    const gpu = await acquireGpu({ timeoutMs: 5000 });
    try {
      const source = `
override WG_SIZE: u32 = 64u;
@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= params.n) { return; }
  out[gid.x] = params.a * x[gid.x] + y[gid.x];
}`;
      const kernel = await createKernel(gpu, SPEC, { source, workgroupSize: 32 });
      const n = 45;
      const x = Float32Array.from({ length: n }, (_, i) => i);
      const y = Float32Array.from({ length: n }, (_, i) => 100 - i);
      const bx = uploadArray(gpu, x), by = uploadArray(gpu, y), out = storageBuffer(gpu, 4 * n);
      const d = bindDispatch(gpu, kernel, {
        buffers: { x: bx, y: by, out },
        params: { n, a: 2 },
        workgroups: [Math.ceil(n / 32), 1, 1],
      });
      const [res] = await submitAndRead(gpu, [d], [{ buffer: out, bytes: 4 * n }]);
      assertEquals([...new Float32Array(res)], [...x].map((v, i) => 2 * v + y[i]));
      for (const b of [bx, by, out, d.uniform!]) b.destroy();
      await createKernel(gpu, SPEC, { source: source + "\nfn broken( {" }).then(
        () => assert(false, "a WGSL syntax error must reject"),
        (e: Error) => assert(e.message.includes('WGSL errors in kernel "axpy"'), e.message),
      );
    } finally {
      gpu.dispose();
    }
  },
});
