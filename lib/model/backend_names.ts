// The tfjs backend names this project selects between, in a module without imports, so config schemas
// and CLIs can validate a backend without loading tfjs (lib/model/backend.ts starts them).

/** Backend names, in the order usage texts list them. */
export const BACKEND_NAMES = ["wasm", "cpu", "cpu-blas", "webgpu"] as const;

/**
 * A tfjs backend name.
 * @example const b: BackendName = "cpu-blas";
 */
export type BackendName = (typeof BACKEND_NAMES)[number];
