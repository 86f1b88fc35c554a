// The shared --backend option: "auto" by default (cpu-blas when OpenBLAS loads, else wasm), its permissions.
import { assert, assertEquals } from "../_assert.ts";
import {
  CLI_BACKENDS,
  mayUseOpenBlas,
  resolveCliBackend,
  withBackendPermissions,
} from "../../lib/cli/backend_option.ts";
import { OPENBLAS_CANDIDATE_PATHS, openBlasAvailable } from "../../lib/model/blas/openblas.ts";

Deno.test("--backend: auto (the default) may load OpenBLAS and is granted what it needs; others are themselves", () => {
  assertEquals(CLI_BACKENDS[0], "auto");
  assert(
    mayUseOpenBlas({}) && mayUseOpenBlas({ backend: "auto" }) &&
      mayUseOpenBlas({ backend: "cpu-blas" }),
  );
  assert(!mayUseOpenBlas({ backend: "wasm" }) && !mayUseOpenBlas({ backend: "cpu" }));
  const base = { read: ["a"], write: ["w"] };
  assertEquals(withBackendPermissions({ backend: "wasm" }, base), base);
  const blas = withBackendPermissions({}, base);
  assertEquals(blas.ffi, [...OPENBLAS_CANDIDATE_PATHS]);
  assertEquals(blas.read, ["a", ...OPENBLAS_CANDIDATE_PATHS]);
  assertEquals(blas.env, ["OPENBLAS_NUM_THREADS"]);
  for (const name of ["wasm", "cpu", "cpu-blas", "webgpu"] as const) {
    assertEquals(resolveCliBackend(name), name);
  }
  // auto follows what this process may load: cpu-blas only with OpenBLAS found and FFI granted on it
  const expected = openBlasAvailable().ok ? "cpu-blas" : "wasm";
  assertEquals(resolveCliBackend(undefined), expected);
  assertEquals(resolveCliBackend("auto"), expected);
});
