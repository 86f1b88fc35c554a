// Re-running ONE edited cell of notebooks/04_rank_grpo.ipynb in a live kernel through real Jupyter
// (run_notebook.py --rerun-cell/--rerun-replace): the new run's curve is drawn next to the old ones.
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { executeNotebook, type ExecuteResult, rerunArgs } from "../../lib/notebook/jupyter.ts";
import { defaultRunName, nbRerun } from "../../lib/cli/nb.ts";
import { type Cell, jupyterSkip, type Output, text } from "./_executed.ts";

const RL = "notebooks/04_rank_grpo.ipynb";
const PLOTLY = "application/vnd.plotly.v1+json";
const { noJupyter, skipJ } = await jupyterSkip("tests/notebook/rerun_cell_test.ts");

interface PlotlyFigure {
  data: { name?: string; y?: (number | null)[] }[];
  layout: { title?: { text: string } };
}

const figuresOf = (c: Cell) =>
  (c.outputs ?? []).filter((o) => o.data?.[PLOTLY]).map((o) => o.data![PLOTLY] as PlotlyFigure);
const names = (f: PlotlyFigure) => f.data.map((t) => t.name);
const title = (f: PlotlyFigure) => f.layout.title?.text ?? "";

/** Index (in the input notebook) of the one code cell whose source contains `needle`. */
async function cellWith(path: string, needle: string): Promise<number> {
  const cells = (JSON.parse(await Deno.readTextFile(path)) as { cells: Cell[] }).cells;
  const hits = cells.flatMap((c, i) =>
    c.cell_type === "code" && text(c.source).includes(needle) ? [i] : []
  );
  assertEquals(hits.length, 1, `${path}: cells holding ${needle}`);
  return hits[0];
}

async function readCells(r: ExecuteResult): Promise<Cell[]> {
  return (JSON.parse(await Deno.readTextFile(r.notebook)) as { cells: Cell[] }).cells;
}

const errorsOf = (cells: Cell[]) =>
  cells.flatMap((c) => c.outputs ?? []).filter((o: Output) => o.output_type === "error");

Deno.test("rerunArgs: the runner's flags in order; an OLD holding => or empty is refused", () => {
  assertEquals(
    rerunArgs({ cell: 8, replace: [{ old: "a(x)", new: "a(y)" }, { old: "b", new: "(c) => c" }] }),
    ["--rerun-cell", "8", "--rerun-replace", "a(x)=>a(y)", "--rerun-replace", "b=>(c) => c"],
  );
  assertEquals(rerunArgs({ cell: 0 }), ["--rerun-cell", "0"]);
  assertThrows(() => rerunArgs({ cell: 1, replace: [{ old: "x => x", new: "" }] }), "=>");
  assertThrows(() => rerunArgs({ cell: 1, replace: [{ old: "", new: "y" }] }), "non-empty");
  assertThrows(() => rerunArgs({ cell: -1 }), "cell index");
});

Deno.test("convrec nb --rerun-cell/--rerun-replace: parsed at the first =>, hashed into the run name", () => {
  assertEquals(nbRerun({}), undefined);
  assertEquals(nbRerun({ "rerun-cell": 8 }), { cell: 8, replace: [] });
  assertEquals(nbRerun({ "rerun-cell": 8, "rerun-replace": 'run(a)=>f((x) => "b")' }), {
    cell: 8,
    replace: [{ old: "run(a)", new: 'f((x) => "b")' }],
  });
  assertThrows(() => nbRerun({ "rerun-replace": "a=>b" }), "needs --rerun-cell");
  assertThrows(() => nbRerun({ "rerun-cell": 1, "rerun-replace": "a->b" }), "OLD=>NEW");
  assertThrows(() => nbRerun({ "rerun-cell": 1, "rerun-replace": "=>b" }), "non-empty OLD");
  const plain = defaultRunName("04_rank_grpo", { seed: 2 });
  assertEquals(defaultRunName("04_rank_grpo", { seed: 2 }, undefined), plain);
  assert(
    defaultRunName("04_rank_grpo", { seed: 2 }, { cell: 8 }) !== plain,
    "re-run folder differs",
  );
});

Deno.test({
  name:
    `04_rank_grpo: re-running the one-argument cell with "gspo" draws it next to the earlier runs${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "convrec-rerun-" });
    try {
      const cellIndex = await cellWith(RL, "rl.run(algo)");
      const base = { preset: "smoke", cache_dir: `${dir}/cache` };
      const opts = { timeoutS: 120, html: false, onLog: () => {} };
      const t0 = performance.now();
      // The plain run first: its figures are what the other cells must still show after the re-run.
      const plain = await executeNotebook(RL, { ...opts, outDir: `${dir}/plain`, params: base });
      const t1 = performance.now();
      const again = await executeNotebook(RL, {
        ...opts,
        outDir: `${dir}/rerun`,
        params: base, // same cache: the first pass is served from it, "gspo" is trained in the re-run
        rerun: { cell: cellIndex, replace: [{ old: "rl.run(algo)", new: 'rl.run("gspo")' }] },
      });
      console.log(
        `plain ${((t1 - t0) / 1000).toFixed(1)} s, with re-run ${
          ((performance.now() - t1) / 1000).toFixed(1)
        } s (re-run cell ${again.rerun?.wall_s} s)`,
      );
      const [before, after] = [await readCells(plain), await readCells(again)];
      assertEquals(errorsOf(after), [], "error outputs after the re-run");
      assertEquals(after.length, before.length);

      const r = again.rerun!;
      assertEquals(r.input_cell, cellIndex);
      assertEquals(r.executed_cell, cellIndex + 1); // after the injected parameters cell
      const target = after[r.executed_cell!];
      assert(
        text(target.source).includes('rl.run("gspo")'),
        "the saved cell holds the edited source",
      );
      assert(!text(target.source).includes("rl.run(algo)"), "the edit replaced the argument");
      const counts = after.map((c) => (c as { execution_count?: number }).execution_count ?? 0);
      assertEquals(r.execution_count, Math.max(...counts), "the re-run is the latest execution");

      // The re-run cell: the new run's reward curves, and the drift chart holding all three runs.
      const [rank, drift] = figuresOf(target);
      assertEquals(figuresOf(target).length, 2);
      assertEquals(title(rank), "Per-rank training reward: gspo");
      assertEquals(names(drift), ["grpo", "rank-grpo (exp_inf)", "gspo"]);
      assert(
        drift.data[2].y!.length > 0 &&
          drift.data[2].y!.every((v) => v !== null && v >= 0 && v <= 1),
      );
      // The old lines are the first pass's (served from the same cache), the new one is added.
      const [, oldDrift] = figuresOf(before[r.executed_cell!]);
      assertEquals(names(oldDrift), ["grpo", "rank-grpo (exp_inf)"]);
      assertEquals(drift.data.slice(0, 2).map((t) => t.y), oldDrift.data.map((t) => t.y));

      // Every other cell shows what it showed before the re-run (figures and source).
      before.forEach((c, i) => {
        if (i === r.executed_cell) return;
        assertEquals(text(after[i].source), text(c.source), `cell ${i} source`);
        assertEquals(figuresOf(after[i]), figuresOf(c), `cell ${i} figures`);
      });
      const table = after.flatMap(figuresOf).find((f) => /final comparison/.test(title(f)))!;
      const methods =
        (table.data[0] as unknown as { cells: { values: string[][] } }).cells.values[0];
      assertEquals(methods, ["grpo", "rank-grpo (exp_inf)"], "the table cell was not re-run");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    `run_notebook.py --rerun-replace: an OLD missing from the cell fails before running${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "convrec-rerun-bad-" });
    try {
      const cellIndex = await cellWith(RL, "rl.run(algo)");
      const logs: string[] = [];
      await assertRejects(
        () =>
          executeNotebook(RL, {
            outDir: dir,
            html: false,
            onLog: (l) => logs.push(l),
            rerun: { cell: cellIndex, replace: [{ old: "rl.run(nope)", new: "x" }] },
          }),
        `${RL}: cell ${cellIndex}: --rerun-replace: 'rl.run(nope)' not found`,
      );
      assert(!logs.some((l) => l.includes("[1/")), `no cell ran: ${logs.join("\n")}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
