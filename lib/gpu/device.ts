// WebGPU adapter/device acquisition as an explicit handle (no singleton), a timed availability probe,
// and the CPU-vs-GPU path decision. Not in the paper: the authors run PyTorch/vLLM on CUDA.

import { ensureRuntimeDir } from "../runtime/runtime_dir.ts";

/** Adapter facts worth recording in a run config (design.md "GPU paths": the path taken is visible). */
export interface GpuInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
  /** True for CPU rasterisers (llvmpipe, lavapipe, SwiftShader, WARP) or a fallback adapter. */
  readonly isSoftware: boolean;
  /**
   * wgpu backend when known: from `DENO_WEBGPU_BACKEND` ("env"), or inferred on a software Mesa
   * adapter from the `shader-f16` feature, which Mesa exposes on Vulkan only ("inferred").
   */
  readonly backend: string | null;
  readonly backendSource: "env" | "inferred" | "unknown";
  readonly features: readonly string[];
  /** The limits the device was created with (raised to what the adapter allows). */
  readonly limits: Readonly<Record<string, number>>;
}

/** An acquired device; pass it to kernels and call `dispose()` when done. */
export interface GpuHandle {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly info: GpuInfo;
  /** Destroys the device. Idempotent. */
  dispose(): void;
}

/** Options for {@link acquireGpu} and {@link gpuAvailable}. */
export interface AcquireOptions {
  /** Give up when the adapter or device request takes longer. @default 5000 */
  readonly timeoutMs?: number;
  /** @default "high-performance" */
  readonly powerPreference?: GPUPowerPreference;
  /** Features to request when the adapter has them (others are silently left out). @default [] */
  readonly optionalFeatures?: readonly GPUFeatureName[];
}

/** Result of {@link gpuAvailable}. */
export interface GpuProbe {
  readonly available: boolean;
  /** Why not (or the adapter description when available). */
  readonly reason: string;
  readonly info: GpuInfo | null;
}

/** Limits copied from the adapter into `requiredLimits` (the WebGPU defaults are far lower). */
const RAISED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
  "maxUniformBufferBindingSize",
] as const;

/** Races `p` against a timer; the timer is always cleared so it cannot keep the process alive. */
async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether an adapter description names a CPU rasteriser.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(isSoftwareDescription("llvmpipe (LLVM 15.0.6, 256 bits)"), true);
 * strictEqual(isSoftwareDescription("NVIDIA H200"), false);
 * ```
 */
export function isSoftwareDescription(description: string): boolean {
  return /llvmpipe|lavapipe|swiftshader|microsoft basic render|warp/i.test(description);
}

/**
 * Builds {@link GpuInfo} from adapter facts; pure so it can be tested without an adapter.
 *
 * @example
 * ```ts
 * const info = describeAdapter({
 *   info: { vendor: "65541", architecture: "", device: "0", description: "llvmpipe", isFallbackAdapter: true },
 *   features: ["shader-f16"], limits: {}, envBackend: undefined,
 * });
 * if (info.backend !== "vulkan" || !info.isSoftware) throw new Error(JSON.stringify(info)); // inferred
 * ```
 */
export function describeAdapter(facts: {
  readonly info: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter?: boolean;
  };
  readonly features: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
  readonly envBackend: string | undefined;
}): GpuInfo {
  const { info, features, limits, envBackend } = facts;
  const isFallbackAdapter = info.isFallbackAdapter === true;
  const isSoftware = isFallbackAdapter || isSoftwareDescription(info.description);
  let backend: string | null = null;
  let backendSource: GpuInfo["backendSource"] = "unknown";
  if (envBackend !== undefined && envBackend !== "") {
    backend = envBackend.toLowerCase();
    backendSource = "env";
  } else if (/llvmpipe|lavapipe/i.test(info.description)) {
    backend = features.includes("shader-f16") ? "vulkan" : "gl";
    backendSource = "inferred";
  }
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter,
    isSoftware,
    backend,
    backendSource,
    features: [...features].sort(),
    limits: { ...limits },
  };
}

function readEnvBackend(): string | undefined {
  try {
    return Deno.env.get("DENO_WEBGPU_BACKEND");
  } catch {
    return undefined; // no --allow-env: backend stays unknown unless inferred
  }
}

/**
 * Requests an adapter and a device with `requiredLimits` raised to the adapter's limits.
 * Throws an Error saying why when there is no WebGPU, no adapter, or a request times out.
 * A timed-out request cannot be cancelled; the pending op may keep the process alive.
 *
 * @example
 * ```ts
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu({ timeoutMs: 5000 });
 *   try { console.log(gpu.info.description); } finally { gpu.dispose(); }
 * }
 * ```
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuHandle> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const gpuApi = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpuApi === undefined) throw new Error("lib/gpu/device.ts: navigator.gpu is not defined");
  ensureRuntimeDir(); // wgpu's first adapter request probes Wayland, which wants XDG_RUNTIME_DIR
  const adapter = await withTimeout(
    gpuApi.requestAdapter({ powerPreference: options.powerPreference ?? "high-performance" }),
    timeoutMs,
    "lib/gpu/device.ts: requestAdapter",
  );
  if (adapter === null) throw new Error("lib/gpu/device.ts: requestAdapter returned no adapter");
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === "number") requiredLimits[name] = v;
  }
  const requiredFeatures = (options.optionalFeatures ?? []).filter((f) => adapter.features.has(f));
  const device = await withTimeout(
    adapter.requestDevice({ requiredLimits, requiredFeatures }),
    timeoutMs,
    "lib/gpu/device.ts: requestDevice",
  );
  const limits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    limits[name] = (device.limits as unknown as Record<string, number>)[name];
  }
  const info = describeAdapter({
    info: adapter.info,
    features: [...adapter.features],
    limits,
    envBackend: readEnvBackend(),
  });
  let disposed = false;
  return {
    adapter,
    device,
    info,
    dispose() {
      if (disposed) return;
      disposed = true;
      device.destroy();
    },
  };
}

/**
 * Probes for a usable device (adapter and device request, both timed) and releases it again.
 *
 * @example
 * ```ts
 * const probe = await gpuAvailable({ timeoutMs: 3000 });
 * if (!probe.available) console.log(`GPU path off: ${probe.reason}`);
 * ```
 */
export async function gpuAvailable(options: AcquireOptions = {}): Promise<GpuProbe> {
  try {
    const gpu = await acquireGpu(options);
    const info = gpu.info;
    gpu.dispose();
    return { available: true, reason: info.description, info };
  } catch (e) {
    return { available: false, reason: (e as Error).message, info: null };
  }
}

/** Input of {@link choosePath}. */
export interface PathQuery {
  /** The device (or its info), or null when none was acquired. */
  readonly device: GpuHandle | GpuInfo | null;
  /** Estimated time of the CPU path for this piece of work. */
  readonly estimatedCpuMs: number;
  /** Cost of one submit + readback. @default SOFTWARE_SUBMIT_MS or HARDWARE_SUBMIT_MS */
  readonly submitCostMs?: number;
  /** Estimated kernel time excluding the submit cost, when known (e.g. from a measured bench). */
  readonly estimatedGpuMs?: number;
}

/** Which path runs and why (record both in the run config). */
export interface PathChoice {
  readonly path: "gpu" | "cpu";
  readonly reason: string;
}

/** Submit + readback latency measured on llvmpipe/lavapipe (platform.md). */
export const SOFTWARE_SUBMIT_MS = 11.5;

/**
 * Submit + readback latency measured on a real GPU (NVIDIA H200, Vulkan, Deno 2.9.6): 12.2 ms fixed +
 * 6.2 ns/token for the rank objective (tests/bench/rl_kernels_bench.ts, tests/bench/README_model_speed.md).
 * About the software adapter's floor: the readback latency is Deno's (buffer map polling), not the
 * adapter's, so a hardware adapter does not make small dispatches cheap.
 */
export const HARDWARE_SUBMIT_MS = 12.2;

/**
 * Picks the GPU only where it pays: a device exists, the work outweighs the submit cost, and — on a
 * software adapter, which shares the CPU cores — a measured GPU estimate beats the CPU estimate.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(choosePath({ device: null, estimatedCpuMs: 5 }), { path: "cpu", reason: "no GPU device" });
 * ```
 */
export function choosePath(query: PathQuery): PathChoice {
  const { device, estimatedCpuMs, estimatedGpuMs } = query;
  if (device === null) return { path: "cpu", reason: "no GPU device" };
  const info = "info" in device ? device.info : device;
  const submit = query.submitCostMs ?? (info.isSoftware ? SOFTWARE_SUBMIT_MS : HARDWARE_SUBMIT_MS);
  const f = (x: number) => x.toFixed(2);
  if (estimatedCpuMs <= submit) {
    return {
      path: "cpu",
      reason: `CPU estimate ${f(estimatedCpuMs)} ms ≤ submit cost ${f(submit)} ms`,
    };
  }
  if (estimatedGpuMs !== undefined) {
    const gpuTotal = estimatedGpuMs + submit;
    return gpuTotal < estimatedCpuMs
      ? { path: "gpu", reason: `GPU ${f(gpuTotal)} ms < CPU ${f(estimatedCpuMs)} ms` }
      : { path: "cpu", reason: `GPU ${f(gpuTotal)} ms ≥ CPU ${f(estimatedCpuMs)} ms` };
  }
  if (info.isSoftware) {
    return {
      path: "cpu",
      reason: `software adapter (${info.description}) shares the CPU; no GPU estimate given`,
    };
  }
  return {
    path: "gpu",
    reason: `hardware adapter; CPU estimate ${f(estimatedCpuMs)} ms > submit cost ${f(submit)} ms`,
  };
}
