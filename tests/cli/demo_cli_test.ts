// The README's first command, end to end through the least-privilege launcher (smaller outputs in a temp dir).
import { assert, assertEquals } from "../_assert.ts";

const LAUNCH = new URL("../../lib/cli/launch.ts", import.meta.url).pathname;

Deno.test("convrec demo: world → reference rankers → scored table, files written atomically", async () => {
  const dir = await Deno.makeTempDir();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-run",
      "--allow-env=CONVREC_DENO",
      LAUNCH,
      "demo",
      "--out",
      `${dir}/run`,
      "--world",
      `${dir}/world`,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const stdout = new TextDecoder().decode(out.stdout);
  assert(stdout.includes("| split | method | R@5"), stdout);
  const { rows } = JSON.parse(await Deno.readTextFile(`${dir}/run/results.json`));
  const val = Object.fromEntries(
    rows.filter((r: { split: string }) => r.split === "val").map((
      r: { method: string; ndcg: Record<string, number> },
    ) => [r.method, r.ndcg["20"]]),
  );
  assert(val.oracle > val.tfidf_knn && val.tfidf_knn > val.popularity, JSON.stringify(val));
  // the distilled demonstrations are catalog-grounded and beat the teacher's raw lists on NDCG@20
  const full = rows.find((r: { method: string }) => r.method === "distilled (full)");
  const teacher = rows.find((r: { method: string }) => r.method === "teacher zero-shot");
  assertEquals(full.in_catalog, 1);
  assert(teacher.in_catalog < 0.95, JSON.stringify(teacher));
  assert(full.ndcg["20"] > teacher.ndcg["20"], JSON.stringify({ full, teacher }));
  assert((await Deno.stat(`${dir}/run/distill/train.jsonl`)).size > 0);
  for (
    const f of [
      "catalog.csv",
      "train.jsonl",
      "val.jsonl",
      "test.jsonl",
      "truth.json",
      "config.json",
    ]
  ) {
    assert((await Deno.stat(`${dir}/world/${f}`)).size > 0, f);
  }
  const leftovers = [...Deno.readDirSync(`${dir}/world`)].filter((e) => e.name.endsWith(".tmp"));
  assertEquals(leftovers, []);
});
