// XDG_RUNTIME_DIR for WebGPU start-up: without one, libwayland (probed by wgpu on the first adapter
// request) prints "error: XDG_RUNTIME_DIR is invalid or not set"; acquireGpu gives the process a
// private 0700 folder first, removed at exit. Checked in child processes with the variable unset.
import { assert, assertEquals } from "../_assert.ts";
import { ensureRuntimeDir, runtimeDirProblem } from "../../lib/runtime/runtime_dir.ts";

const DEVICE = new URL("../../lib/gpu/device.ts", import.meta.url).href;
const RUNTIME = new URL("../../lib/runtime/runtime_dir.ts", import.meta.url).href;
const LINE = "XDG_RUNTIME_DIR is invalid or not set";

/** Runs `source` in a child Deno (-A) whose environment lacks XDG_RUNTIME_DIR. */
async function runWithoutRuntimeDir(source: string) {
  const dir = await Deno.makeTempDir({ prefix: "convrec-xdg-test-" });
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(script, source);
    const env = Deno.env.toObject();
    delete env.XDG_RUNTIME_DIR;
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", script],
      clearEnv: true,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: o.code, out: dec.decode(o.stdout).trim(), err: dec.decode(o.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runtimeDirProblem: unset, relative and absolute values", () => {
  assertEquals(runtimeDirProblem(undefined), "not set");
  assertEquals(runtimeDirProblem(""), "not set");
  assertEquals(runtimeDirProblem("run/user/0"), '"run/user/0" is not an absolute path');
  assertEquals(runtimeDirProblem("/run/user/1000"), undefined);
});

Deno.test("ensureRuntimeDir: keeps a valid value; else a 0700 folder, set, removed at exit", async () => {
  const r = await runWithoutRuntimeDir(`import { ensureRuntimeDir } from ${JSON.stringify(RUNTIME)};
const dir = ensureRuntimeDir();
const again = ensureRuntimeDir();
console.log(JSON.stringify({ dir, again, env: Deno.env.get("XDG_RUNTIME_DIR"),
  mode: Deno.statSync(dir!).mode! & 0o777 }));
`);
  assertEquals(r.code, 0, r.err);
  const { dir, again, env, mode } = JSON.parse(r.out);
  assert(dir.includes("convrec-runtime-"), dir);
  assertEquals([again, env, mode], [dir, dir, 0o700]);
  assertEquals(await Deno.stat(dir).then(() => true, () => false), false, "removed at exit");
  // a folder to create that already exists is never adopted
  const taken = await Deno.makeTempDir();
  const r2 = await runWithoutRuntimeDir(
    `import { ensureRuntimeDir } from ${JSON.stringify(RUNTIME)};
console.log(JSON.stringify(ensureRuntimeDir({ create: ${JSON.stringify(taken)} }) ?? null));
`,
  );
  assertEquals(r2.out, "null", r2.err);
  await Deno.remove(taken);
  if (Deno.env.get("XDG_RUNTIME_DIR") !== undefined) {
    assertEquals(ensureRuntimeDir(), Deno.env.get("XDG_RUNTIME_DIR"));
  }
});

const hasGpu = typeof (navigator as { gpu?: unknown }).gpu !== "undefined";

Deno.test({
  name: `acquireGpu without XDG_RUNTIME_DIR prints no libwayland error${
    hasGpu ? "" : " (skipped: no navigator.gpu)"
  }`,
  ignore: !hasGpu,
  async fn() {
    // the control: a bare adapter request shows the line (when libwayland is on this machine)
    const bare = await runWithoutRuntimeDir(
      `const a = await navigator.gpu.requestAdapter(); console.log(a === null ? "none" : "adapter");`,
    );
    if (bare.out === "none") {
      console.warn("runtime_dir_test: no WebGPU adapter here; acquireGpu not probed");
      return;
    }
    if (!bare.err.includes(LINE)) {
      console.warn("runtime_dir_test: this machine's WebGPU start prints no libwayland line");
    }
    const fixed = await runWithoutRuntimeDir(`import { acquireGpu } from ${JSON.stringify(DEVICE)};
const gpu = await acquireGpu(); console.log(gpu.info.description); gpu.dispose();`);
    assertEquals(fixed.code, 0, fixed.err);
    assert(!fixed.err.includes(LINE), fixed.err);
    console.log(`adapter ${fixed.out}; bare request printed the line: ${bare.err.includes(LINE)}`);
  },
});
