// `convrec eval`: strict option parsing, least-privilege permissions, the popularity reference from record
// files equal to the world's own popularity baseline, and one run on a tiny untrained checkpoint.
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { parseOptions } from "../../lib/cli/args.ts";
import { resolveCliBackend } from "../../lib/cli/backend_option.ts";
import { loadCommand } from "../../lib/cli/commands.ts";
import {
  EVAL_USAGE,
  EvalOptionsSchema,
  evalPermissions,
  runEvalCommand,
} from "../../lib/cli/eval.ts";
import { loadCatalog } from "../../lib/catalog/catalog.ts";
import { readRecords } from "../../lib/data/read_records.ts";
import type { ConversationRecord } from "../../lib/data/record.ts";
import { conversationKey } from "../../lib/data/record.ts";
import { generateWorld, popularityOrder, writeWorld } from "../../lib/data/world/mod.ts";
import { useBackend } from "../../lib/model/backend.ts";
import { OPENBLAS_CANDIDATE_PATHS } from "../../lib/model/blas/openblas.ts";
import { saveCheckpoint } from "../../lib/model/checkpoint.ts";
import { presetConfig } from "../../lib/model/config.ts";
import { loadTokenizer } from "../../lib/model/tokenizer/load.ts";
import { disposeWeights, initWeights } from "../../lib/model/weights.ts";
import { popularityRanking, popularityReference } from "../../lib/report/popularity_reference.ts";
import { scoreReferenceRankers } from "../../lib/report/reference_points.ts";
import { worldPreset } from "../../lib/experiment/presets.ts";
import { writeFixture } from "../train/sft/fixture.ts";
import { launchCli } from "./_launch.ts";

async function readAll(path: string): Promise<ConversationRecord[]> {
  const out: ConversationRecord[] = [];
  for await (const r of readRecords(path)) out.push(r.record);
  return out;
}

Deno.test("convrec eval options: defaults, strict names, decodings from EvalDecoding", async () => {
  const d = parseOptions(EvalOptionsSchema, { checkpoint: "ck" });
  assertEquals(d, {
    checkpoint: "ck",
    data: "data/generated/world/val.jsonl",
    catalog: "data/generated/world/catalog.csv",
    train: "data/generated/world/train.jsonl",
    k: [5, 10, 15, 20],
    "max-new-tokens": 320,
    "max-prompt-tokens": 192,
    "batch-size": 16,
    decoding: "greedy",
    backend: resolveCliBackend("auto"),
  });
  const o = parseOptions(EvalOptionsSchema, {
    checkpoint: "ck",
    k: "5,20",
    conversations: "7",
    decoding: "catalog-no-repeat",
    backend: "cpu-blas",
    out: "o.json",
  });
  assertEquals([o.k, o.conversations, o.decoding, o.backend, o.out], [
    [5, 20],
    7,
    "catalog-no-repeat",
    "cpu-blas",
    "o.json",
  ]);
  assertThrows(
    () => parseOptions(EvalOptionsSchema, { checkpoint: "ck", decoding: "beam" }),
    "--decoding",
  );
  assertThrows(
    () => parseOptions(EvalOptionsSchema, { checkpoint: "ck", conversation: "3" }),
    "unknown option --conversation",
  );
  assertThrows(() => parseOptions(EvalOptionsSchema, {}), "--checkpoint");
  assertThrows(() => parseOptions(EvalOptionsSchema, { checkpoint: "ck", k: "5,x" }), "--k");
  assertThrows(
    () => parseOptions(EvalOptionsSchema, { checkpoint: "ck", conversations: "0" }),
    "--conversations",
  );
  assert(EVAL_USAGE.includes("catalog-no-repeat") && EVAL_USAGE.includes("--checkpoint DIR"));
  assertEquals((await loadCommand("eval")).usage, EVAL_USAGE);
});

Deno.test("convrec eval permissions: reads inputs, writes only --out, FFI only for auto and cpu-blas", () => {
  const p = evalPermissions({ checkpoint: "ck", out: "runs/e/val.json", backend: "wasm" });
  assertEquals(p.read.slice(0, 4), [
    "ck",
    "data/generated/world/val.jsonl",
    "data/generated/world/catalog.csv",
    "data/generated/world/train.jsonl",
  ]);
  assertEquals(p.write, ["runs/e/val.json"]);
  assertEquals([p.ffi, p.env], [undefined, undefined]);
  assertEquals(evalPermissions({ checkpoint: "ck" }).write, []);
  assertEquals(
    evalPermissions({ checkpoint: "ck" }).ffi,
    [...OPENBLAS_CANDIDATE_PATHS],
    "default auto",
  );
  const blas = evalPermissions({ checkpoint: "ck", backend: "cpu-blas", data: "v.jsonl" });
  assertEquals(blas.ffi, [...OPENBLAS_CANDIDATE_PATHS]);
  assertEquals(blas.env, ["OPENBLAS_NUM_THREADS"]);
  assert(blas.read.includes("v.jsonl") && !blas.read.includes("data/generated/world/val.jsonl"));
});

Deno.test("popularity reference from files equals the world's popularity baseline on the smoke world's val", async () => {
  const world = await generateWorld(worldPreset("smoke"));
  const dir = await Deno.makeTempDir({ prefix: "convrec_eval_pop_" });
  try {
    const paths = await writeWorld(dir, world);
    const catalog = await loadCatalog(paths.catalog);
    const train = await readAll(paths.train);
    const val = await readAll(paths.val);
    // the full ranking: counts, then IMDB votes (read back from the CSV), then catalog order
    assertEquals(
      popularityRanking(train, catalog),
      popularityOrder(world.records.train, world.catalog),
    );
    const ks = [5, 10, 20];
    const world20 = (w: typeof world) =>
      scoreReferenceRankers(w, { split: "val", ks }).find((p) => p.method === "popularity")!;
    const all = popularityReference(val, train, { catalog, ks });
    const ref = world20(world);
    assertEquals(all.rows, val.length);
    assertEquals(all.rows, ref.records);
    for (const k of ks) {
      assertEquals(all.metrics[`ndcg@${k}`], ref.ndcg[k], `ndcg@${k}`);
      assertEquals(all.metrics[`recall@${k}`], ref.recall[k], `recall@${k}`);
    }
    assert(all.metrics["ndcg@20"] > 0, "popularity finds some hits on the smoke world");
    // first N conversations: the same rows as the world baseline restricted to those conversations
    const n = 5;
    const part = popularityReference(val, train, { catalog, ks, conversations: n });
    const keys = new Set<string>();
    const rows = world.records.val.filter((r) => {
      const key = conversationKey(r as ConversationRecord);
      if (keys.size < n) keys.add(key);
      return keys.has(key);
    });
    assertEquals(part.conversations, n);
    assertEquals(part.rows, rows.length);
    assert(part.rows < all.rows);
    const sub = world20({ ...world, records: { ...world.records, val: rows } });
    assertEquals(part.metrics["ndcg@20"], sub.ndcg[20]);
    assertEquals(part.metrics["recall@10"], sub.recall[10]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("convrec eval: a tiny untrained checkpoint end to end, popularity on the same rows, --out", async () => {
  const f = await writeFixture();
  await useBackend("wasm");
  try {
    const tokenizer = await loadTokenizer(f.tokenizer);
    const config = {
      ...presetConfig("builtin-small"),
      vocab_size: tokenizer.vocabSize,
      eos_token_id: tokenizer.eosId,
    };
    const weights = initWeights(config, { seed: 5 });
    const ckpt = join(f.dir, "ckpt");
    try {
      await saveCheckpoint(ckpt, weights, config);
    } finally {
      disposeWeights(weights);
    }
    for await (const e of Deno.readDir(f.tokenizer)) {
      if (e.isFile) await Deno.copyFile(join(f.tokenizer, e.name), join(ckpt, e.name));
    }
    const out = join(f.dir, "eval", "val.json");
    const logs: string[] = [];
    const opts = parseOptions(EvalOptionsSchema, {
      checkpoint: ckpt,
      data: f.val,
      catalog: f.catalog,
      train: f.data,
      k: "5,20",
      "max-new-tokens": "12",
      "max-prompt-tokens": "80",
      conversations: "2",
      decoding: "catalog",
      backend: "wasm",
      out,
    });
    const report = await runEvalCommand(opts, (l) => logs.push(l));
    assertEquals(Object.keys(report).sort(), [
      "backend",
      "catalog",
      "checkpoint",
      "conversations",
      "data",
      "decoding",
      "metrics",
      "popularity",
      "ratio_ndcg20",
      "rows",
      "train",
    ]);
    assertEquals([report.checkpoint, report.decoding, report.backend], [ckpt, "catalog", "wasm"]);
    assertEquals(report.conversations, 2);
    assertEquals(report.metrics.conversations, 2);
    assertEquals(report.metrics.rows, report.rows);
    for (const key of ["recall@5", "ndcg@5", "recall@20", "ndcg@20", "in_catalog"]) {
      assert(Number.isFinite(report.metrics[key]), `metrics.${key}`);
    }
    // the popularity numbers are exactly the pure function's on the same first 2 conversations
    const expected = popularityReference(await readAll(f.val), await readAll(f.data), {
      catalog: await loadCatalog(f.catalog),
      ks: [5, 20],
      conversations: 2,
    });
    assertEquals(expected.rows, report.rows);
    assertEquals(report.popularity, expected.metrics);
    assertEquals(Object.keys(report.popularity).sort(), [
      "ndcg@20",
      "ndcg@5",
      "recall@20",
      "recall@5",
    ]);
    const pop20 = report.popularity["ndcg@20"];
    assertEquals(
      report.ratio_ndcg20,
      pop20 === 0 ? null : report.metrics["ndcg@20"] / pop20,
    );
    assertEquals(JSON.parse(await Deno.readTextFile(out)), JSON.parse(JSON.stringify(report)));
    assert(logs.some((l) => l.includes("2 conversations")), logs.join("\n"));

    // the same run through the least-privilege launcher, as a user types it
    const launched = join(f.dir, "launched", "val.json");
    const r = await launchCli([
      "eval",
      "--checkpoint",
      ckpt,
      "--data",
      f.val,
      "--catalog",
      f.catalog,
      "--train",
      f.data,
      "--k",
      "5,20",
      "--max-new-tokens",
      "12",
      "--max-prompt-tokens",
      "80",
      "--conversations",
      "2",
      "--decoding",
      "catalog",
      "--out",
      launched,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout);
    assertEquals(printed.popularity, report.popularity);
    assertEquals(printed.rows, report.rows);
    const untimed = (m: Record<string, number>) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => k !== "gen_tokens_per_s"));
    assertEquals(untimed(printed.metrics), untimed(report.metrics));
    assertEquals(JSON.parse(await Deno.readTextFile(launched)), printed);
    const bad = await launchCli(["eval", "--checkpoint", ckpt, "--decodng", "greedy"]);
    assertEquals(bad.code, 2);
    assert(bad.stderr.includes("unknown option --decodng"), bad.stderr);

    // missing inputs name the path and the fix
    await assertRejects(
      () => runEvalCommand({ ...opts, checkpoint: join(f.dir, "nope"), out: undefined }),
      "no such folder (expected a checkpoint folder",
    );
    await assertRejects(
      () => runEvalCommand({ ...opts, checkpoint: f.dir, out: undefined }),
      "config.json missing",
    );
    await assertRejects(
      () => runEvalCommand({ ...opts, data: join(f.dir, "none.jsonl"), out: undefined }),
      `--data ${join(f.dir, "none.jsonl")}: no such file or folder`,
    );
    await assertRejects(
      () =>
        runEvalCommand({
          ...parseOptions(EvalOptionsSchema, { checkpoint: ckpt, catalog: f.catalog }),
          train: "data/generated/world/__absent__.jsonl",
        }),
      "run `convrec world`",
    );
  } finally {
    await useBackend("cpu");
    await Deno.remove(f.dir, { recursive: true });
  }
});
