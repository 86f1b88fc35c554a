// The compute-path switches: current paths by default, set only in code, restored by withComputePaths
// (also when its function throws), bad keys refused; no environment variable turns one on.
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import {
  computePaths,
  resetComputePaths,
  setComputePaths,
  withComputePaths,
} from "../../lib/model/compute_paths.ts";
import { fullLogitsPath } from "../../lib/model/decoder.ts";
import { legacyBlasPath } from "../../lib/model/blas/fused_kernels.ts";

Deno.test("compute paths: current by default; set, scoped and reset in code only", async () => {
  assertEquals({ ...computePaths() }, { blasLegacy: false, fullLogits: false, optimLegacy: false });
  Deno.env.set("CONVREC_FULL_LOGITS", "1"); // the old switch no longer reaches the step
  Deno.env.set("CONVREC_BLAS_LEGACY", "1");
  try {
    assertEquals([fullLogitsPath(), legacyBlasPath()], [false, false]);
  } finally {
    Deno.env.delete("CONVREC_FULL_LOGITS");
    Deno.env.delete("CONVREC_BLAS_LEGACY");
  }
  const seen = await withComputePaths(
    { fullLogits: true },
    () => [fullLogitsPath(), legacyBlasPath()],
  );
  assertEquals(seen, [true, false]);
  assertEquals(fullLogitsPath(), false, "restored");
  await assertRejects(
    withComputePaths({ blasLegacy: true }, () => {
      throw new Error("step failed");
    }),
    "step failed",
  );
  assertEquals(legacyBlasPath(), false, "restored after a throw");
  setComputePaths({ optimLegacy: true });
  assertEquals(computePaths().optimLegacy, true);
  resetComputePaths();
  assertEquals(computePaths().optimLegacy, false);
  assertThrows(() => setComputePaths({ fullLogit: true } as never), "fullLogit=true", "fullLogits");
  assertThrows(() => setComputePaths({ fullLogits: "1" } as never), "true or false");
});

Deno.test("lib reads no CONVREC_* variable but the launcher's own hand-off ones", async () => {
  const allowed = new Set(["CONVREC_DENO", "CONVREC_RUNTIME_DIR", "CONVREC_PARENT_PID"]);
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts")) {
        for (const m of (await Deno.readTextFile(path)).matchAll(/CONVREC_[A-Z_]+/g)) {
          if (!allowed.has(m[0])) found.push(`${path}: ${m[0]}`);
        }
      }
    }
  };
  for (const top of ["lib", "kernels"]) {
    await walk(new URL(`../../${top}`, import.meta.url).pathname);
  }
  assertEquals(found, []);
});
