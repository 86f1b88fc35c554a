// The `--backend` option of the training and evaluation commands: "auto" (the default) takes cpu-blas
// when OpenBLAS loads and wasm otherwise, as the demo and notebooks do; the permissions a backend needs
// (tfjs' wasm binaries always; OpenBLAS through FFI for auto and cpu-blas). Not in the paper.

import { autoBackend } from "../model/backend.ts";
import { BACKEND_CHOICES, type BackendChoice, type BackendName } from "../model/backend_names.ts";
import { OPENBLAS_CANDIDATE_PATHS } from "../model/blas/openblas.ts";
import type { RawOptions } from "./args.ts";

/** Values of `--backend`: "auto" or a tfjs backend (model/backend_names.ts). */
export const CLI_BACKENDS = BACKEND_CHOICES;
/** One {@link CLI_BACKENDS} value. */
export type CliBackend = BackendChoice;

/** The `--backend` line of a usage text. */
export const BACKEND_USAGE = `--backend ${
  CLI_BACKENDS.join("|")
}  (default auto: cpu-blas when OpenBLAS loads, else wasm)`;

/**
 * Folder of tfjs-backend-wasm's dist (its .wasm binaries, read when the wasm backend starts).
 * @example
 * ```ts
 * if (!wasmDir().endsWith("/dist/")) throw new Error(wasmDir());
 * ```
 */
export function wasmDir(): string {
  return decodeURIComponent(
    new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm")).pathname,
  );
}

/**
 * Whether a raw `--backend` value may load OpenBLAS (undefined = the default "auto").
 * @example
 * ```ts
 * if (mayUseOpenBlas({ backend: "wasm" })) throw new Error("wasm never loads OpenBLAS");
 * if (!mayUseOpenBlas({})) throw new Error("the default auto may load it");
 * ```
 */
export function mayUseOpenBlas(raw: RawOptions): boolean {
  return raw.backend === undefined || raw.backend === "auto" || raw.backend === "cpu-blas";
}

/**
 * Adds what OpenBLAS needs (read and FFI on its candidate paths, env OPENBLAS_NUM_THREADS) to a
 * command's permissions when its `--backend` may load it.
 * @example
 * ```ts
 * const perms = { read: ["a"], write: [] };
 * if (withBackendPermissions({ backend: "wasm" }, perms) !== perms) throw new Error("unchanged");
 * const blas = withBackendPermissions({ backend: "cpu-blas" }, perms);
 * if (blas.env?.join() !== "OPENBLAS_NUM_THREADS" || !blas.ffi?.length) throw new Error("blas");
 * ```
 */
export function withBackendPermissions<P extends { read: string[]; write: string[] }>(
  raw: RawOptions,
  perms: P,
): P & { ffi?: string[]; env?: string[] } {
  if (!mayUseOpenBlas(raw)) return perms;
  const libs = [...OPENBLAS_CANDIDATE_PATHS];
  return { ...perms, read: [...perms.read, ...libs], ffi: libs, env: ["OPENBLAS_NUM_THREADS"] };
}

/**
 * The tfjs backend a `--backend` value names: "auto" → cpu-blas when OpenBLAS is found and FFI is
 * granted on it, else wasm; any other value is itself.
 * @example
 * ```ts
 * if (resolveCliBackend("wasm") !== "wasm") throw new Error("a named backend is itself");
 * ```
 */
export function resolveCliBackend(name: CliBackend | undefined): BackendName {
  return name === undefined || name === "auto" ? autoBackend() : name;
}
