// The reproduction driver on the RL smoke fixture: an interrupted run resumes from its checkpoint and a
// finished one is not redone (in-process); main.ts with exactly its least-privilege flags and --jobs 2.
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../_assert.ts";
import { readStepRows } from "../../../lib/train/run/metrics_log.ts";
import { checkpointSteps } from "../../../lib/train/run/train_checkpoint.ts";
import { pendingJobs, readResults, recordSetup } from "../../../lib/experiment/repro/driver.ts";
import { parseJobId, type ReproSetup, runReproJob } from "../../../lib/experiment/repro/jobs.ts";
import { selectMethods } from "../../../lib/experiment/repro/methods.ts";
import { reproPermissionFlags } from "../../../lib/experiment/repro/processes.ts";
import { type RlFixture, writeRlFixture } from "../../train/rl_loop/fixture.ts";

function setup(f: RlFixture, out: string, steps = 2): ReproSetup {
  return {
    init: f.init,
    data: f.data,
    test: f.val,
    catalog: f.catalog,
    out,
    preset: "smoke",
    rl: { steps, save_every: 1 },
    testConversations: 2,
    evalMaxNewTokens: 16,
  };
}

Deno.test("repro job: an interrupted RL run resumes from its checkpoint; a finished job is not redone", async () => {
  const f = await writeRlFixture();
  try {
    const s = setup(f, join(f.dir, "repro"));
    const job = parseJobId("rank-grpo-log-s1");
    assertEquals([job.method?.algo, job.method?.reward, job.seed], ["rank-grpo", "log", 1]);
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    assertEquals(await runReproJob(s, job, { log, stopAfterStep: 1 }), null, "stopped: no result");
    const runDir = join(s.out, job.id);
    assertEquals(await checkpointSteps(runDir), [1]);
    const r = await runReproJob(s, job, { log });
    assert(r !== null);
    assert(lines.some((l) => l.includes("resuming 2 RL steps")), lines.join("\n"));
    assert(
      lines.some((l) => l.includes("from step 1")),
      "runRl resumed from the step-1 checkpoint",
    );
    const { rows } = await readStepRows(join(runDir, "metrics.jsonl"));
    assertEquals(rows.map((x) => x.step), [1, 2]);
    assertEquals([r.method, r.seed, r.rl_steps], ["rank-grpo-log", 1, 2]);
    for (const k of ["recall@5", "ndcg@20", "in_catalog"]) assert(Number.isFinite(r.metrics[k]), k);
    lines.length = 0;
    assertEquals(await runReproJob(s, job, { log }), r);
    assertEquals(lines, [], "a finished job does nothing");
    const pending = await pendingJobs(s.out, selectMethods(["rank-grpo-log"]), [1, 2]);
    assertEquals(pending.map((j) => j.id), ["sft", "rank-grpo-log-s2"]);
    // the budget is pinned: a resumed reproduction with another step count is refused
    await (await recordSetup(s)).release(); // it holds <out>'s run lock until released
    await assertRejects(() => recordSetup(setup(f, s.out, 3)), '"rl"');
    // the evaluation backend: wasm (the default) leaves the pinned config as before; another is refused
    await (await recordSetup({ ...s, evalBackend: "wasm" })).release();
    const pinned = JSON.parse(await Deno.readTextFile(join(s.out, "config.json")));
    assertEquals(pinned.eval_backend, undefined);
    await assertRejects(() => recordSetup({ ...s, evalBackend: "cpu-blas" }), "eval_backend");
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("repro main.ts: exactly its least-privilege flags, --jobs 2, table + curves; re-run does nothing", async () => {
  const f = await writeRlFixture();
  try {
    const out = join(f.dir, "out");
    const s = setup(f, out, 1);
    const main = new URL("../../../lib/cli/repro_main.ts", import.meta.url).pathname;
    const config = new URL("../../../deno.json", import.meta.url).pathname;
    const args = [
      `--init=${f.init}`,
      `--data=${f.data}`,
      `--test=${f.val}`,
      `--catalog=${f.catalog}`,
      `--out=${out}`,
      "--preset=smoke",
      "--steps=1",
      "--save-every=1",
      "--test-conversations=2",
      "--eval-max-new-tokens=16",
      "--methods=grpo,rank-grpo-exp_inf",
      "--seeds=0",
    ];
    const flags = reproPermissionFlags({ ...s, backend: "wasm" }, { run: true });
    const run = async (extra: string[]) => {
      const o = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          `--config=${config}`,
          ...flags,
          main,
          ...args,
          ...extra,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
      assert(o.success, `main.ts ${extra.join(" ")} failed:\n${text.slice(-1500)}`);
      return text;
    };
    const printed = await run(["--print-flags"]);
    assertEquals(printed.trim(), flags.join(" "));
    const first = await run(["--jobs=2"]);
    assert(first.includes("3 job(s) to run, 2 at a time"), first.slice(-800));
    const results = await readResults(out);
    assertEquals(results.map((r) => `${r.method}:${r.seed}`), [
      "sft:null",
      "grpo:0",
      "rank-grpo-exp_inf:0",
    ]);
    const table = await Deno.readTextFile(join(out, "table.md"));
    assertEquals(table.trim().split("\n").length, 2 + 3);
    assert(table.includes("| R@5 | N@5 |") && table.includes("in-catalog"), table);
    for (const fig of ["rank_reward_grpo", "rank_reward_rank-grpo-exp_inf", "in_catalog_drift"]) {
      await Deno.stat(join(out, "figures", `${fig}.json`));
      await Deno.stat(join(out, "figures", `${fig}.html`));
    }
    const again = await run(["--jobs=2"]);
    assert(again.includes("0 job(s) to run"), again.slice(-800));
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
