// notebooks/02_distill.ipynb headless through real Jupyter with the smoke preset: no errors, the expected
// figures (plotly MIME + HTML), --set takes effect (gamma = 0 makes full ≡ −reflect; the built variant
// moves), a second run with the same config is served from the cache; and the code cells type-check.
import { assert, assertEquals } from "../_assert.ts";
import { executeNotebook } from "../../lib/notebook/mod.ts";
import { type Cell, jupyterSkip, text } from "./_executed.ts";
import { checkNotebooks } from "./check_notebooks.ts";

const NOTEBOOK = "notebooks/02_distill.ipynb";
const { noJupyter, skipJ } = await jupyterSkip("tests/notebook/notebook02_test.ts");

/** The figure titles every smoke run shows, in order. */
const FIGURE_TITLES = [
  /^Outcomes of 3 raw teacher drafts$/,
  /^Teacher draft, line by line: val-c\d+-r\d+$/,
  /^Teacher vs full vs ablations \(val\)$/,
  /^Distillation ablations on val \(\d+ records\)$/,
  /^Adjust loss \((NOT )?converged (in|after) \d+ iterations, max\|∇\| [\d.e+-]+\)$/,
  /^Time per stage \([\d.]+ s in all\)$/,
  /^Before: top 10 by s_remap \(val-c\d+-r\d+\)$/,
  /^After: top 10 by s_final \(val-c\d+-r\d+\)$/,
  /^Before vs after: .+ \(val\)$/,
];

async function run(params: Record<string, unknown>, dir: string) {
  const r = await executeNotebook(NOTEBOOK, {
    outDir: dir,
    params: { preset: "smoke", cache_dir: `${dir}/cache`, ...params },
    timeoutS: 120,
    html: false, // the HTML export is covered by tests/cli/nb_cli_test.ts
    onLog: () => {},
  });
  const cells = (JSON.parse(await Deno.readTextFile(r.notebook)) as { cells: Cell[] }).cells;
  const outputs = cells.flatMap((c) => c.outputs ?? []);
  const stdout = outputs.filter((o) => o.output_type === "stream").map((o) => text(o.text)).join(
    "",
  );
  return { r, outputs, stdout };
}

/** The printed metric row of a method (label prefix) as numbers, and its "built" marker. */
function metricRow(stdout: string, label: string): { values: number[]; built: boolean } {
  const line = stdout.split("\n").find((l) => l.startsWith(label) && !l.includes("before"));
  assert(line !== undefined, `no printed row for ${label}`);
  const values = line.slice(label.length).trim().split(/\s+/).filter((t) => t !== "◀").map(Number);
  assertEquals(values.length, 9, line); // 6 metrics, in-catalog, violations, records
  assert(values.every(Number.isFinite), line);
  return { values, built: line.trimEnd().endsWith("◀") };
}

type Run = Awaited<ReturnType<typeof run>>;

function checkRun(nb: Run) {
  assertEquals(nb.outputs.filter((o) => o.output_type === "error"), []);
  const figures = nb.outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
  const titles = figures.map((f) =>
    (f.data!["application/vnd.plotly.v1+json"] as { layout: { title?: { text: string } } })
      .layout.title?.text ?? ""
  );
  assertEquals(titles.length, FIGURE_TITLES.length, titles.join(" | "));
  titles.forEach((t, i) => assert(FIGURE_TITLES[i].test(t), `figure ${i}: "${t}"`));
  for (const f of figures) {
    assert(text(f.data!["text/html"]).includes("data-convrec-figure"), "HTML rendering");
  }
  assert(/Remap top-k: (cpu|gpu) /.test(nb.stdout), "top-k path line");
  assert(/Adjust converged: (true|false) after \d+ iterations/.test(nb.stdout));
  const teacher = metricRow(nb.stdout, "teacher zero-shot (raw)");
  const full = metricRow(nb.stdout, "full (Remap → Reflect → Adjust)");
  assert(teacher.values[6] < 1, "raw teacher lists are fully in-catalog");
  assertEquals(full.values.slice(6, 8), [1, 0]); // demonstrations: in catalog, no violations
}

Deno.test({
  name:
    `02_distill: smoke preset runs clean, figures present, --set takes effect, cache serves a re-run${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const [dirA, dirB] = await Promise.all([
      Deno.makeTempDir({ prefix: "convrec-nb02-" }),
      Deno.makeTempDir({ prefix: "convrec-nb02-" }),
    ]);
    try {
      const t0 = performance.now();
      const [a, b] = await Promise.all([
        run({}, dirA),
        run({ gamma: 0, variant: "no-reflect" }, dirB),
      ]);
      const t1 = performance.now();
      const again = await run({}, dirA); // same config and cache folder as `a`
      console.log(
        `2 runs in parallel ${
          ((t1 - t0) / 1000).toFixed(1)
        } s (runner ${a.r.wall_s}/${b.r.wall_s} s), ` +
          `cached re-run ${
            ((performance.now() - t1) / 1000).toFixed(1)
          } s (runner ${again.r.wall_s} s)`,
      );
      for (const r of [a, b, again]) checkRun(r);

      // Defaults: full is built; Reflect changes the lists, so full and −reflect differ.
      const fullA = metricRow(a.stdout, "full (Remap → Reflect → Adjust)");
      const noReflectA = metricRow(a.stdout, "−reflect (Remap → Adjust)");
      assert(fullA.built && !noReflectA.built);
      assert(fullA.values.join() !== noReflectA.values.join(), "γ = 0.5: full ≡ −reflect");
      assert(a.stdout.includes("after (gamma: 0.5 → 1)"), "re-run cell compares γ 0.5 → 1");
      assertEquals(a.stdout.match(/^computed in /gm)?.length, 3); // distill, trace, re-run

      // gamma = 0: s_reflect = s_remap, so full and −reflect build the same lists; the built variant
      // moved; the re-run cell's config (γ = 2·0) equals the first, so it is served from the cache.
      const fullB = metricRow(b.stdout, "full (Remap → Reflect → Adjust)");
      const noReflectB = metricRow(b.stdout, "−reflect (Remap → Adjust)");
      assertEquals(fullB.values, noReflectB.values);
      assert(noReflectB.built && !fullB.built);
      assert(b.stdout.includes("after (same config)"), "re-run cell label");
      assertEquals(b.stdout.match(/^computed in /gm)?.length, 2);
      assertEquals(b.stdout.match(/^cache hit: /gm)?.length, 1);
      assertEquals(
        metricRow(a.stdout, "teacher zero-shot (raw)").values,
        metricRow(b.stdout, "teacher zero-shot (raw)").values,
        "γ changed the raw teacher's lists",
      );

      // The same config again: everything from the cache, identical tables.
      assertEquals(again.stdout.match(/^computed in /gm), null);
      assertEquals(again.stdout.match(/^cache hit: /gm)?.length, 3);
      const table = (s: string) => s.slice(s.indexOf("method  "), s.indexOf("stage  "));
      assertEquals(table(again.stdout), table(a.stdout));
    } finally {
      await Deno.remove(dirA, { recursive: true });
      await Deno.remove(dirB, { recursive: true });
    }
  },
});

Deno.test("02_distill: code cells type-check as one module", async () => {
  const r = await checkNotebooks([NOTEBOOK]);
  assert(r.ok, r.output);
});
