// Public surface of lib/gpu: device acquisition, path choice, spec-bound WGSL kernels.
export * from "./device.ts";
export * from "./kernel.ts";
