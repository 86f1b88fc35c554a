// `convrec rl` through the launcher (least-privilege flags from rlPermissions): rank-grpo and grpo
// from the same SFT checkpoint, one smoke step each, into <cwd>/runs/NAME.
import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import { readStepRows } from "../../lib/train/run/metrics_log.ts";
import { rlPermissions } from "../../lib/cli/rl.ts";
import { OPENBLAS_CANDIDATE_PATHS } from "../../lib/model/blas/openblas.ts";
import { writeRlFixture } from "../train/rl_loop/fixture.ts";
import { launchCli } from "./_launch.ts";

Deno.test("rlPermissions: reads inputs, writes only runs/NAME, FFI only for auto and cpu-blas", () => {
  const p = rlPermissions({
    run: "x",
    init: "ck",
    data: "d.jsonl",
    catalog: "c.csv",
    backend: "wasm",
  });
  assertEquals(p.write, ["runs/x/config.json"]);
  assert(p.read.includes("ck") && p.read.includes("d.jsonl") && p.read.includes("c.csv"));
  assertEquals(p.ffi, undefined);
  const blas = rlPermissions({ run: "x", init: "ck", backend: "cpu-blas" });
  assertEquals(blas.ffi, [...OPENBLAS_CANDIDATE_PATHS]);
  assert(OPENBLAS_CANDIDATE_PATHS.every((p) => blas.read.includes(p)), "reads (finds) the library");
  assertEquals(blas.env, ["OPENBLAS_NUM_THREADS"]);
  assertEquals(
    rlPermissions({ run: "x", init: "ck" }).ffi,
    [...OPENBLAS_CANDIDATE_PATHS],
    "default auto",
  );
});

Deno.test("convrec rl --algo rank-grpo and --algo grpo run from the same checkpoint", async () => {
  const f = await writeRlFixture();
  try {
    for (const algo of ["rank-grpo", "grpo"]) {
      const out = await launchCli([
        "rl",
        "--algo",
        algo,
        "--init",
        f.init,
        "--data",
        f.data,
        "--catalog",
        f.catalog,
        "--run",
        `cli-${algo}`,
        "--preset",
        "smoke",
        "--steps",
        "1",
      ], { cwd: f.dir });
      const err = out.stderr;
      assert(out.code === 0, `convrec rl --algo ${algo} failed: ${err.slice(-800)}`);
      assert(err.includes(`[rl ${algo}] step 1/1`), `progress line: ${err.slice(-300)}`);
      const { rows } = await readStepRows(join(f.dir, "runs", `cli-${algo}`, "metrics.jsonl"));
      assertEquals(rows.length, 1);
    }
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
