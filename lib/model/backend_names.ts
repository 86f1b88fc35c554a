// The tfjs backend names this project selects between, in a module without imports, so config schemas
// and CLIs can validate a backend without loading tfjs (lib/model/backend.ts starts them).

/** Backend names, in the order usage texts list them. */
export const BACKEND_NAMES = ["wasm", "cpu", "cpu-blas", "webgpu"] as const;

/**
 * A tfjs backend name.
 * @example const b: BackendName = "cpu-blas";
 */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The name the OpenBLAS-backed tfjs backend registers under (lib/model/blas/blas_backend.ts). */
export const BLAS_BACKEND_NAME = "cpu-blas" satisfies BackendName;

/**
 * What a `--backend` option or notebook knob accepts: "auto" (cpu-blas when OpenBLAS loads, else
 * wasm: {@link autoBackend} in backend.ts) or a backend name.
 */
export const BACKEND_CHOICES = ["auto", "cpu-blas", "wasm", "cpu", "webgpu"] as const;
/** One {@link BACKEND_CHOICES} value. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
// every backend name is a choice (compile-time check)
const _covers: readonly BackendChoice[] = BACKEND_NAMES;
