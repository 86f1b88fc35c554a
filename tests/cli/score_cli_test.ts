// Runs `convrec score` end to end through the least-privilege launcher, as a user would.
import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { permissionFlags } from "../../lib/cli/launch.ts";
import { loadCommand } from "../../lib/cli/commands.ts";
import { launchCli } from "./_launch.ts";

const FIX = new URL("../fixtures/cli/", import.meta.url).pathname;

Deno.test("convrec score: per-record lines and summary on a hand-checked file", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/scores.jsonl`;
  const r = await launchCli([
    "score",
    "--catalog",
    `${FIX}catalog.csv`,
    "--data",
    `${FIX}records.jsonl`,
    "--reward",
    "log",
    "--k",
    "1,2,20",
    "--out",
    out,
  ]);
  assertEquals(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  const lines = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.length, 2);
  // record 0: Aliens hit at rank 1 (gt Aliens 1986), Heat and Crouching Tiger not in gt; 1 dropped line
  assertEquals(lines[0].items, [["Aliens", 1986], ["Heat", 1995], [
    "Crouching Tiger, Hidden Dragon",
    2000,
  ]]);
  assertEquals(lines[0].dropped, 1);
  assertEquals(lines[0].hits.slice(0, 4), [1, 0, 0, 0]);
  assertEquals(lines[0].hits.length, 20);
  assertEquals(lines[0].rewards[0], 1);
  assertEquals(lines[0].rewards[1], 0);
  assertEquals(lines[0].recall, { "1": 0.5, "2": 0.5, "20": 0.5 });
  assertEquals(lines[0].in_catalog, 0.75);
  // record 1: Alien is seen; "Up (2010)" is not a catalog pair (Up is 2009) → no hit anywhere
  assertEquals(lines[1].hits.slice(0, 3), [0, 0, 0]);
  assertEquals(lines[1].recall["20"], 0);
  assertAlmostEquals(lines[1].in_catalog, 1 / 3);
  assertEquals(summary.records, 2);
  assertEquals(summary.skipped, 0);
  assertEquals(summary.recall["20"], 0.25);
  assertAlmostEquals(summary.in_catalog, 4 / 7);
  assertAlmostEquals(summary.format_violations, 1 / 7);
  assertEquals(summary.reward, "log");
});

Deno.test("convrec score: --field reads a top-level string field", async () => {
  const r = await launchCli([
    "score",
    "--catalog",
    `${FIX}catalog.csv`,
    "--data",
    `${FIX}records.jsonl`,
    "--field",
    "generated",
    "--skip-invalid",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  // record 0 has no "generated" field → skipped; record 1: "Up (2009)" hits gt "up" 2009? No: the
  // filter-first metric matches titles exactly (case-sensitive), so recall 0 there, but hits count it
  assertEquals(s.records, 1);
  assertEquals(s.skipped, 1);
  assert(r.stderr.includes("field generated: expected a string"), r.stderr);
  assertEquals(s.recall["20"], 0);
});

Deno.test("convrec score: bad input fails with file:line and the field; --skip-invalid counts", async () => {
  const fail = await launchCli([
    "score",
    "--catalog",
    `${FIX}catalog.csv`,
    "--data",
    `${FIX}bad.jsonl`,
  ]);
  assertEquals(fail.code, 1);
  assert(fail.stderr.includes("bad.jsonl:2: invalid JSON"), fail.stderr);
  const skip = await launchCli([
    "score",
    "--catalog",
    `${FIX}catalog.csv`,
    "--data",
    `${FIX}bad.jsonl`,
    "--skip-invalid",
  ]);
  assertEquals(skip.code, 0, skip.stderr);
  const s = JSON.parse(skip.stdout);
  assertEquals([s.records, s.skipped], [2, 2]);
  assert(skip.stderr.includes("bad.jsonl:3: field seen_titles"), skip.stderr);
});

Deno.test("convrec score: usage errors name the option", async () => {
  const r = await launchCli([
    "score",
    "--catalog",
    `${FIX}catalog.csv`,
    "--data",
    `${FIX}records.jsonl`,
    "--rewrd",
    "log",
  ]);
  assertEquals(r.code, 2);
  assert(r.stderr.includes("unknown option --rewrd"), r.stderr);
  const k = await launchCli([
    "score",
    "--catalog",
    `${FIX}catalog.csv`,
    "--data",
    `${FIX}records.jsonl`,
    "--k",
    "5,x",
  ]);
  assertEquals(k.code, 2);
  assert(k.stderr.includes("--k: expected positive integers"), k.stderr);
  const m = await launchCli(["score", "--data", `${FIX}records.jsonl`]);
  assertEquals(m.code, 2);
  assert(m.stderr.includes("--catalog"), m.stderr);
});

Deno.test("launcher: score is granted read on its inputs and write on --out's folder only", async () => {
  const flags = permissionFlags(
    (await loadCommand("score")).permissions({
      catalog: "/d/c.csv",
      data: "/d/r.jsonl",
      out: "/o/s.jsonl",
    }),
  );
  assertEquals(flags, ["--allow-read=/d/c.csv,/d/r.jsonl,/o", "--allow-write=/o"]);
  assertEquals(
    permissionFlags(
      (await loadCommand("score")).permissions({ catalog: "/d/c.csv", data: "/d/r.jsonl" }),
    ),
    [
      "--allow-read=/d/c.csv,/d/r.jsonl",
    ],
  );
});
