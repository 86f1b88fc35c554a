// notebooks/03_sft.ipynb and 04_rank_grpo.ipynb headless through real Jupyter with the smoke preset, in
// parallel: no errors, the expected figures (plotly MIME + HTML), --set takes effect; cells type-check.
import { assert, assertEquals } from "../_assert.ts";
import { executeNotebook } from "../../lib/notebook/mod.ts";
import { jupyterSkip, type Output, text } from "./_executed.ts";
import { checkNotebooks } from "./check_notebooks.ts";

const SFT = "notebooks/03_sft.ipynb";
const RL = "notebooks/04_rank_grpo.ipynb";
const { noJupyter, skipJ } = await jupyterSkip("tests/notebook/notebook03_04_test.ts");

interface PlotlyFigure {
  data: { name?: string; x?: number[]; y?: (number | null)[]; type?: string }[];
  layout: { title?: { text: string } };
}

/** Executes a notebook with the smoke preset and a cache in `dir`; its figures and printed text. */
async function run(notebook: string, params: Record<string, unknown>, dir: string) {
  const r = await executeNotebook(notebook, {
    outDir: dir,
    params: { preset: "smoke", cache_dir: `${dir}/cache`, ...params },
    timeoutS: 120,
    html: false, // the HTML export is covered by tests/cli/nb_cli_test.ts
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
  const stdout = outputs.filter((o) => o.output_type === "stream").map((o) => text(o.text)).join(
    "",
  );
  return { r, figures, stdout, titles: figures.map((f) => f.layout.title?.text ?? "") };
}

type Run = Awaited<ReturnType<typeof run>>;

function checkTitles(nb: Run, expected: RegExp[]) {
  assertEquals(nb.titles.length, expected.length, nb.titles.join(" | "));
  nb.titles.forEach((t, i) => assert(expected[i].test(t), `figure ${i}: "${t}"`));
}

const names = (f: PlotlyFigure) => f.data.map((t) => t.name);
const RANKS = ["rank 1", "rank 2", "rank 5", "rank 10", "rank 15", "rank 20"];

function checkSft(nb: Run, steps: number, evalSteps: number[]) {
  const e = evalSteps.length;
  checkTitles(nb, [
    new RegExp(`^SFT loss \\(${steps} steps, ${e} evals?\\)$`),
    /^SFT eval on val \(distilled demonstrations\)$/,
    /^SFT eval metrics \(\d+ val conversations\)$/,
  ]);
  const [loss, , metrics] = nb.figures;
  assertEquals(names(loss), ["train loss", "eval loss"]);
  assertEquals(loss.data[0].x, Array.from({ length: steps }, (_, i) => i + 1));
  assertEquals(loss.data[1].x, evalSteps);
  assert(loss.data[0].y!.every((v) => typeof v === "number" && v > 0), "finite train loss");
  assertEquals(names(metrics), [
    "Recall@5",
    "Recall@10",
    "Recall@20",
    "NDCG@5",
    "NDCG@10",
    "NDCG@20",
    "in-catalog share",
  ]);
  assert(/^distilled demonstrations: \d+ train, \d+ val rows → /m.test(nb.stdout), "source label");
  assert(/^checkpoint: .*\/sft-[0-9a-f]{16}\/checkpoints\/step-\d+$/m.test(nb.stdout));
}

function checkRl(nb: Run, labels: string[], steps: number) {
  checkTitles(nb, [
    new RegExp(`^Per-rank training reward: ${labels[0]}$`),
    new RegExp(`^Per-rank training reward: ${labels[1].replace(/[()]/g, "\\$&")}$`),
    /^In-catalog drift during RL \(.+\)$/,
    /^GRPO vs Rank-GRPO: final comparison$/,
  ]);
  const [rank0, rank1, drift, tableFig] = nb.figures;
  for (const f of [rank0, rank1]) {
    assertEquals(names(f), RANKS);
    for (const t of f.data) assertEquals(t.x, Array.from({ length: steps }, (_, i) => i + 1));
  }
  assertEquals(names(drift), labels);
  for (const t of drift.data) {
    assertEquals(t.y!.length, steps);
    assert(t.y!.every((v) => v !== null && v >= 0 && v <= 1), "in-catalog share in [0, 1]");
  }
  const cells = (tableFig.data[0] as unknown as { cells: { values: string[][] } }).cells.values;
  assertEquals(cells[0], labels); // method column
  assertEquals(cells[1], labels.map(() => String(steps))); // steps column
  assert(
    /RL starts from .*checkpoints\/step-\d+ \(SFT on distilled demonstrations\)/.test(nb.stdout),
  );
  assert(/^RL prompts: \d+ train records .*rl\.jsonl/m.test(nb.stdout), "RL prompts from rl.jsonl");
}

Deno.test({
  name:
    `03_sft + 04_rank_grpo: smoke presets run clean, figures present, --set takes effect${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const dirs = await Promise.all(
      [0, 1, 2, 3].map(() => Deno.makeTempDir({ prefix: "convrec-nb0304-" })),
    );
    try {
      const t0 = performance.now();
      const [sftA, sftB, rlA, rlB] = await Promise.all([
        run(SFT, {}, dirs[0]),
        run(SFT, { max_steps: 4, eval_every: 2 }, dirs[1]),
        run(RL, {}, dirs[2]),
        run(RL, { algo: "gspo", steps: 2 }, dirs[3]),
      ]);
      console.log(
        `4 runs in parallel ${((performance.now() - t0) / 1000).toFixed(1)} s (runner ${
          [sftA, sftB, rlA, rlB].map((n) => n.r.wall_s).join("/")
        } s)`,
      );
      checkSft(sftA, 6, [6]); // the smoke preset: 6 steps, one eval after the last
      checkSft(sftB, 4, [2, 4]); // --set max_steps=4 eval_every=2
      checkRl(rlA, ["grpo", "rank-grpo (exp_inf)"], 4); // the smoke preset: 4 RL steps
      checkRl(rlB, ["grpo", "gspo"], 2); // --set algo="gspo" steps=2
    } finally {
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});

Deno.test("03_sft + 04_rank_grpo: code cells type-check as one module", async () => {
  const r = await checkNotebooks([SFT, RL]);
  assert(r.ok, r.output);
});
