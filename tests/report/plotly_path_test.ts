// plotlyJsPath under least privilege: a process that may read only the real plotly.min.js still finds it
// (the probes above it that it may not read count as absent), and readableExists treats them so.
import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import { plotlyJsPath, readableExists } from "../../lib/report/figure_html.ts";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const MODULE = new URL("../../lib/report/figure_html.ts", import.meta.url).href;
const ROOT = new URL("../..", import.meta.url).pathname;

/** Runs `source` (an ES module) in a child Deno that may read `read` only; its stdout, stderr, code. */
async function runLimited(source: string, read: string, cwd: string) {
  const script = join(cwd, "probe.ts");
  await Deno.writeTextFile(script, source);
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", `--config=${CONFIG}`, `--allow-read=${read}`, script],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout).trim(), err: dec.decode(o.stderr) };
}

Deno.test("plotlyJsPath: found with read permission on the real plotly.min.js only", async () => {
  const real = plotlyJsPath();
  assert(real.endsWith(join("node_modules", "plotly.js-dist-min", "plotly.min.js")), real);
  const dir = await Deno.makeTempDir({ prefix: "convrec-plotly-path-" });
  try {
    // lib/report/node_modules: the first probe, absent, and not readable there
    const probe = join(ROOT, "lib", "report", "node_modules");
    const source = `import { plotlyJsPath, readableExists } from ${JSON.stringify(MODULE)};
console.log(JSON.stringify({ path: plotlyJsPath(), probe: readableExists(${
      JSON.stringify(probe)
    }) }));
`;
    const r = await runLimited(source, real, dir);
    assertEquals(r.code, 0, r.err);
    assertEquals(JSON.parse(r.out), { path: real, probe: false });
    // the same process without that one permission: the error names the file searched for
    const none = await runLimited(
      `import { plotlyJsPath } from ${JSON.stringify(MODULE)};\nplotlyJsPath();\n`,
      dir,
      dir,
    );
    assert(none.code !== 0, none.out);
    assert(none.err.includes("plotly.min.js not found above"), none.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readableExists: true for a readable file, false for a missing one", () => {
  assertEquals(readableExists(plotlyJsPath()), true);
  assertEquals(readableExists("/no/such/convrec/file"), false);
});
