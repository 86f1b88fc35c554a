// notebooks/05_ablations.ipynb and 06_figures.ipynb headless through real Jupyter with the smoke preset, in
// parallel: no errors, the expected figures (plotly MIME + HTML), exported SVG/PNG/HTML valid, --set works.
import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import { executeNotebook } from "../../lib/notebook/mod.ts";
import { chromiumUnavailable } from "../../lib/report/mod.ts";
import { pngSize, svgSize } from "../report/_image.ts";
import { jupyterSkip, type Output, text } from "./_executed.ts";
import { checkNotebooks } from "./check_notebooks.ts";

const ABL = "notebooks/05_ablations.ipynb";
const FIG = "notebooks/06_figures.ipynb";
const { noJupyter, skipJ } = await jupyterSkip("tests/notebook/notebook05_06_test.ts");
const noChromium = chromiumUnavailable();
if (noChromium) {
  console.warn(`tests/notebook/notebook05_06_test.ts: SVG/PNG not checked: ${noChromium}`);
}

interface PlotlyFigure {
  data: { name?: string; x?: unknown[]; y?: unknown[]; cells?: { values: string[][] } }[];
  layout: { title?: { text: string } };
}

/** Executes a notebook with the smoke preset; its figures, printed text and export folder. */
async function run(notebook: string, params: Record<string, unknown>, dir: string, cache: string) {
  const figuresDir = join(dir, "figures");
  const r = await executeNotebook(notebook, {
    outDir: dir,
    params: { preset: "smoke", cache_dir: cache, figures_dir: figuresDir, ...params },
    timeoutS: 120,
    html: false,
    onLog: () => {},
  });
  const cells = (JSON.parse(await Deno.readTextFile(r.notebook)) as {
    cells: { outputs?: Output[] }[];
  }).cells;
  const outputs = cells.flatMap((c) => c.outputs ?? []);
  assertEquals(outputs.filter((o) => o.output_type === "error"), [], notebook);
  const figureOutputs = outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
  for (const f of figureOutputs) {
    assert(text(f.data!["text/html"]).includes("data-convrec-figure"), "HTML rendering");
  }
  const figures = figureOutputs.map((f) =>
    f.data!["application/vnd.plotly.v1+json"] as PlotlyFigure
  );
  const stdout = outputs.filter((o) => o.output_type === "stream").map((o) => text(o.text))
    .join("");
  return { r, figures, stdout, figuresDir, titles: figures.map((f) => f.layout.title?.text ?? "") };
}
type Run = Awaited<ReturnType<typeof run>>;

function checkTitles(nb: Run, expected: RegExp[]) {
  assertEquals(nb.titles.length, expected.length, nb.titles.join(" | "));
  nb.titles.forEach((t, i) => assert(expected[i].test(t), `figure ${i}: "${t}"`));
}

/** Every exported figure as SVG (root with size), PNG (IHDR 800×500) and HTML. */
async function checkExports(nb: Run, names: string[]) {
  for (const name of names) {
    const html = await Deno.readTextFile(join(nb.figuresDir, `${name}.html`));
    assert(html.includes("Plotly"), `${name}.html holds a plotly figure`);
    if (noChromium) continue;
    const svg = svgSize(await Deno.readTextFile(join(nb.figuresDir, `${name}.svg`)));
    assertEquals(svg, { width: 800, height: 500 }, `${name}.svg`);
    const png = pngSize(await Deno.readFile(join(nb.figuresDir, `${name}.png`)));
    assertEquals(png, { width: 800, height: 500 }, `${name}.png`);
  }
}

const KNOBS = ["reward", "level", "eps", "mu", "beta", "loss_norm"];
const VARIANTS = [
  ["exp_inf", "log", "exp:2"],
  ["level token", "level sequence", "level rank"],
  ["ε 0.06/0.08", "ε 0.2/0.26"],
  ["μ 1", "μ 2"],
  ["β 0", "β 0.001", "β 0.04"],
  ["norm token", "norm rank"],
];

function checkAblations(nb: Run, steps: number) {
  checkTitles(nb, [
    ...KNOBS.map((k) =>
      new RegExp(`^Ablation ${k}: final-step rollout reward \\(step ${steps}\\)$`)
    ),
    /^RL ablations: summary \(smoke\)$/,
  ]);
  nb.figures.slice(0, KNOBS.length).forEach((f, i) => {
    assertEquals(f.data.map((t) => t.name), ["DCG@N", "rank 1", "rank 5", "rank 20"]);
    for (const t of f.data) assertEquals(t.x, VARIANTS[i]);
  });
  const cols = nb.figures[KNOBS.length].data[0].cells!.values;
  assertEquals(cols[0], KNOBS.flatMap((k, i) => VARIANTS[i].map(() => k))); // ablation column
  assertEquals(cols[1], VARIANTS.flat()); // variant column
  assertEquals(new Set(cols[2]), new Set(["rank-grpo"])); // every variant, levels included, is Rank-GRPO
  assertEquals(new Set(cols[3]), new Set([String(steps)])); // steps column
  assert(
    /every ablation starts from .*checkpoints\/step-\d+ \(SFT on distilled demonstrations\)/.test(
      nb.stdout,
    ),
  );
}

const METHODS = ["GRPO", "GSPO", "Rank-GRPO (log)", "Rank-GRPO (exp∞)"];
const METHOD_IDS = ["grpo", "gspo", "rank-grpo-log", "rank-grpo-exp_inf"];

function checkFigures(nb: Run, steps: number) {
  checkTitles(nb, [
    /^Distillation: teacher vs full vs ablations \(val\)$/,
    /.+/, // distillMetricBars' own title
    /^RL methods, mean ± std over seeds \(SMOKE runs, no reproduction found/,
    /^RL methods: mean ± std over seeds \(SMOKE\)$/,
    ...METHODS.map((m) =>
      new RegExp(
        `^${m.replace(/[()]/g, "\\$&")}: per-rank training reward \\(mean over 2 seeds\\)$`,
      )
    ),
    /^In-catalog drift during RL \(mean over seeds\)$/,
  ]);
  const distillCols = nb.figures[0].data[0].cells!.values;
  assert(distillCols[0][0].startsWith("teacher"), `distill rows: ${distillCols[0]}`);
  const rlCols = nb.figures[2].data[0].cells!.values;
  assertEquals(rlCols[0], METHODS);
  assertEquals(rlCols[1], METHODS.map(() => "0,1"));
  assert(rlCols[2].every((c) => / ± /.test(c)), `mean ± std cells: ${rlCols[2]}`);
  const bars = nb.figures[3].data as unknown as { name: string; error_y: { array: number[] } }[];
  assertEquals(bars.map((b) => b.name), METHODS);
  assert(bars.every((b) => b.error_y.array.every((e) => Number.isFinite(e) && e >= 0)));
  const drift = nb.figures.at(-1)!;
  assertEquals(drift.data.map((t) => t.name), METHODS);
  for (const t of drift.data) assertEquals(t.y!.length, steps);
  assert(nb.stdout.includes("RL results from: SMOKE runs"), "smoke label printed");
}

/** Every cached RL run took its prompts from the inputs' rl.jsonl (every train-split record). */
async function checkRlPrompts(cache: string, runs: number) {
  const datas: string[] = [];
  for await (const e of Deno.readDir(cache)) {
    if (!e.isDirectory || !e.name.startsWith("rl-")) continue;
    const config = JSON.parse(await Deno.readTextFile(join(cache, e.name, "config.json")));
    datas.push(config.data);
  }
  assertEquals(datas.length, runs, `RL run folders in ${cache}`);
  for (const d of datas) assert(/inputs-[0-9a-f]+\/rl\.jsonl$/.test(d), `RL data ${d}`);
}

Deno.test({
  name: `05_ablations + 06_figures: smoke presets run clean, figures exported, --set works${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const dirs = await Promise.all(
      [0, 1, 2].map(() => Deno.makeTempDir({ prefix: "convrec-nb0506-" })),
    );
    try {
      const t0 = performance.now();
      const noRepro = join(dirs[1], "no-repro");
      const [abl, fig] = await Promise.all([
        run(ABL, {}, dirs[0], join(dirs[0], "cache")),
        run(FIG, { repro_dir: noRepro }, dirs[1], join(dirs[1], "cache")),
      ]);
      const t1 = performance.now();
      // a parameter change, sharing 05's cache (the SFT init is served from it)
      const ablShort = await run(ABL, { steps: 2 }, dirs[2], join(dirs[0], "cache"));
      console.log(
        `05+06 in parallel ${
          ((t1 - t0) / 1000).toFixed(1)
        } s (runner ${abl.r.wall_s}/${fig.r.wall_s} s); ` +
          `05 with steps=2 ${((performance.now() - t1) / 1000).toFixed(1)} s`,
      );
      checkAblations(abl, 4); // the smoke preset: 4 RL steps
      checkAblations(ablShort, 2); // --set steps=2
      checkFigures(fig, 4);
      // 05 at 4 and at 2 steps: 15 variants, 10 distinct configs (every sweep's baseline is one run)
      await checkRlPrompts(join(dirs[0], "cache"), 2 * 10);
      await checkRlPrompts(join(dirs[1], "cache"), 4 * 2); // 06: 4 methods × 2 seeds
      await checkExports(abl, [...KNOBS.map((k) => `ablation_${k}`), "ablation_summary"]);
      await checkExports(fig, [
        "distill_table",
        "distill_bars",
        "rl_table",
        "rl_bars",
        ...METHOD_IDS.map((m) => `rl_rank_reward_${m}`),
        "rl_in_catalog_drift",
      ]);
    } finally {
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});

Deno.test("05_ablations + 06_figures: code cells type-check as one module", async () => {
  const r = await checkNotebooks([ABL, FIG]);
  assert(r.ok, r.output);
});
