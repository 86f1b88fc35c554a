// Device plumbing: adapter description, backend inference and the CPU/GPU path choice (pure), and a
// real probe/acquire when an adapter exists.

import { assert, assertEquals } from "../_assert.ts";
import {
  acquireGpu,
  choosePath,
  describeAdapter,
  gpuAvailable,
  type GpuInfo,
} from "../../lib/gpu/device.ts";

const LLVMPIPE = {
  vendor: "65541",
  architecture: "",
  device: "0",
  description: "llvmpipe (LLVM 15.0.6, 256 bits)",
  isFallbackAdapter: true,
};

function info(overrides: Partial<GpuInfo>): GpuInfo {
  return {
    ...describeAdapter({ info: LLVMPIPE, features: [], limits: {}, envBackend: undefined }),
    ...overrides,
  };
}

Deno.test("describeAdapter: backend from env, else inferred from shader-f16 on Mesa", () => {
  const vk = describeAdapter({
    info: LLVMPIPE,
    features: ["shader-f16"],
    limits: {},
    envBackend: undefined,
  });
  assertEquals([vk.backend, vk.backendSource, vk.isSoftware], ["vulkan", "inferred", true]);
  const gl = describeAdapter({ info: LLVMPIPE, features: [], limits: {}, envBackend: undefined });
  assertEquals([gl.backend, gl.backendSource], ["gl", "inferred"]);
  const env = describeAdapter({ info: LLVMPIPE, features: [], limits: {}, envBackend: "Vulkan" });
  assertEquals([env.backend, env.backendSource], ["vulkan", "env"]);
  const hw = describeAdapter({
    info: {
      vendor: "nvidia",
      architecture: "hopper",
      device: "0x2330",
      description: "NVIDIA H100",
    },
    features: ["shader-f16"],
    limits: {},
    envBackend: undefined,
  });
  assertEquals([hw.backend, hw.backendSource, hw.isSoftware, hw.isFallbackAdapter], [
    null,
    "unknown",
    false,
    false,
  ]);
});

Deno.test("choosePath: CPU without a device, below the submit cost, or on a software adapter", () => {
  assertEquals(choosePath({ device: null, estimatedCpuMs: 1000 }).path, "cpu");
  const sw = info({});
  const small = choosePath({ device: sw, estimatedCpuMs: 5 });
  assertEquals(small.path, "cpu");
  assert(small.reason.includes("11.50"), small.reason);
  assertEquals(choosePath({ device: sw, estimatedCpuMs: 500 }).path, "cpu");
  assertEquals(choosePath({ device: sw, estimatedCpuMs: 500, estimatedGpuMs: 100 }).path, "gpu");
  assertEquals(choosePath({ device: sw, estimatedCpuMs: 50, estimatedGpuMs: 40 }).path, "cpu");
});

Deno.test("choosePath: GPU on hardware once the work outweighs the submit cost", () => {
  const hw = info({ isSoftware: false, isFallbackAdapter: false, description: "NVIDIA H100" });
  assertEquals(choosePath({ device: hw, estimatedCpuMs: 0.2 }).path, "cpu");
  // the 12.2 ms readback floor measured on an H200 holds on hardware too
  assertEquals(choosePath({ device: hw, estimatedCpuMs: 10 }).path, "cpu");
  assertEquals(choosePath({ device: hw, estimatedCpuMs: 20 }).path, "gpu");
  assertEquals(choosePath({ device: hw, estimatedCpuMs: 20, submitCostMs: 30 }).path, "cpu");
});

const probe = await gpuAvailable({ timeoutMs: 5000 });
const skip = probe.available ? "" : ` (skipped: no WebGPU adapter: ${probe.reason})`;

Deno.test({
  name: `acquireGpu: raised limits and adapter info${skip}`,
  ignore: !probe.available,
  async fn() {
    const gpu = await acquireGpu({ timeoutMs: 5000 });
    try {
      assert(gpu.info.description.length > 0);
      // raised beyond the WebGPU default of 128 MiB / 256 MiB whenever the adapter allows more
      const adapterMax = gpu.adapter.limits.maxBufferSize;
      assertEquals(gpu.device.limits.maxBufferSize, adapterMax);
      assertEquals(
        gpu.info.limits.maxStorageBufferBindingSize,
        gpu.adapter.limits.maxStorageBufferBindingSize,
      );
      console.log(JSON.stringify({ ...gpu.info, limits: undefined, features: undefined }));
    } finally {
      gpu.dispose();
      gpu.dispose(); // idempotent
    }
  },
});
