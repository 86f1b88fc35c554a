// `convrec nb`: argv folding (positional name, repeated --set), overrides, run names, least-privilege
// permissions, and an end-to-end run of notebook 01 (smoke preset) through the launcher into a temp dir.
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { splitArgs } from "../../lib/cli/args.ts";
import {
  defaultRunName,
  NbOptionsSchema,
  nbOverrides,
  nbPermissions,
  runNb,
} from "../../lib/cli/nb.ts";
import { notebooksDir } from "../../lib/notebook/jupyter.ts";
import { foldRepeated, parseOverrides, splitSetList } from "../../lib/cli/repeated.ts";
import { headlessUnavailable } from "../../lib/notebook/mod.ts";
import { launchCli } from "./_launch.ts";

const noJupyter = await headlessUnavailable();
if (noJupyter) console.warn(`tests/cli/nb_cli_test.ts: skipping the notebook run: ${noJupyter}`);
const FOLD = { repeatable: ["set"], positional: "notebook" } as const;

Deno.test("repeated: --set lists split at `,key=` only; values parse as JSON else stay strings", () => {
  assertEquals(splitSetList('ks=[5,10],preset="smoke", seed=7'), [
    "ks=[5,10]",
    'preset="smoke"',
    "seed=7",
  ]);
  assertEquals(parseOverrides(["ks=[5,10]", 'preset="smoke"', "algo=grpo", "on=true", "s="]), {
    ks: [5, 10],
    preset: "smoke",
    algo: "grpo",
    on: true,
    s: "",
  });
  assertThrows(() => parseOverrides(["seed"]), "--set seed: expected key=value");
  assertThrows(() => parseOverrides(["a-b=1"]), 'key "a-b" is not a TypeScript identifier');
  assertThrows(() => parseOverrides(["seed=1", "seed=2"]), "--set seed: given twice");
});

Deno.test("repeated: foldRepeated turns `NAME --set a --set b` into options splitArgs accepts", () => {
  const argv = [
    "04_rank_grpo",
    "--set",
    "algo=grpo",
    "--timeout",
    "60",
    "--set=seed=2",
    "--set",
    "ks=[5,10]",
  ];
  const folded = foldRepeated(argv, FOLD);
  assertEquals(folded, [
    "--notebook",
    "04_rank_grpo",
    "--timeout",
    "60",
    "--set",
    "algo=grpo,seed=2,ks=[5,10]",
  ]);
  const { positional, options } = splitArgs(folded);
  assertEquals(positional, []);
  const opts = NbOptionsSchema.parse(options);
  assertEquals(nbOverrides(opts.set), { algo: "grpo", seed: 2, ks: [5, 10] });
  assertEquals(opts.timeout, 60);
  assertThrows(() => foldRepeated(["a", "b"], FOLD), 'unexpected argument "b"');
  assertThrows(() => foldRepeated(["a"], { repeatable: ["set"] }), 'unexpected argument "a"');
  assertThrows(() => foldRepeated(["a", "--set"], FOLD), "--set: expected a value");
  assertThrows(() => foldRepeated(["a", "--set", "--name", "x"], FOLD), "--set: expected a value");
});

Deno.test("nb: run names hash the overrides (order-free); permissions are least privilege", () => {
  const a = defaultRunName("01_catalog_and_data", { seed: 7, preset: "smoke" });
  assertEquals(a, defaultRunName("01_catalog_and_data", { preset: "smoke", seed: 7 }));
  assert(/^01_catalog_and_data-[0-9a-f]{8}$/.test(a), a);
  assert(a !== defaultRunName("01_catalog_and_data", { seed: 8, preset: "smoke" }));
  assertEquals(
    nbPermissions({ notebook: "01_catalog_and_data", set: "preset=smoke,seed=7", runs: "/r" }),
    {
      read: [notebooksDir()],
      write: [`/r/${a}/nb.json`],
      env: ["JUPYTER_PATH"],
      run: ["/usr/bin/python3"],
    },
  );
  assertEquals(nbPermissions({ notebook: "x", name: "mine" }).write, ["runs/mine/nb.json"]);
  assertThrows(() => NbOptionsSchema.parse({ notebook: "../etc/passwd" }), "notebook name");
  assertThrows(() => NbOptionsSchema.parse({ notebook: "x", sett: "a=1" }), "sett");
});

Deno.test("nb: an unknown notebook names the ones that exist", async () => {
  await assertRejects(
    () => runNb(NbOptionsSchema.parse({ notebook: "99_nope", runs: "/nonexistent" }), () => {}),
    "expected one of 00_smoke, 01_catalog_and_data",
  );
});

interface Cell {
  metadata: { tags?: string[] };
  source: string | string[];
  outputs?: { output_type: string }[];
}

Deno.test({
  name:
    `convrec nb 01_catalog_and_data --set preset="smoke" via the launcher → ipynb, html, figures${
      noJupyter ? ` (skipped: ${noJupyter})` : ""
    }`,
  ignore: noJupyter !== undefined,
  async fn() {
    const runs = await Deno.makeTempDir({ prefix: "convrec-nb-runs-" });
    try {
      const argv = foldRepeated([
        "01_catalog_and_data",
        "--set",
        'preset="smoke"',
        "--set",
        'figure_formats=["html"]', // SVG/PNG through chromium are covered by tests/report
        "--runs",
        runs,
      ], FOLD);
      const t0 = performance.now();
      const out = await launchCli(["nb", ...argv], {
        env: { CONVREC_DENO: "1" },
        launcherEnv: "all",
      });
      const stderr = out.stderr;
      assertEquals(out.code, 0, stderr);
      console.log(`convrec nb: ${((performance.now() - t0) / 1000).toFixed(1)} s end to end`);
      const name = defaultRunName("01_catalog_and_data", {
        preset: "smoke",
        figure_formats: ["html"],
      });
      const dir = `${runs}/${name}`;
      // The child Deno may write the run folder only.
      assert(stderr.includes(`--allow-write=${dir} `), stderr.split("\n")[0]);
      assert(stderr.includes("--allow-run=/usr/bin/python3 "), stderr.split("\n")[0]);
      const result = JSON.parse(out.stdout);
      assertEquals(result.dir, dir);
      assertEquals(result.notebook, `${dir}/01_catalog_and_data.ipynb`);
      assertEquals(result.html, `${dir}/01_catalog_and_data.html`);
      assertEquals(result.parameters, {
        preset: "smoke",
        figure_formats: ["html"],
        figures_dir: `${dir}/figures`,
      });
      const stems = [
        "catalog_decades",
        "catalog_genres",
        "catalog_popularity",
        "groundtruth_per_reply",
        "reference_points",
        "replies_per_conversation",
        "time_split",
      ];
      // sorted file list: the pages and the one plotly.min.js they share
      assertEquals(
        result.figures,
        [...stems.map((s) => `${dir}/figures/${s}.html`), `${dir}/figures/plotly.min.js`].sort(),
      );
      for (const f of result.figures.filter((f: string) => f.endsWith(".html"))) {
        assert((await Deno.readTextFile(f)).includes("Plotly.newPlot"), f);
      }
      const html = await Deno.readTextFile(result.html);
      assertEquals(html.match(/<div class="convrec-figure"/g)?.length, 11, "figures in the HTML");
      const cells = (JSON.parse(await Deno.readTextFile(result.notebook)) as { cells: Cell[] })
        .cells;
      const injected = cells.find((c) => c.metadata.tags?.includes("injected-parameters"));
      assert(
        [injected?.source].flat().join("").includes(`figures_dir = "${dir}/figures";`),
        "figures_dir injected",
      );
      assertEquals(
        cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === "error"),
        [],
      );
      const record = JSON.parse(await Deno.readTextFile(`${dir}/nb.json`));
      assertEquals(record.overrides, { preset: "smoke", figure_formats: ["html"] });
      const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.includes(".tmp"));
      assertEquals(leftovers, []);
    } finally {
      await Deno.remove(runs, { recursive: true });
    }
  },
});
