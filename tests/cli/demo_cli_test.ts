// The README's first command with the smoke preset, end to end through the least-privilege launcher:
// world → distill → SFT → GRPO / Rank-GRPO → test eval → table, files and figures (lib and Jupyter paths).
import { assert, assertEquals } from "../_assert.ts";
import { chromiumUnavailable } from "../../lib/report/chromium.ts";
import { jupyterSkip } from "../notebook/_executed.ts";
import { pngSize, svgSize } from "../report/_image.ts";
import { launchCli } from "./_launch.ts";

const { noJupyter, skipJ } = await jupyterSkip("tests/cli/demo_cli_test.ts");
const noChromium = chromiumUnavailable();

const METHODS = [
  "oracle (upper bound)",
  "TF-IDF kNN",
  "popularity",
  "teacher zero-shot",
  "distilled (full)",
  "base zero-shot",
  "SFT",
  "GRPO",
  "Rank-GRPO (exp∞)",
];
const FIGURES = [
  "results_table",
  "results_bars",
  "sft_loss",
  "rl_rank_reward_grpo",
  "rl_rank_reward_rank-grpo",
  "rl_in_catalog_drift",
];

interface Row {
  split: string;
  method: string;
  records: number;
  recall: Record<string, number>;
  ndcg: Record<string, number>;
  in_catalog: number;
  ci?: Record<string, { value: number; lo: number; hi: number }>;
}

interface Difference {
  label: string;
  a: string;
  b: string;
  ci: Record<string, { value: number; lo: number; hi: number }>;
}

/** Every model and reference row carries a CI around its own value; differences match their rows. */
function checkIntervals(rows: Row[], differences: Difference[]) {
  const by = Object.fromEntries(rows.map((r) => [r.method, r]));
  for (const m of ["oracle (upper bound)", "popularity", "base zero-shot", "SFT", "GRPO"]) {
    const ci = by[m].ci!["ndcg@20"];
    assert(Math.abs(ci.value - by[m].ndcg["20"]) < 1e-12, `${m}: CI value ${ci.value}`);
    assert(ci.lo <= ci.value && ci.value <= ci.hi, `${m}: ${JSON.stringify(ci)}`);
  }
  assertEquals(differences.map((d) => d.label), [
    "SFT − popularity",
    "GRPO − SFT",
    "Rank-GRPO (exp∞) − SFT",
    "Rank-GRPO (exp∞) − GRPO",
  ]);
  for (const d of differences) {
    const want = by[d.a].ndcg["20"] - by[d.b].ndcg["20"];
    assert(Math.abs(d.ci["ndcg@20"].value - want) < 1e-12, `${d.label}: ${d.ci["ndcg@20"].value}`);
  }
}

/** Runs `convrec demo --preset smoke --via <via>` into a temp dir; its outputs and parsed results. */
async function demo(via: "lib" | "jupyter") {
  const dir = await Deno.makeTempDir({ prefix: `convrec-demo-${via}-` });
  const t0 = performance.now();
  const out = await launchCli(["demo", "--preset", "smoke", "--via", via, "--out", `${dir}/run`]);
  const stderr = out.stderr;
  assertEquals(out.code, 0, stderr);
  console.log(`demo --via ${via}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const results = JSON.parse(await Deno.readTextFile(`${dir}/run/results.json`));
  return { dir, stdout: out.stdout, stderr, results };
}

/** Nothing in the demo's output reads as a failure: no `error:` lines, no tfjs-node banner. */
function checkQuiet(stderr: string) {
  const errors = stderr.split("\n").filter((l) => /(^|\] )error:/i.test(l.trim()));
  assertEquals(errors, [], "error: lines in the demo's output");
  assert(!stderr.includes("tfjs-node"), "the tfjs-node banner was printed");
}

/** Every row present once, on test, with finite metrics in [0, 1]; the world's reference order holds. */
function checkRows(rows: Row[]) {
  assertEquals(rows.map((r) => r.method), METHODS);
  for (const r of rows) {
    assertEquals(r.split, "test");
    assert(r.records > 0, `${r.method}: records`);
    const values = [
      r.in_catalog,
      ...["5", "10", "20"].flatMap((k) => [r.recall[k], r.ndcg[k]]),
    ];
    assert(
      values.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1),
      `${r.method}: ${JSON.stringify(r)}`,
    );
  }
  const by = Object.fromEntries(rows.map((r) => [r.method, r]));
  assert(by["oracle (upper bound)"].ndcg["20"] > by["popularity"].ndcg["20"]);
  // the distilled lists are catalog-grounded and beat the teacher's raw lists
  assertEquals(by["distilled (full)"].in_catalog, 1);
  assert(by["teacher zero-shot"].in_catalog < 0.95, JSON.stringify(by["teacher zero-shot"]));
  assert(by["distilled (full)"].ndcg["20"] > by["teacher zero-shot"].ndcg["20"]);
}

/** The demo's figures: HTML always; SVG and PNG of the export size when chromium exists. */
async function checkFigures(dir: string, results: { figures: string[]; figures_skipped: string }) {
  for (const name of FIGURES) {
    const html = await Deno.readTextFile(`${dir}/run/figures/${name}.html`);
    assert(html.includes("Plotly"), `${name}.html holds plotly`);
    if (noChromium !== undefined) continue;
    assertEquals(svgSize(await Deno.readTextFile(`${dir}/run/figures/${name}.svg`)), {
      width: 800,
      height: 500,
    });
    assertEquals(pngSize(await Deno.readFile(`${dir}/run/figures/${name}.png`)), {
      width: 800,
      height: 500,
    });
  }
  const formats = noChromium === undefined ? 3 : 1;
  // every format of every figure, plus the plotly.min.js the HTML pages share; paths relative to
  // the output folder's parent as given by --out
  assertEquals(results.figures.length, FIGURES.length * formats + 1);
  assert(results.figures.includes(`${dir}/run/figures/plotly.min.js`), results.figures.join());
  if (noChromium !== undefined) assert(results.figures_skipped.includes("chromium"));
}

/** Files written atomically: results.json, summary.md with the table, no temp files left. */
async function checkFiles(dir: string, stdout: string, results: { rows: Row[] }) {
  assert(stdout.includes("| split | method | R@5"), stdout);
  for (const m of METHODS) assert(stdout.includes(`| test | ${m} |`), `stdout row ${m}`);
  const summary = await Deno.readTextFile(`${dir}/run/summary.md`);
  assert(summary.includes("| test | Rank-GRPO (exp∞) |") && summary.includes("SMOKE"), summary);
  // figure paths relative to the folder summary.md lies in
  assert(summary.includes("`figures/results_table.html`"), summary);
  assert(summary.includes("`figures/plotly.min.js`"), summary);
  assert(!summary.includes(dir), `absolute path in summary.md:\n${summary}`);
  const leftovers = [...Deno.readDirSync(`${dir}/run`)].filter((e) => e.name.endsWith(".tmp"));
  assertEquals(leftovers, []);
  assertEquals(results.rows.length, METHODS.length);
}

Deno.test("convrec demo --preset smoke --via lib: every stage, the table, results and figures", async () => {
  const { dir, stdout, stderr, results } = await demo("lib");
  try {
    assertEquals([results.preset, results.path, results.notebooks], ["smoke", "lib", []]);
    assert(["cpu-blas", "wasm"].includes(results.backend), results.backend);
    assert(results.backend_reason.startsWith("auto: "), results.backend_reason);
    checkRows(results.rows);
    checkIntervals(results.rows, results.differences);
    await checkFiles(dir, stdout, results);
    await checkFigures(dir, results);
    checkQuiet(stderr);
    for (const stage of ["[1/6]", "[2/6]", "[3/6]", "[4/6]", "[5/6]", "[6/6]"]) {
      assert(stderr.includes(stage), `progress ${stage}`);
    }
    assert(/\[sft\] step 6\/6 /.test(stderr) && /\[rank-grpo\] step 4\/4 /.test(stderr), stderr);
    assert(/^total wall time [\d.]+ s/m.test(stderr), "wall time printed");
    assertEquals(Object.keys(results.seconds), [
      "world",
      "distill",
      "sft",
      "rl",
      "eval",
      "figures",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    `convrec demo --preset smoke --via jupyter: notebooks 02–04 train, the demo reads their cache${skipJ}`,
  ignore: noJupyter !== undefined,
  async fn() {
    const { dir, stdout, stderr, results } = await demo("jupyter");
    try {
      assertEquals([results.path, results.notebooks.length], ["jupyter", 3]);
      for (const nb of results.notebooks) {
        assert((await Deno.stat(nb.html)).size > 0, nb.name);
        assert([...Deno.readDirSync(nb.figures_dir)].length > 0, `${nb.name} exported figures`);
      }
      // SFT and both RL runs were trained by notebooks 03/04: the demo's own calls are cache hits
      const afterNotebooks = stderr.slice(stderr.indexOf("[1/6]"));
      assert(!/\[(sft|grpo|rank-grpo)\] step/.test(afterNotebooks), "the demo retrained a run");
      assert((afterNotebooks.match(/cache hit/g) ?? []).length >= 4, afterNotebooks);
      checkRows(results.rows);
      checkIntervals(results.rows, results.differences);
      await checkFiles(dir, stdout, results);
      await checkFigures(dir, results);
      checkQuiet(stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
