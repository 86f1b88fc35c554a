// `convrec repro`: its launcher permissions are exactly the driver's least-privilege flags, its help and the
// command list, and a tiny real reproduction (smoke SFT init, GRPO × 1 seed, 1 step) through the launcher.
import { join, resolve } from "node:path";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { parseOptions } from "../../lib/cli/args.ts";
import { COMMANDS } from "../../lib/cli/commands.ts";
import { launcherHandoff, permissionFlags } from "../../lib/cli/launch.ts";
import { flagPermissions, REPRO_CLI_USAGE, reproPermissions } from "../../lib/cli/repro.ts";
import { SFT_USAGE } from "../../lib/cli/sft.ts";
import { readResults } from "../../lib/experiment/repro/driver.ts";
import { ReproOptionsSchema, reproSetup } from "../../lib/cli/repro_main.ts";
import { reproPermissionFlags } from "../../lib/experiment/repro/processes.ts";
import { writeRlFixture } from "../train/rl_loop/fixture.ts";
import { launchCli } from "./_launch.ts";

/** Flags as kind → sorted absolute values, so two spellings of the same grants compare equal. */
function grants(flags: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of flags) {
    const m = /^--allow-([a-z]+)=(.+)$/.exec(f);
    assert(m !== null, `unexpected flag ${f}`);
    const abs = m[2].split(",").map((v) => (m[1] === "env" ? v : resolve(v)));
    out[m[1]] = [...new Set([...(out[m[1]] ?? []), ...abs])].sort();
  }
  return out;
}

/** The driver's own flags for raw options (what lib/cli/repro_main.ts --print-flags prints). */
function driverFlags(raw: Record<string, string>): string[] {
  const opts = parseOptions(ReproOptionsSchema, raw);
  return reproPermissionFlags({ ...reproSetup(opts), backend: opts.backend }, { run: true });
}

/** Runs `deno task cli`'s launcher with `args`, printing the child's flags; exit code, stdout, stderr. */
function launch(args: string[]) {
  return launchCli(args, { env: { CONVREC_DENO: "1" }, launcherEnv: "all" });
}

/** The `deno run` flags the launcher printed (CONVREC_DENO=1) on its first stderr line, without
 * the launcher's own hand-off to every child (its pid, a private XDG_RUNTIME_DIR: launch.ts). */
function launchedFlags(stderr: string): string[] {
  const line = stderr.split("\n").find((l) => l.startsWith("convrec: deno run "));
  assert(line !== undefined, stderr.slice(0, 500));
  const handoff = launcherHandoff("/tmp/convrec-runtime-x").flags[0];
  return line.split(" ").filter((w) =>
    w.startsWith("--allow-") && w !== handoff &&
    !w.startsWith("--allow-write=/tmp/convrec-runtime-")
  );
}

Deno.test("flagPermissions: --allow-KIND lists; a written folder → its config.json; others throw", () => {
  assertEquals(
    flagPermissions(["--allow-read=a,b", "--allow-write=out", "--allow-run=/bin/deno"]),
    { read: ["a", "b"], write: ["out/config.json"], run: ["/bin/deno"] },
  );
  assertThrows(
    () => flagPermissions(["--allow-all"]),
    'lib/cli/repro.ts: flagPermissions: "--allow-all"',
  );
  assertThrows(() => flagPermissions(["--allow-sys=x"]), "expected --allow-{read,write");
});

Deno.test("repro permissions: the launcher grants exactly the driver's least-privilege flags", () => {
  const cases: Record<string, string>[] = [
    { init: "ck", out: "runs/r" },
    { init: "ck", data: "d.jsonl", test: "t.jsonl", catalog: "c.csv", backend: "cpu-blas" },
    { init: "ck", "eval-backend": "cpu-blas" }, // OpenBLAS for the evaluations only
  ];
  for (const raw of cases) {
    const launched = permissionFlags(reproPermissions(raw));
    assertEquals(grants(launched), grants(driverFlags(raw)));
    const g = grants(launched);
    assertEquals(g.write, [resolve(raw.out ?? "runs/repro")]); // writes the output folder only
    assertEquals(g.run, [Deno.execPath()]); // the job processes and the figure export
    assertEquals(
      g.ffi !== undefined,
      raw.backend === "cpu-blas" || raw["eval-backend"] === "cpu-blas",
    );
    for (const probe of ["lib/report/node_modules", "lib/node_modules"]) {
      assert(!g.read.includes(resolve(probe)), `${probe} is no longer granted`);
    }
  }
  assertThrows(() => reproPermissions({ out: "x" }), "--init"); // the launcher then passes no flags
});

Deno.test("help: repro and demo in the command list, repro usage, sft --eval-every 0", async () => {
  assert(REPRO_CLI_USAGE.startsWith("convrec repro --init DIR"), REPRO_CLI_USAGE.slice(0, 80));
  assertEquals(COMMANDS.demo.summary.includes("world → distill → SFT → RL → test table"), true);
  assert(/--eval-every N +[^\n]*; 0 = only\s+after the last step/.test(SFT_USAGE), SFT_USAGE);
  const list = await launch(["--help"]);
  assertEquals(list.code, 0, list.stderr);
  assert(/^ {2}repro +the reproduction/m.test(list.stdout), list.stdout);
  assert(/^ {2}demo +run world → distill → SFT → RL → test table/m.test(list.stdout), list.stdout);
  const help = await launch(["repro", "--help"]);
  assertEquals(help.code, 0, help.stderr);
  assert(help.stdout.includes("--print-flags"), help.stdout);
  const bad = await launch(["repro", "--out", "x"]);
  assertEquals(bad.code, 2, "missing --init is a usage error");
  assert(bad.stderr.includes("convrec repro: --init"), bad.stderr);
});

Deno.test("convrec repro: a tiny reproduction through the launcher with exactly the driver's flags", async () => {
  const f = await writeRlFixture();
  try {
    const out = join(f.dir, "out");
    const raw = {
      init: f.init,
      data: f.data,
      test: f.val,
      catalog: f.catalog,
      out,
      preset: "smoke",
      steps: "1",
      "save-every": "1",
      "test-conversations": "2",
      "eval-max-new-tokens": "16",
      methods: "grpo",
      seeds: "0",
      "eval-backend": "cpu", // reaches the job processes and is pinned
    };
    const args = ["repro", ...Object.entries(raw).map(([k, v]) => `--${k}=${v}`)];
    const printed = await launch([...args, "--print-flags"]);
    assertEquals(printed.code, 0, printed.stderr);
    assertEquals(printed.stdout.trim(), driverFlags(raw).join(" "));
    const t0 = performance.now();
    const r = await launch(args);
    assertEquals(r.code, 0, r.stderr.slice(-1500));
    console.log(
      `convrec repro (1 GRPO step + 2 evaluations): ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
    assertEquals(grants(launchedFlags(r.stderr)), grants(driverFlags(raw)));
    assert(r.stderr.includes("2 job(s) to run"), r.stderr.slice(-800));
    assertEquals((await readResults(out)).map((x) => `${x.method}:${x.seed}`), [
      "sft:null",
      "grpo:0",
    ]);
    const table = await Deno.readTextFile(join(out, "table.md"));
    assertEquals(table.trim().split("\n").length, 2 + 2, table);
    assert(r.stdout.includes("| method | seeds |"), "the table is printed");
    await Deno.stat(join(out, "figures", "in_catalog_drift.html"));
    assertEquals(JSON.parse(await Deno.readTextFile(join(out, "config.json"))).eval_backend, "cpu");
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
