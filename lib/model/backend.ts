// Select a tfjs backend by name. For wasm in Deno, points tfjs at the .wasm files inside node_modules
// (tfjs takes Node code paths in Deno and reads them as plain file paths); single-threaded SIMD.
// "cpu-blas" is the cpu backend with OpenBLAS matmuls and fast elementwise kernels (lib/model/blas).
// "webgpu" is tfjs-backend-webgpu on Deno's navigator.gpu (no flag or permission needed in Deno 2.9),
// run on a device from lib/gpu/device.ts (limits raised to the adapter's) so that our WGSL kernels can
// bind tfjs tensors' buffers (kernels/rank_objective_tfjs.ts); tfjs's own factory would request a device
// of its own with the default 8 storage buffers per stage. Its tensors cannot be read synchronously in
// Deno (dataSync needs OffscreenCanvas): read with data().
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { acquireGpu, type GpuHandle } from "../gpu/device.ts";
import { useBlasBackend } from "./blas/blas_backend.ts";
import { openBlasAvailable } from "./blas/openblas.ts";
import { tfjsOnDeno } from "../runtime/tfjs_env.ts";

import type { BackendName } from "./backend_names.ts";
export type { BackendName } from "./backend_names.ts";

/** How long the WebGPU adapter request may take before "webgpu" is reported unavailable. */
const ADAPTER_TIMEOUT_MS = 10_000;

/** What to do when "webgpu" cannot start (appended to its errors). */
const WEBGPU_FIX = "run on a machine with a GPU and its Vulkan driver (or, for a slow software " +
  "adapter, Debian mesa-vulkan-drivers), or pick --backend wasm | cpu | cpu-blas";

/**
 * Resolves when a WebGPU adapter exists; throws an Error naming the cause and the fix otherwise
 * (no `navigator.gpu`, `requestAdapter()` null, rejected or slower than 10 s).
 *
 * @example
 * ```ts
 * import { gpuAvailable } from "../gpu/device.ts";
 * if ((await gpuAvailable()).available) await requireWebgpuAdapter(); // else it throws, naming the fix
 * ```
 */
export async function requireWebgpuAdapter(): Promise<GPUAdapter> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpu === undefined) {
    throw new Error(
      `lib/model/backend.ts: backend "webgpu": navigator.gpu is undefined in this runtime; ${WEBGPU_FIX}`,
    );
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ADAPTER_TIMEOUT_MS);
  });
  let adapter: GPUAdapter | null | "timeout";
  try {
    adapter = await Promise.race([
      gpu.requestAdapter({ powerPreference: "high-performance" }),
      timeout,
    ]);
  } catch (e) {
    throw new Error(
      `lib/model/backend.ts: backend "webgpu": requestAdapter failed (${
        (e as Error).message
      }); ${WEBGPU_FIX}`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (adapter === "timeout") {
    throw new Error(
      `lib/model/backend.ts: backend "webgpu": requestAdapter took over ${ADAPTER_TIMEOUT_MS} ms; ${WEBGPU_FIX}`,
    );
  }
  if (adapter === null) {
    throw new Error(
      `lib/model/backend.ts: backend "webgpu": no WebGPU adapter (navigator.gpu.requestAdapter() returned null); ${WEBGPU_FIX}`,
    );
  }
  return adapter;
}

/**
 * Make `name` the active tfjs backend and return it; throws if it cannot start.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * await useBackend("wasm");
 * console.log(tf.getBackend()); // "wasm"
 * ```
 */
export async function useBackend(name: BackendName): Promise<BackendName> {
  await tfjsOnDeno(); // before the first kernel: no "install tfjs-node" banner from any entry point
  if (name === "cpu-blas") return await useBlasBackend() as BackendName; // needs --allow-ffi
  if (name === "wasm") {
    const dist = new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
    setWasmPaths(decodeURIComponent(dist.pathname));
  }
  if (name === "webgpu") await registerWebgpu();
  if (!(await tf.setBackend(name))) {
    const fix = name === "webgpu" ? `; ${WEBGPU_FIX}` : "";
    throw new Error(`lib/model/backend.ts: tfjs backend "${name}" failed to initialise${fix}`);
  }
  await tf.ready();
  return name;
}

/**
 * The backend "auto" stands for in this process: cpu-blas when OpenBLAS is found and FFI is granted on
 * it, else wasm (a cpu-blas that is found but fails to load still fails in {@link useBackend}).
 * @example autoBackend() // "cpu-blas" on a machine with libopenblas and --allow-ffi
 */
export function autoBackend(): BackendName {
  return openBlasAvailable().ok ? "cpu-blas" : "wasm";
}

/** The device behind our "webgpu" registration and the factory that uses it. */
let webgpu: { gpu: GpuHandle; factory: () => tf.KernelBackend } | null = null;

/**
 * Registers "webgpu" as tfjs's WebGPUBackend on a device of {@link acquireGpu} (once; again if someone
 * removed or replaced the registration, e.g. a test that imported the stock factory).
 */
async function registerWebgpu(): Promise<void> {
  if (webgpu !== null && tf.findBackendFactory("webgpu") === webgpu.factory) return;
  await requireWebgpuAdapter(); // the error that names the fix
  // importing registers tfjs's kernels for "webgpu" (and its own factory, replaced below)
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  if (tf.getBackend() === "webgpu") await tf.setBackend("cpu"); // leave the registration we replace
  webgpu?.gpu.dispose();
  const gpu = await acquireGpu({ timeoutMs: ADAPTER_TIMEOUT_MS });
  const factory = () => new WebGPUBackend(gpu.device, gpu.adapter.info);
  tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", factory, 3);
  webgpu = { gpu, factory };
}

/**
 * The GPU device tfjs's active "webgpu" backend runs on, as a handle for our kernels (its `dispose` is a
 * no-op: the backend owns the device); null when tfjs is not on that backend.
 *
 * @example
 * ```ts
 * await useBackend("cpu");
 * if (webgpuHandle() !== null) throw new Error("null off the webgpu backend");
 * // after `await useBackend("webgpu")`: tfjs's device, for kernels like createRankObjective(gpu)
 * ```
 */
export function webgpuHandle(): GpuHandle | null {
  if (webgpu === null || tf.getBackend() !== "webgpu") return null;
  const active = tf.backend() as unknown as { device?: GPUDevice };
  if (active.device !== webgpu.gpu.device) return null;
  const { adapter, device, info } = webgpu.gpu;
  return { adapter, device, info, dispose() {} };
}

/**
 * The active backend in words for logs and bench rows: its name, plus the adapter on webgpu.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * await useBackend("cpu");
 * strictEqual(activeBackendLabel(), "cpu"); // on webgpu: "webgpu (NVIDIA H200 …, vendor nvidia)"
 * ```
 */
export function activeBackendLabel(): string {
  const name = tf.getBackend();
  if (name !== "webgpu") return name;
  const info = webgpuHandle()?.info;
  if (info === undefined) return name;
  const parts = [info.description, info.vendor ? `vendor ${info.vendor}` : ""].filter((p) => p);
  return parts.length === 0 ? name : `${name} (${parts.join(", ")})`;
}
