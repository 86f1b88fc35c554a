// SFT config and `convrec sft` options: strict (unknown keys fail), defaults as the paper's SFT; least-
// privilege permissions; run folder refuses to clobber a run and to resume with a changed config.
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../../_assert.ts";
import { parseOptions } from "../../../lib/cli/args.ts";
import { SftOptionsSchema, sftPermissions } from "../../../lib/cli/sft.ts";
import { prepareRunFolder } from "../../../lib/train/run/run_folder.ts";
import { readStepRows, truncateStepRows } from "../../../lib/train/run/metrics_log.ts";
import { parseSftConfig } from "../../../lib/train/sft/config.ts";
import { stepIndices, stepsPerEpoch } from "../../../lib/train/run/data_order.ts";

const paths = {
  data: "t.jsonl",
  val: "v.jsonl",
  catalog: "c.csv",
  tokenizer: "tok",
  run_dir: "runs/a",
};

Deno.test("parseSftConfig: paper defaults; unknown or mistyped keys fail naming the key", () => {
  const c = parseSftConfig(paths);
  assertEquals([c.lr, c.warmup_ratio, c.beta1, c.beta2, c.backend, c.seed], [
    5e-5,
    0.05,
    0.9,
    0.999,
    "wasm",
    0,
  ]);
  assertThrows(() => parseSftConfig({ ...paths, learning_rate: 1 }), '"learning_rate"');
  assertThrows(() => parseSftConfig({ ...paths, batch_size: 0 }), '"batch_size"');
  assertThrows(() => parseSftConfig({ ...paths, backend: "gpu" }), '"backend"');
});

Deno.test("convrec sft options: strict; permissions read inputs + wasm, write only runs/NAME", () => {
  const o = parseOptions(SftOptionsSchema, { run: "x", lr: "0.001", resume: true });
  assertEquals([o.lr, o.resume, o.preset], [0.001, true, "default"]);
  assertThrows(
    () => parseOptions(SftOptionsSchema, { run: "x", preset: "builtin-small" }),
    'preset "builtin-small" was renamed "default"',
  );
  assertThrows(
    () => parseOptions(SftOptionsSchema, { run: "x", "learning-rate": "1" }),
    "--learning-rate",
  );
  assertThrows(() => parseOptions(SftOptionsSchema, { run: "../etc" }), "--run");
  const p = sftPermissions({
    run: "x",
    data: "d.jsonl",
    val: "v.jsonl",
    catalog: "c.csv",
    tokenizer: "tok",
  });
  assertEquals(p.write, [join("runs", "x", "config.json")]);
  assert(p.read.includes("d.jsonl") && p.read.includes("tok"));
  assert(p.read.some((r) => r.includes("tfjs-backend-wasm")), p.read.join(","));
});

Deno.test("data order: a permutation per epoch, a pure function of (seed, step)", () => {
  const n = 10, perStep = 4;
  assertEquals(stepsPerEpoch(n, perStep), 3);
  const epoch0 = [1, 2, 3].flatMap((s) => stepIndices(s, { seed: 7, n, perStep }));
  assertEquals([...epoch0].sort((a, b) => a - b), [...Array(n).keys()]);
  assertEquals(stepIndices(2, { seed: 7, n, perStep }), epoch0.slice(4, 8));
  const epoch1 = [4, 5, 6].flatMap((s) => stepIndices(s, { seed: 7, n, perStep }));
  assert(epoch1.join() !== epoch0.join(), "each epoch reshuffles");
});

Deno.test("run folder: no clobbering, resume needs the same config; metrics truncation drops torn tails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await (await prepareRunFolder(dir, { seed: 1, lr: 0.1 })).release(); // returns the run lock
    await assertRejects(() => prepareRunFolder(dir, { seed: 1, lr: 0.1 }), "already holds a run");
    await assertRejects(
      () => prepareRunFolder(dir, { seed: 2, lr: 0.1 }, { resume: true }),
      '"seed"',
    );
    await (await prepareRunFolder(dir, { lr: 0.1, seed: 1 }, { resume: true })).release();
    const m = join(dir, "metrics.jsonl");
    await Deno.writeTextFile(
      m,
      '{"step":1,"phase":"train"}\n{"step":2,"phase":"train"}\n{"step":3,"ph',
    );
    assert((await readStepRows(m)).tornTail);
    assertEquals(await truncateStepRows(m, 1), 2);
    assertEquals(await Deno.readTextFile(m), '{"step":1,"phase":"train"}\n');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
