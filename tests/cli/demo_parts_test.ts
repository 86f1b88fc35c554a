// The demo's parts without running it: least-privilege permissions per option, table rows from score
// summaries and eval metrics, the markdown table, and the notebook parameters of the Jupyter path.
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { demoPermissions } from "../../lib/cli/demo.ts";
import {
  evalRow,
  resultsBars,
  resultsTable,
  summaryRow,
} from "../../lib/experiment/demo_results.ts";
import { DEMO_NOTEBOOKS, notebookParams } from "../../lib/experiment/demo_notebooks.ts";
import { DEFAULT_PYTHON } from "../../lib/notebook/jupyter.ts";
import { chromiumUnavailable } from "../../lib/report/chromium.ts";

Deno.test("demoPermissions: writes only out and cache; python, ffi and env only when the options need them", () => {
  const lib = demoPermissions({ via: "lib", backend: "wasm", out: "o", cache: "c" });
  assertEquals(lib.write, ["o/results.json", "c/entry.json"]);
  assertEquals([lib.ffi, lib.env], [[], []]);
  assert(!lib.run.includes(DEFAULT_PYTHON), "--via lib must not run python");
  const chromium = chromiumUnavailable() === undefined;
  assertEquals(lib.run, chromium ? [Deno.execPath()] : []);

  const full = demoPermissions({});
  assertEquals(full.write, ["runs/demo/results.json", "runs/demo/cache/entry.json"]);
  assert(full.run.includes(DEFAULT_PYTHON), "auto may run Jupyter");
  assert(full.ffi.length > 0 && full.ffi.every((p) => p.includes("openblas")), full.ffi.join());
  assertEquals(full.env, ["OPENBLAS_NUM_THREADS", "JUPYTER_PATH"]);
  assert(full.read.some((p) => p.endsWith("/notebooks")), "reads the notebooks");
});

const summary = {
  records: 3,
  recall: { "5": 0.1, "10": 0.2, "15": 0.25, "20": 0.3 },
  ndcg: { "5": 0.05, "10": 0.07, "15": 0.08, "20": 0.09 },
  in_catalog: 0.5,
  format_violations: 0,
};

Deno.test("summaryRow / evalRow: the table's cutoffs 5, 10, 20; a missing metric fails by name", () => {
  const s = summaryRow("test", "teacher zero-shot", "teacher", summary);
  assertEquals(s, {
    split: "test",
    method: "teacher zero-shot",
    stage: "teacher",
    records: 3,
    recall: { "5": 0.1, "10": 0.2, "20": 0.3 },
    ndcg: { "5": 0.05, "10": 0.07, "20": 0.09 },
    in_catalog: 0.5,
  });
  const metrics = {
    rows: 3,
    in_catalog: 0.5,
    "recall@5": 0.1,
    "recall@10": 0.2,
    "recall@20": 0.3,
    "ndcg@5": 0.05,
    "ndcg@10": 0.07,
    "ndcg@20": 0.09,
  };
  assertEquals(evalRow("test", "teacher zero-shot", "teacher", metrics), s);
  const { "ndcg@10": _, ...missing } = metrics;
  assertThrows(
    () => evalRow("test", "SFT", "sft", missing),
    'evalRow "SFT": metrics.ndcg@10 missing',
  );
});

Deno.test("resultsTable and resultsBars: one line / bar per row, CIs where a row has them", () => {
  const ci = { value: 0.09, lo: 0.07, hi: 0.12 };
  const rows = [
    summaryRow("test", "a", "reference", summary),
    { ...summaryRow("test", "b", "sft", { ...summary, in_catalog: 1 }), ci: { "ndcg@20": ci } },
  ];
  assertEquals(resultsTable(rows).split("\n"), [
    "| split | method | R@5 | R@10 | R@20 | N@5 | N@10 | N@20 | in-catalog | N@20 95% CI | R@20 95% CI |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    "| test | a | 0.1000 | 0.2000 | 0.3000 | 0.0500 | 0.0700 | 0.0900 | 0.5000 | — | — |",
    "| test | b | 0.1000 | 0.2000 | 0.3000 | 0.0500 | 0.0700 | 0.0900 | 1.0000 | 0.0700–0.1200 | — |",
  ]);
  const bars = resultsBars(rows, "t");
  assertEquals(bars.data.map((t) => [t.name, t.x, t.y]), [
    ["Recall@20", ["a", "b"], [0.3, 0.3]],
    ["NDCG@20", ["a", "b"], [0.09, 0.09]],
  ]);
  // asymmetric error bars from the CI; a row without one gets zero-width bars
  const err = bars.data[1].error_y as { array: number[]; arrayminus: number[] };
  assertEquals(err.array.map((v) => +v.toFixed(6)), [0, 0.03]);
  assertEquals(err.arrayminus.map((v) => +v.toFixed(6)), [0, 0.02]);
});

Deno.test("notebookParams: the demo's world, seed, backend and cache; 04 compares GRPO with Rank-GRPO exp∞", () => {
  const p = { preset: "smoke", seed: 4, backend: "wasm", cacheDir: "/c" };
  assertEquals([...DEMO_NOTEBOOKS], ["02_distill", "03_sft", "04_rank_grpo"]);
  assertEquals(notebookParams("02_distill", p, "/f"), {
    seed: 4,
    preset: "smoke",
    cache_dir: "/c",
    figures_dir: "/f",
  });
  const sft = notebookParams("03_sft", p, "/f");
  assertEquals(sft, {
    seed: 4,
    preset: "smoke",
    backend: "wasm",
    demonstrations: "distilled",
    cache_dir: "/c",
    figures_dir: "/f",
  });
  assertEquals(notebookParams("04_rank_grpo", p, "/f"), {
    ...sft,
    baseline: "grpo",
    algo: "rank-grpo",
    reward: "exp_inf",
  });
});
