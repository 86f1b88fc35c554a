// notebooks/01_catalog_and_data.ipynb headless through real Jupyter with the smoke preset: no errors,
// the expected figures (plotly MIME + HTML), --set takes effect, same seed → identical outputs; and the
// notebook's code cells type-check as one module (tests/notebook/check_notebooks.ts).
import { assert, assertEquals } from "../_assert.ts";
import { executeNotebook } from "../../lib/notebook/mod.ts";
import { type Cell, jupyterSkip, text } from "./_executed.ts";
import { checkNotebooks, notebookToModule } from "./check_notebooks.ts";

const NOTEBOOK = "notebooks/01_catalog_and_data.ipynb";
const { noJupyter, skipJ } = await jupyterSkip("tests/notebook/notebook01_test.ts");

const quiet = () => {};

/** The figure titles a smoke run must show, in order (the per-seed counts are checked apart). */
const FIGURE_TITLES = [
  /^First catalog rows$/,
  /^Catalog by genre \(\d+ movies\)$/,
  /^Catalog by release decade$/,
  /^Catalog by popularity \(IMDB votes\)$/,
  /^First val records$/,
  /^Ground-truth movies per reply \(\d+ replies\)$/,
  /^Replies per conversation \(\d+ conversations\)$/,
  /^Records per month, by split \(time-ordered\)$/,
  /^Reference points on val$/,
  /^Reference points on val \(\d+ records\)$/,
  /^Line by line: val-c\d+-r\d+$/,
];

async function run(params: Record<string, unknown>) {
  const dir = await Deno.makeTempDir({ prefix: "convrec-nb01-" });
  const r = await executeNotebook(NOTEBOOK, {
    outDir: dir,
    params,
    timeoutS: 120,
    html: false, // the HTML export is covered by tests/cli/nb_cli_test.ts
    onLog: quiet,
  });
  const cells = (JSON.parse(await Deno.readTextFile(r.notebook)) as { cells: Cell[] }).cells;
  await Deno.remove(dir, { recursive: true });
  const outputs = cells.flatMap((c) => c.outputs ?? []);
  const stdout = outputs.filter((o) => o.output_type === "stream").map((o) => text(o.text)).join(
    "",
  );
  return { r, cells, outputs, stdout };
}

Deno.test({
  name:
    `01_catalog_and_data: smoke preset runs clean, figures present, --set seed changes the world${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const t0 = performance.now();
    const [a, b, c] = await Promise.all([
      run({ preset: "smoke" }),
      run({ preset: "smoke" }),
      run({ preset: "smoke", seed: 7 }),
    ]);
    console.log(
      `3 runs in parallel: ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
        `(runner ${a.r.wall_s}/${b.r.wall_s}/${c.r.wall_s} s)`,
    );
    for (const run of [a, b, c]) {
      assertEquals(run.outputs.filter((o) => o.output_type === "error"), []);
      const figures = run.outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
      const titles = figures.map((f) =>
        (f.data!["application/vnd.plotly.v1+json"] as { layout: { title?: { text: string } } })
          .layout.title?.text ?? ""
      );
      assertEquals(titles.length, FIGURE_TITLES.length, titles.join(" | "));
      titles.forEach((t, i) => assert(FIGURE_TITLES[i].test(t), `figure ${i}: "${t}"`));
      for (const f of figures) {
        assert(text(f.data!["text/html"]).includes("data-convrec-figure"), "HTML rendering");
      }
      for (const why of ["hit", "seen title", "format violation", "not in catalog", "repeat"]) {
        assert(run.stdout.includes(why), `messy-list table lacks "${why}"`);
      }
      assert(/oracle\s+0\.\d{4}/.test(run.stdout), "reference table printed");
    }
    const line = (s: string) => /world seed=(\d+): .*fingerprint ([0-9a-f]{8})/.exec(s);
    const [la, lc] = [line(a.stdout), line(c.stdout)];
    assertEquals(la?.[1], "20240601");
    assertEquals(lc?.[1], "7");
    assert(la![2] !== lc![2], `fingerprints equal: ${la![2]}`);
    // Same seed twice: every output identical (figures, tables, printed text).
    assertEquals(b.cells.map((c) => c.outputs ?? []), a.cells.map((c) => c.outputs ?? []));
    assert(a.stdout !== c.stdout);
  },
});

Deno.test("01_catalog_and_data: code cells type-check as one module; errors name the cell", async () => {
  const nb = JSON.parse(await Deno.readTextFile(NOTEBOOK));
  const mod = notebookToModule(JSON.stringify(nb), { notebookDir: "notebooks" });
  assert(mod.source.includes(new URL("../../lib/mod.ts", import.meta.url).href));
  assert(mod.source.endsWith("export {};\n"));
  const worldCell = nb.cells.findIndex((c: Cell) => text(c.source).includes("generateWorld("));
  const lines = text(nb.cells[worldCell].source).split("\n").length;
  nb.cells[worldCell].source = text(nb.cells[worldCell].source) +
    "\nconst typo: number = world.catalog.length.toFixed(2);";
  // The copy sits beside the original (its relative imports resolve against its folder); every
  // other cell is unchanged, so exactly one error means the notebook itself type-checks.
  const broken = `notebooks/.zz_check_${crypto.randomUUID().slice(0, 8)}.ipynb`;
  await Deno.writeTextFile(broken, JSON.stringify(nb));
  try {
    const r = await checkNotebooks([broken]);
    assert(!r.ok);
    assertEquals(r.output.match(/TS\d+ \[ERROR\]/g), ["TS2322 [ERROR]"], r.output);
    assert(r.output.includes(`${broken} cell ${worldCell} line ${lines + 1}:7`), r.output);
  } finally {
    await Deno.remove(broken);
  }
});
