// Headless execution through real Jupyter with the project Deno kernel: parameters, figures, no lost
// outputs (the kernel's publish-after-idle race), failing cells, and the HTML export in chromium.
import { resolve } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import {
  executeNotebook,
  headlessUnavailable,
  jupyterEnv,
  KERNEL_NAME,
  kernelspecDir,
  runnerPath,
} from "../../lib/notebook/mod.ts";
import { chromiumUnavailable, inspectHtml } from "../../lib/report/mod.ts";
import { pngSize } from "../report/_image.ts";

const noJupyter = await headlessUnavailable();
const noChromium = chromiumUnavailable();
if (noJupyter) {
  console.warn(`tests/notebook/execute_test.ts: skipping notebook execution: ${noJupyter}`);
}
const skipJ = noJupyter ? ` (skipped: ${noJupyter})` : "";

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[] };
  outputs?: Output[];
}
const text = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join("") : t ?? "");
const readCells = async (path: string) =>
  (JSON.parse(await Deno.readTextFile(path)) as { cells: Cell[] }).cells;
const quiet = () => {};

Deno.test("kernelspec: no absolute paths, NO_COLOR, found through JUPYTER_PATH", async () => {
  const spec = JSON.parse(await Deno.readTextFile(`${kernelspecDir()}/kernel.json`));
  assertEquals(spec.env, { NO_COLOR: "1" });
  assert(spec.argv.includes("{connection_file}"));
  // --quiet: no "deno jupyter is unstable" warning in every run's log (errors still print)
  assert(spec.argv.includes("--quiet"), spec.argv.join(" "));
  for (const arg of spec.argv as string[]) {
    assert(!arg.startsWith("/"), `absolute path in argv: ${arg}`);
  }
  if (noJupyter) return;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import json, jupyter_client.kernelspec as k; print(json.dumps(k.find_kernel_specs()))",
    ],
    env: jupyterEnv(""),
  }).output();
  assertEquals(JSON.parse(new TextDecoder().decode(out.stdout))[KERNEL_NAME], kernelspecDir());
});

Deno.test({
  name:
    `00_smoke: --set overrides take effect, figures carry plotly + HTML, export renders${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "convrec-nb-" });
    try {
      const r = await executeNotebook("notebooks/00_smoke.ipynb", {
        outDir: dir,
        params: { scale: 3, points: 4, title: "override" },
        timeoutS: 120,
        onLog: quiet,
      });
      console.log(
        `00_smoke: ${r.wall_s} s in the runner, ${r.outputs} outputs, ${r.late_outputs} late`,
      );
      const cells = await readCells(r.notebook);
      const injected = cells.find((c) => c.metadata.tags?.includes("injected-parameters"));
      assertEquals(
        text(injected?.source),
        '// Injected by lib/notebook/run_notebook.py (--set overrides).\nscale = 3;\npoints = 4;\ntitle = "override";',
      );
      // the parameters also where papermill-aware tools read them
      const meta = JSON.parse(await Deno.readTextFile(r.notebook)).metadata.papermill;
      assertEquals(meta.parameters, { scale: 3, points: 4, title: "override" });
      assertEquals([meta.input_path, meta.output_path], ["notebooks/00_smoke.ipynb", r.notebook]);
      assertEquals(meta.exception, false);
      assert(meta.duration > 0 && Date.parse(meta.end_time) >= Date.parse(meta.start_time), meta);
      const outputs = cells.flatMap((c) => c.outputs ?? []);
      assertEquals(outputs.filter((o) => o.output_type === "error"), []);
      const figures = outputs.filter((o) =>
        o.data?.["application/vnd.plotly.v1+json"] !== undefined
      );
      assertEquals(figures.length, 2, "table + line chart");
      for (const f of figures) {
        assert(String(f.data?.["text/html"]).includes("data-convrec-figure"));
      }
      const layout = (figures[1].data?.["application/vnd.plotly.v1+json"] as {
        layout: { title: { text: string } };
      })
        .layout;
      assertEquals(layout.title.text, "override");
      const stdout = outputs.filter((o) => o.output_type === "stream").map((o) => text(o.text))
        .join("");
      assert(stdout.includes("scale=3 points=4 sum=42\n"), stdout); // 3·(0+1+4+9)
      const plain = (o: Output) => text(o.data?.["text/plain"] as string | string[] | undefined);
      const progress = outputs.filter((o) => plain(o).startsWith("[override] step"));
      assertEquals(progress.length, 1, "one live progress display");
      assert(plain(progress[0]).startsWith("[override] step 4/4 value=27"), plain(progress[0]));

      if (noChromium) {
        console.warn(`00_smoke: HTML export check skipped: ${noChromium}`);
        return;
      }
      const page = await inspectHtml(r.html!, { screenshotPath: `${dir}/shot.png` });
      assertEquals(page.pageErrors, []);
      assertEquals(
        page.selectorCount >= 2,
        true,
        `.main-svg in exported HTML: ${page.selectorCount}`,
      );
      const shot = pngSize(await Deno.readFile(`${dir}/shot.png`));
      assert(
        shot.width > 0 && shot.height > 0 && page.screenshotBytes > 10_000,
        `screenshot ${page.screenshotBytes} B`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A notebook of `n` cells, each printing a line and returning a value (the output-race probe). */
function manyOutputs(n: number): string {
  const cell = (source: string, tags: string[] = []) => ({
    cell_type: "code",
    execution_count: null,
    metadata: { tags },
    outputs: [],
    source,
  });
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 4,
    metadata: { kernelspec: { name: KERNEL_NAME, display_name: "Deno", language: "typescript" } },
    cells: [
      cell("let base = 10;", ["parameters"]),
      ...Array.from({ length: n }, (_, i) => cell(`console.log("line ${i}");\n${i} * base`)),
    ],
  });
}

Deno.test({
  name: `runner: 30 cells × (stdout + result), 2 runs, no output lost${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "convrec-nb-" });
    try {
      await Deno.writeTextFile(`${dir}/many.ipynb`, manyOutputs(30));
      for (let run = 0; run < 2; run++) {
        const t0 = performance.now();
        const r = await executeNotebook(`${dir}/many.ipynb`, {
          outDir: `${dir}/out${run}`,
          params: { base: 7 },
          onLog: quiet,
        });
        console.log(
          `run ${run}: ${r.outputs} outputs (${r.late_outputs} arrived after idle), runner ${r.wall_s} s, ` +
            `total ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        const cells = (await readCells(r.notebook)).slice(2);
        cells.forEach((c, i) => {
          const kinds = (c.outputs ?? []).map((o) => o.output_type);
          assertEquals(kinds, ["stream", "execute_result"], `cell ${i + 2} outputs`);
          assertEquals(text(c.outputs![0].text), `line ${i}\n`);
          assertEquals(text(c.outputs![1].data?.["text/plain"] as string[]), String(i * 7));
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `runner: a failing cell names its index and error; bad --set keys are refused${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "convrec-nb-" });
    try {
      const nb = JSON.parse(manyOutputs(2));
      nb.cells.push({
        cell_type: "code",
        execution_count: null,
        metadata: {},
        outputs: [],
        source: "undefinedName + 1",
      });
      nb.cells[0].source = "let base = 10;\nconst fixed = 1;";
      await Deno.writeTextFile(`${dir}/fail.ipynb`, JSON.stringify(nb));
      let message = "";
      await executeNotebook(`${dir}/fail.ipynb`, { outDir: `${dir}/out`, onLog: quiet }).catch((
        e,
      ) => message = e.message);
      assert(message.includes("cell 3 failed: ReferenceError"), message);
      const cells = await readCells(`${dir}/out/fail.ipynb`);
      assertEquals(cells[3].outputs?.[0].output_type, "error");
      const failed =
        JSON.parse(await Deno.readTextFile(`${dir}/out/fail.ipynb`)).metadata.papermill;
      assertEquals([failed.exception, failed.parameters], [true, {}]);

      const stderr: string[] = [];
      await executeNotebook(`${dir}/fail.ipynb`, {
        outDir: `${dir}/out`,
        params: { bse: 1 },
        onLog: (l) => stderr.push(l),
      })
        .catch((e) => message = e.message);
      assert(
        stderr.join("\n").includes("--set bse: not declared; it declares base, fixed"),
        stderr.join("\n"),
      );
      await executeNotebook(`${dir}/fail.ipynb`, {
        outDir: `${dir}/out`,
        params: { fixed: 2 },
        onLog: (l) => stderr.push(l),
      })
        .catch((e) => message = e.message);
      assert(stderr.join("\n").includes("`fixed` is declared with const"), stderr.join("\n"));
      assert(resolve(runnerPath()).endsWith("lib/notebook/run_notebook.py"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("headlessUnavailable: a python without nbclient gives the apt packages to install", async () => {
  const why = await headlessUnavailable("/nonexistent/python3");
  assert(
    why?.includes(
      "apt-get install --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client",
    ),
    why,
  );
});
