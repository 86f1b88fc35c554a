// The fixed cost of reading anything back from WebGPU in Deno: a 16-byte copy + mapAsync, and a bare
// queue.onSubmittedWorkDone. ~11 ms each on llvmpipe here; the RL kernels' fixed cost on an NVIDIA H200
// (Vulkan) was 12.2 ms (rl_kernels_bench.ts), so the floor is Deno's, not the adapter's — consistent with
// Deno polling the device every ~10 ms; a zero-delay timer spinning beside it does not shorten it.
// lib/gpu/device.ts (SOFTWARE_SUBMIT_MS, HARDWARE_SUBMIT_MS) budgets for it.
// Run: npx -y deno@2.9.6 bench --allow-read --allow-env tests/bench/gpu_readback_bench.ts
import { acquireGpu, gpuAvailable } from "../../lib/gpu/device.ts";

const probe = await gpuAvailable({ timeoutMs: 5000 });
const gpu = probe.available ? await acquireGpu({ timeoutMs: 5000 }) : null;
if (!gpu) console.log(`gpu_readback_bench.ts: skipped: no WebGPU adapter: ${probe.reason}`);

/** A 16-byte buffer pair and one submitted copy between them. */
function copyOnce(device: GPUDevice, src: GPUBuffer, dst: GPUBuffer): void {
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, dst, 0, 16);
  device.queue.submit([enc.finish()]);
}

if (gpu) {
  const { device } = gpu;
  const src = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_SRC });
  const dst = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const group = `readback floor (${gpu.info.description})`;
  Deno.bench({ name: "copy 16 B + mapAsync", group, baseline: true }, async () => {
    copyOnce(device, src, dst);
    await dst.mapAsync(GPUMapMode.READ);
    dst.unmap();
  });
  Deno.bench({ name: "copy 16 B + onSubmittedWorkDone", group }, async () => {
    copyOnce(device, src, dst);
    await device.queue.onSubmittedWorkDone();
  });
}
