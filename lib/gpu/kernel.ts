// WGSL kernel loading with bindings generated from a declared spec (inputs, outputs, params), the
// workgroup size as an `override`, and buffer helpers (upload, one submit, one mapped readback).

import type { GpuHandle } from "./device.ts";

/** Storage element types a kernel spec may declare. */
export type StorageType =
  | "array<f32>"
  | "array<u32>"
  | "array<i32>"
  | "array<vec4<f32>>"
  | "array<atomic<u32>>";
/** Uniform param types: 4-byte scalars only, so the uniform layout is 4 bytes per field in order. */
export type ParamType = "f32" | "u32" | "i32";

/** One storage binding of a kernel. */
export interface BindingSpec {
  readonly name: string;
  readonly type: StorageType;
}

/**
 * A kernel's interface. Bindings are numbered in declaration order: inputs (read-only storage),
 * then outputs (read_write storage), then one uniform `params: Params` when `params` is non-empty.
 */
export interface KernelSpec {
  readonly name: string;
  readonly entryPoint: string;
  readonly inputs: readonly BindingSpec[];
  readonly outputs: readonly BindingSpec[];
  readonly params: Readonly<Record<string, ParamType>>;
}

/** A compiled kernel: the pipeline plus its spec. */
export interface Kernel {
  readonly spec: KernelSpec;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly workgroupSize: number;
}

/** One dispatch, ready to encode. */
export interface Dispatch {
  readonly kernel: Kernel;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

/** Options of {@link createKernel}. */
export interface CreateKernelOptions {
  /** Value of the WGSL `override WG_SIZE: u32` used in `@workgroup_size(WG_SIZE)`. @default 64 */
  readonly workgroupSize?: number;
  /** Module-scope `const` declarations prepended to the source (e.g. private array sizes). @default {} */
  readonly consts?: Readonly<Record<string, number>>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkIdent(spec: KernelSpec, field: string, name: string): void {
  if (!IDENT.test(name)) {
    throw new Error(
      `lib/gpu/kernel.ts: kernel "${spec.name}" ${field} "${name}" is not a WGSL name`,
    );
  }
}

/**
 * WGSL declarations for a spec's bindings and params struct, in binding order.
 *
 * @example
 * ```ts
 * const wgsl = kernelPrelude({ name: "k", entryPoint: "main", inputs: [{ name: "x", type: "array<f32>" }],
 *   outputs: [{ name: "y", type: "array<f32>" }], params: { n: "u32" } });
 * // struct Params { n: u32, } ... @group(0) @binding(0) var<storage, read> x: array<f32>; ...
 * if (!wgsl.includes("@group(0) @binding(1) var<storage, read_write> y: array<f32>;")) throw new Error(wgsl);
 * ```
 */
export function kernelPrelude(
  spec: KernelSpec,
  consts: Readonly<Record<string, number>> = {},
): string {
  const lines: string[] = [`// generated from kernel spec "${spec.name}"`];
  for (const [name, v] of Object.entries(consts)) {
    checkIdent(spec, "const", name);
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`lib/gpu/kernel.ts: const ${name}=${v}: expected a non-negative integer`);
    }
    lines.push(`const ${name}: u32 = ${v}u;`);
  }
  const paramNames = Object.keys(spec.params);
  if (paramNames.length > 0) {
    lines.push("struct Params {");
    for (const p of paramNames) {
      checkIdent(spec, "param", p);
      lines.push(`  ${p}: ${spec.params[p]},`);
    }
    lines.push("}");
  }
  let binding = 0;
  for (const b of spec.inputs) {
    checkIdent(spec, "input", b.name);
    lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${b.name}: ${b.type};`);
  }
  for (const b of spec.outputs) {
    checkIdent(spec, "output", b.name);
    lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${b.name}: ${b.type};`);
  }
  if (paramNames.length > 0) {
    lines.push(`@group(0) @binding(${binding}) var<uniform> params: Params;`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Packs param values in spec order, 4 bytes each, padded to 16 bytes (uniform buffer layout).
 * Throws naming the missing/extra/out-of-range param.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(new Uint32Array(packParams({ n: "u32", s: "f32" }, { n: 3, s: 0.5 }))[0], 3);
 * ```
 */
export function packParams(
  params: Readonly<Record<string, ParamType>>,
  values: Readonly<Record<string, number>>,
): ArrayBuffer {
  const names = Object.keys(params);
  for (const v of Object.keys(values)) {
    if (!(v in params)) throw new Error(`lib/gpu/kernel.ts: param "${v}" is not in the spec`);
  }
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((names.length * 4) / 16) * 16));
  const view = new DataView(buf);
  names.forEach((name, i) => {
    const v = values[name];
    if (v === undefined) throw new Error(`lib/gpu/kernel.ts: param "${name}" missing`);
    const t = params[name];
    if (t === "f32") view.setFloat32(i * 4, v, true);
    else if (t === "u32") {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new Error(`lib/gpu/kernel.ts: param "${name}"=${v}: expected a u32`);
      }
      view.setUint32(i * 4, v, true);
    } else {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
        throw new Error(`lib/gpu/kernel.ts: param "${name}"=${v}: expected an i32`);
      }
      view.setInt32(i * 4, v, true);
    }
  });
  return buf;
}

/**
 * Reads a WGSL file at run time. Pass a URL relative to the caller's module, e.g.
 * `new URL("./op.wgsl", import.meta.url)`; needs `--allow-read` for that path (kernels/).
 *
 * @example
 * ```ts
 * const src = await loadWgsl(new URL("../../kernels/similarity_topk.wgsl", import.meta.url));
 * if (!src.includes("@compute")) throw new Error("not a compute shader");
 * ```
 */
export async function loadWgsl(url: URL): Promise<string> {
  try {
    return await Deno.readTextFile(url);
  } catch (e) {
    throw new Error(
      `lib/gpu/kernel.ts: cannot read WGSL ${url.href} (needs --allow-read): ${
        (e as Error).message
      }`,
    );
  }
}

/**
 * Compiles `source` (the .wgsl body, without bindings) with the spec's generated prelude into a
 * compute pipeline with an explicit bind group layout. Surfaces WGSL compile errors as an Error.
 *
 * @example
 * ```ts
 * import { acquireGpu, gpuAvailable } from "./device.ts";
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu();
 *   const spec: KernelSpec = { name: "double", entryPoint: "main", inputs: [{ name: "x", type: "array<f32>" }],
 *     outputs: [{ name: "y", type: "array<f32>" }], params: { n: "u32" } };
 *   const source = `override WG_SIZE: u32 = 64u;
 * @compute @workgroup_size(WG_SIZE) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
 *   if (id.x < params.n) { y[id.x] = 2.0 * x[id.x]; } }`;
 *   const k = await createKernel(gpu, spec, { source, workgroupSize: 64 });
 *   gpu.dispose();
 * }
 * ```
 */
export async function createKernel(
  gpu: GpuHandle,
  spec: KernelSpec,
  options: CreateKernelOptions & { readonly source: string },
): Promise<Kernel> {
  const workgroupSize = options.workgroupSize ?? 64;
  const code = kernelPrelude(spec, options.consts ?? {}) + options.source;
  const device = gpu.device;
  const module = device.createShaderModule({ label: spec.name, code });
  const compile = await module.getCompilationInfo();
  const errors = compile.messages.filter((m) => m.type === "error");
  if (errors.length > 0) {
    const msg = errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join("; ");
    throw new Error(`lib/gpu/kernel.ts: WGSL errors in kernel "${spec.name}": ${msg}`);
  }
  const entries: GPUBindGroupLayoutEntry[] = [];
  let binding = 0;
  for (const _ of spec.inputs) {
    entries.push({
      binding: binding++,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: "read-only-storage" },
    });
  }
  for (const _ of spec.outputs) {
    entries.push({
      binding: binding++,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: "storage" },
    });
  }
  if (Object.keys(spec.params).length > 0) {
    entries.push({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } });
  }
  const layout = device.createBindGroupLayout({ label: spec.name, entries });
  device.pushErrorScope("validation");
  const pipeline = device.createComputePipeline({
    label: spec.name,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: spec.entryPoint, constants: { WG_SIZE: workgroupSize } },
  });
  const err = await device.popErrorScope();
  if (err !== null) {
    throw new Error(`lib/gpu/kernel.ts: pipeline "${spec.name}": ${err.message}`);
  }
  return { spec, pipeline, layout, workgroupSize };
}

/**
 * Binds named buffers (every input and output of the spec) and params into a dispatch.
 * The params uniform buffer is created here and owned by the returned `uniform` (destroy it after).
 *
 * @example
 * ```ts
 * import { acquireGpu, gpuAvailable } from "./device.ts";
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu();
 *   const spec: KernelSpec = { name: "double", entryPoint: "main", inputs: [{ name: "x", type: "array<f32>" }],
 *     outputs: [{ name: "y", type: "array<f32>" }], params: { n: "u32" } };
 *   const source = `override WG_SIZE: u32 = 64u;
 * @compute @workgroup_size(WG_SIZE) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
 *   if (id.x < params.n) { y[id.x] = 2.0 * x[id.x]; } }`;
 *   const kernel = await createKernel(gpu, spec, { source });
 *   const x = uploadArray(gpu, Float32Array.of(1, 2, 3));
 *   const y = storageBuffer(gpu, 12);
 *   const d = bindDispatch(gpu, kernel, { buffers: { x, y }, params: { n: 3 }, workgroups: [1, 1, 1] });
 *   const [out] = await submitAndRead(gpu, [d], [{ buffer: y, bytes: 12 }]);
 *   if (new Float32Array(out)[2] !== 6) throw new Error(`${new Float32Array(out)}`);
 *   for (const b of [x, y, d.uniform!]) b.destroy();
 *   gpu.dispose();
 * }
 * ```
 */
export function bindDispatch(
  gpu: GpuHandle,
  kernel: Kernel,
  options: {
    readonly buffers: Readonly<Record<string, GPUBuffer>>;
    readonly params: Readonly<Record<string, number>>;
    readonly workgroups: readonly [number, number, number];
  },
): Dispatch & { readonly uniform: GPUBuffer | null } {
  const { spec } = kernel;
  const entries: GPUBindGroupEntry[] = [];
  let binding = 0;
  for (const b of [...spec.inputs, ...spec.outputs]) {
    const buffer = options.buffers[b.name];
    if (buffer === undefined) {
      throw new Error(`lib/gpu/kernel.ts: kernel "${spec.name}" buffer "${b.name}" not given`);
    }
    entries.push({ binding: binding++, resource: { buffer } });
  }
  let uniform: GPUBuffer | null = null;
  if (Object.keys(spec.params).length > 0) {
    const packed = packParams(spec.params, options.params);
    uniform = gpu.device.createBuffer({
      size: packed.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    gpu.device.queue.writeBuffer(uniform, 0, packed);
    entries.push({ binding, resource: { buffer: uniform } });
  }
  const bindGroup = gpu.device.createBindGroup({ layout: kernel.layout, entries });
  return { kernel, bindGroup, workgroups: options.workgroups, uniform };
}

/**
 * Uploads a typed array into a new storage buffer (size rounded up to 4 bytes, at least 4).
 *
 * @example
 * ```ts
 * import { acquireGpu, gpuAvailable } from "./device.ts";
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu();
 *   const buf = uploadArray(gpu, new Float32Array([1, 2, 3])); // STORAGE | COPY_DST | COPY_SRC
 *   buf.destroy();
 *   gpu.dispose();
 * }
 * ```
 */
export function uploadArray(
  gpu: GpuHandle,
  data: Float32Array | Uint32Array | Int32Array,
): GPUBuffer {
  const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
  const buffer = gpu.device.createBuffer({
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
  if (data.byteLength > 0) {
    gpu.device.queue.writeBuffer(
      buffer,
      0,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      data.byteLength,
    );
  }
  return buffer;
}

/**
 * A new zero-initialised storage buffer of `bytes` bytes (at least 4) that can be read back.
 *
 * @example
 * ```ts
 * import { acquireGpu, gpuAvailable } from "./device.ts";
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu();
 *   const out = storageBuffer(gpu, 4 * 3); // room for 3 f32, zero-filled
 *   out.destroy();
 *   gpu.dispose();
 * }
 * ```
 */
export function storageBuffer(gpu: GpuHandle, bytes: number): GPUBuffer {
  return gpu.device.createBuffer({
    size: Math.max(4, Math.ceil(bytes / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

/**
 * Encodes several dispatches (each its own compute pass, so later ones see earlier writes), copies
 * `readback` buffers into one staging buffer, submits once and maps once. Returns one ArrayBuffer
 * copy per readback entry. This is the ~11.5 ms round trip on software adapters: call it rarely.
 *
 * @example
 * ```ts
 * import { acquireGpu, gpuAvailable } from "./device.ts";
 * if ((await gpuAvailable()).available) { // skipped on a machine without WebGPU
 *   const gpu = await acquireGpu();
 *   const buf = uploadArray(gpu, Float32Array.of(1, 2, 3));
 *   const [bytes] = await submitAndRead(gpu, [], [{ buffer: buf, bytes: 12 }]); // no dispatch: a copy
 *   if (new Float32Array(bytes)[2] !== 3) throw new Error(`${new Float32Array(bytes)}`);
 *   buf.destroy();
 *   gpu.dispose();
 * }
 * ```
 */
export async function submitAndRead(
  gpu: GpuHandle,
  dispatches: readonly Dispatch[],
  readback: readonly { readonly buffer: GPUBuffer; readonly bytes: number }[],
): Promise<ArrayBuffer[]> {
  const device = gpu.device;
  const encoder = device.createCommandEncoder();
  for (const d of dispatches) {
    const pass = encoder.beginComputePass();
    pass.setPipeline(d.kernel.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    pass.end();
  }
  const offsets: number[] = [];
  let total = 0;
  for (const r of readback) {
    offsets.push(total);
    total += Math.ceil(r.bytes / 4) * 4;
  }
  const staging = total > 0
    ? device.createBuffer({ size: total, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })
    : null;
  readback.forEach((r, i) => {
    const n = Math.ceil(r.bytes / 4) * 4;
    if (n > 0) encoder.copyBufferToBuffer(r.buffer, 0, staging!, offsets[i], n);
  });
  device.pushErrorScope("validation");
  device.queue.submit([encoder.finish()]);
  const err = await device.popErrorScope();
  if (err !== null) throw new Error(`lib/gpu/kernel.ts: submit: ${err.message}`);
  if (staging === null) {
    await device.queue.onSubmittedWorkDone();
    return readback.map(() => new ArrayBuffer(0));
  }
  await staging.mapAsync(GPUMapMode.READ);
  const mapped = staging.getMappedRange();
  const out = readback.map((r, i) => mapped.slice(offsets[i], offsets[i] + r.bytes));
  staging.unmap();
  staging.destroy();
  return out;
}

/**
 * Loop iterations one invocation may run. llvmpipe/lavapipe silently end every loop once an
 * invocation has run 65535 loop iterations in total (measured here; no error is raised), so work per
 * invocation is sized from worst-case iteration counts to stay below this, on every adapter.
 */
export const LOOP_BUDGET = 48000;
