// Select a tfjs backend by name. For wasm in Deno, points tfjs at the .wasm files inside node_modules
// (tfjs takes Node code paths in Deno and reads them as plain file paths); single-threaded SIMD.
// "cpu-blas" is the cpu backend with OpenBLAS matmuls and fast elementwise kernels (lib/model/blas).
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { useBlasBackend } from "./blas/blas_backend.ts";

/** tfjs backends this project selects between. */
export type BackendName = "cpu" | "wasm" | "cpu-blas";

/**
 * Make `name` the active tfjs backend and return it; throws if it cannot start.
 *
 * @example
 * ```ts
 * await useBackend("wasm");
 * console.log(tf.getBackend()); // "wasm"
 * ```
 */
export async function useBackend(name: BackendName): Promise<BackendName> {
  if (name === "cpu-blas") return await useBlasBackend() as BackendName; // needs --allow-ffi
  if (name === "wasm") {
    const dist = new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
    setWasmPaths(decodeURIComponent(dist.pathname));
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend "${name}" failed to initialise`);
  await tf.ready();
  return name;
}
