// tfjs on Deno: no "install tfjs-node" banner after tfjsOnDeno, with the Node-derived choices kept (the
// node platform, single-threaded wasm). Child processes: the banner prints once per process.
import { assert, assertEquals } from "../_assert.ts";

const TFJS_ENV = new URL("../../lib/runtime/tfjs_env.ts", import.meta.url).href;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

async function run(fix: boolean, backend: "cpu" | "wasm") {
  const dir = await Deno.makeTempDir({ prefix: "convrec-tfjs-env-" });
  try {
    await Deno.writeTextFile(
      `${dir}/probe.ts`,
      `import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { tfjsOnDeno } from ${JSON.stringify(TFJS_ENV)};
${fix ? "await tfjsOnDeno(); await tfjsOnDeno();" : ""}
await tf.setBackend(${JSON.stringify(backend)});
const sum = tf.tensor([1, 2, 3]).sum().dataSync()[0];
console.log(JSON.stringify({ sum, backend: tf.getBackend(), platform: tf.env().platformName,
  threads: await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT") }));
`,
    );
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", `--config=${CONFIG}`, `${dir}/probe.ts`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    const out = dec.decode(o.stdout).trim().split("\n");
    return { code: o.code, all: out.join("\n") + dec.decode(o.stderr), result: out.at(-1)! };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tfjsOnDeno: the tfjs-node banner is gone, cpu and single-threaded wasm still work", async () => {
  const bare = await run(false, "cpu");
  assertEquals(bare.code, 0, bare.all);
  assert(bare.all.includes("tfjs-node"), "control: stock tfjs prints its banner under Deno");
  for (const backend of ["cpu", "wasm"] as const) {
    const r = await run(true, backend);
    assertEquals(r.code, 0, r.all);
    assert(!r.all.includes("tfjs-node"), r.all);
    assertEquals(JSON.parse(r.result), { sum: 6, backend, platform: "node", threads: false });
  }
});
