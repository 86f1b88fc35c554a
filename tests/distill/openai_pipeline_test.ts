// Issue 3 end to end: the same `distill` pipeline pointed at an OpenAI-compatible endpoint by config
// only (a fake teacher LLM on 127.0.0.1), in process and through the least-privilege CLI launcher.

import { assert, assertEquals } from "../_assert.ts";
import { catalogFromItems } from "../../lib/catalog/catalog.ts";
import { type Item, parseList } from "../../lib/catalog/parse_list.ts";
import { readRecords } from "../../lib/data/read_records.ts";
import type { ConversationRecord } from "../../lib/data/record.ts";
import { generateWorld } from "../../lib/data/world/generate.ts";
import { distill, type DistillConfigInput } from "../../lib/distill/pipeline.ts";
import { readAllText, startFakeServer } from "./teacher/_fake_server.ts";
import { DRAFT_HALLUCINATED, fakeTeacherLlm, requestKind } from "./_fake_teacher_llm.ts";
import { launchCli } from "../cli/_launch.ts";

const KEY_ENV = "CONVREC_TEST_TEACHER_KEY";
const KEY = "sk-test-FAKE-e2e-KEY-9f8e7d6c5b4a3210";
const WORLD = { seed: 11, conversations: { train: 40, val: 15, test: 15 } };

/** Counts of requests by kind among `reqs`. */
function kinds(reqs: readonly Parameters<typeof requestKind>[0][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of reqs) out[requestKind(r)] = (out[requestKind(r)] ?? 0) + 1;
  return out;
}

/** Every demonstration is 20 catalog lines, none seen, none repeated, nothing dropped. */
function assertGrounded(
  demos: Record<string, readonly ConversationRecord[]>,
  has: (t: string, y: number) => boolean,
): void {
  for (const [split, recs] of Object.entries(demos)) {
    assert(recs.length > 0, `${split}: no demonstrations`);
    for (const r of recs) {
      const p = parseList(r.completion![0].content);
      assertEquals(p.items.length, 20, `${split}: list length`);
      assertEquals(p.dropped, 0, `${split}: dropped lines`);
      assert(p.items.every(([t, y]) => has(t, y)), `${split}: an item outside the catalog`);
      assert(p.items.every(([t]) => !r.seen_titles.includes(t)), `${split}: a seen title`);
      assertEquals(new Set(p.items.map(([t, y]) => `${t} (${y})`)).size, 20, `${split}: repeats`);
    }
  }
}

Deno.test("distill over an OpenAI-compatible endpoint: grounded demonstrations, evaluation, cache pays once, key never written", async () => {
  const world = await generateWorld(WORLD);
  const items: Item[] = world.catalog.map((m) => [m.title, m.year]);
  const catalog = catalogFromItems(items.map(([title, year]) => ({ title, year, meta: {} })));
  const server = startFakeServer(fakeTeacherLlm(items));
  const dir = await Deno.makeTempDir({ prefix: "openai-pipeline-" });
  const prevKey = Deno.env.get(KEY_ENV);
  Deno.env.set(KEY_ENV, KEY);
  try {
    const client = {
      baseUrl: server.baseUrl,
      model: "fake-teacher",
      cacheDir: `${dir}/cache`,
      apiKeyEnv: KEY_ENV,
      concurrency: 16,
      maxRetries: 0,
    };
    const config: DistillConfigInput = {
      source: { kind: "world", world: WORLD },
      teacher: { kind: "openai", client },
      gpu: "cpu",
      evaluate: true,
      out: `${dir}/out1`,
    };
    const logs: string[] = [];
    let t0 = performance.now();
    const r1 = await distill(config, { log: (l) => logs.push(l) });
    const first = (performance.now() - t0) / 1000;
    const seen1 = kinds(server.requests);
    console.log(
      `${logs.join("\n")}\nfirst run ${first.toFixed(1)} s, requests ${JSON.stringify(seen1)}`,
    );

    assertEquals(r1.teacher, `openai:fake-teacher@${server.hostPort}`);
    assert(server.requests.every((q) => q.authorization === `Bearer ${KEY}`), "key sent as Bearer");
    // One draft and one Reflect per conversation; one describe per catalog item and per novel item.
    const conversations = Number(r1.stages.find((s) => s.stage === "load")!.counts.conversations);
    const novel = Number(
      r1.stages.find((s) => s.stage === "describe+embed teacher items")!.counts.novel_items,
    );
    assert(novel >= DRAFT_HALLUCINATED, `novel items ${novel}`);
    assertEquals(seen1, {
      draft: conversations,
      reflect: conversations,
      describe: items.length + novel,
    });
    assertEquals(r1.reflect.candidates, conversations * 100);
    assertEquals(r1.reflect.unrated, 0);
    assertEquals(
      r1.reflect.droppedLines,
      conversations,
      "the judge's commentary line, once per call",
    );

    assertGrounded(r1.demonstrations, (t, y) => catalog.has(t, y));
    const trainConvs = new Set(world.records.train.map((x) => x.prompt[0].content)).size;
    assertEquals(
      new Set(r1.demonstrations.train.map((x) => x.prompt[0].content)).size,
      Math.round(0.25 * trainConvs),
    );
    assertEquals(r1.demonstrations.val.length, world.records.val.length);
    const ev = r1.evaluation!.val;
    assertEquals(Object.keys(ev).sort(), [
      "full",
      "no-adjust",
      "no-reflect",
      "no-remap-reflect",
      "teacher",
    ]);
    assertEquals(ev.full.in_catalog, 1);
    assertEquals(ev.full.format_violations, 0);
    assert(ev.teacher.in_catalog < 1, `teacher in_catalog ${ev.teacher.in_catalog}`);

    // A re-run with the same config and cache sends nothing and reproduces every byte.
    const before = server.hits();
    t0 = performance.now();
    const r2 = await distill({ ...config, out: `${dir}/out2` }, { log: (l) => logs.push(l) });
    const second = (performance.now() - t0) / 1000;
    console.log(`second run ${second.toFixed(1)} s, requests ${server.hits() - before}`);
    assertEquals(server.hits() - before, 0, "requests on the cached re-run");
    assertEquals(r2.demonstrations, r1.demonstrations);
    assertEquals(r2.evaluation, r1.evaluation);
    for (const f of ["train.jsonl", "val.jsonl"]) {
      assertEquals(
        await Deno.readTextFile(`${dir}/out2/${f}`),
        await Deno.readTextFile(`${dir}/out1/${f}`),
      );
    }

    // The endpoint embedder, same cache: drafts and descriptions are not paid again; new embeddings
    // move Remap's candidates, so Reflect sees new lists.
    const before3 = server.hits();
    const r3 = await distill({
      ...config,
      teacher: { kind: "openai", client: { ...client, embeddingModel: "fake-embed" } },
      embedder: { kind: "endpoint" },
      out: null,
    });
    const seen3 = kinds(server.requests.slice(before3));
    assertEquals([seen3.draft, seen3.describe, seen3.other], [undefined, undefined, undefined]);
    assert(seen3.embeddings > 0 && seen3.reflect > 0, JSON.stringify(seen3));
    assertEquals(r3.embedder, "endpoint:fake-embed");
    assertGrounded(r3.demonstrations, (t, y) => catalog.has(t, y));

    const written = await readAllText(dir);
    assert(!written.includes(KEY), "the key was written under the cache or output folders");
    assert(!logs.join("\n").includes(KEY), "the key was logged");
  } finally {
    if (prevKey === undefined) Deno.env.delete(KEY_ENV);
    else Deno.env.set(KEY_ENV, prevKey);
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("convrec distill --config (endpoint teacher) through the launcher: scoped --allow-net/--allow-env suffice", async () => {
  const world = await generateWorld(WORLD);
  const items: Item[] = world.catalog.map((m) => [m.title, m.year]);
  const catalog = catalogFromItems(items.map(([title, year]) => ({ title, year, meta: {} })));
  const server = startFakeServer(fakeTeacherLlm(items));
  const dir = await Deno.makeTempDir({ prefix: "openai-cli-" });
  try {
    const configFile = `${dir}/config.json`;
    await Deno.writeTextFile(
      configFile,
      JSON.stringify({
        source: { kind: "world", world: WORLD },
        teacher: {
          kind: "openai",
          client: {
            baseUrl: server.baseUrl,
            model: "fake-teacher",
            cacheDir: `${dir}/cache`,
            apiKeyEnv: KEY_ENV,
            concurrency: 16,
            maxRetries: 0,
          },
        },
        gpu: "cpu",
        evaluate: true,
      }),
    );
    const t0 = performance.now();
    const run = await launchCli(["distill", "--config", configFile, "--out", `${dir}/out`], {
      env: { [KEY_ENV]: KEY, CONVREC_DENO: "1" },
    });
    const { stdout, stderr } = run;
    console.log(`CLI run ${((performance.now() - t0) / 1000).toFixed(1)} s\n${stderr}`);
    assertEquals(run.code, 0, stderr);
    // The launcher's child got exactly the endpoint's host and the key's variable, nothing wider.
    const launched = stderr.split("\n").find((l) => l.startsWith("convrec: deno "))!;
    assert(launched.includes(` --allow-net=${server.hostPort} `), launched);
    assert(launched.includes(` --allow-env=${KEY_ENV} `), launched);
    assert(!/ -A | --allow-all| --allow-net /.test(launched), launched);

    const seen = kinds(server.requests);
    assert(
      seen.draft > 0 && seen.reflect > 0 && seen.describe > items.length,
      JSON.stringify(seen),
    );
    assert(server.requests.every((q) => q.authorization === `Bearer ${KEY}`), "key sent as Bearer");
    const report = JSON.parse(await Deno.readTextFile(`${dir}/out/report.json`));
    assertEquals(report.teacher, `openai:fake-teacher@${server.hostPort}`);
    assertEquals(report.evaluation.val.full.in_catalog, 1);
    const demos: Record<string, ConversationRecord[]> = {};
    for (const split of ["train", "val"]) {
      demos[split] = [];
      for await (const { record } of readRecords(`${dir}/out/${split}.jsonl`)) {
        demos[split].push(record);
      }
    }
    assertGrounded(demos, (t, y) => catalog.has(t, y));
    assert(!(await readAllText(dir)).includes(KEY), "the key was written to disk");
    assert(!stdout.includes(KEY) && !stderr.includes(KEY), "the key was printed");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("distillPermissions: a world config's catalog_path is granted for reading", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/c.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ source: { kind: "world", world: { catalog_path: `${dir}/my_movies.json` } } }),
  );
  const { distillPermissions } = await import("../../lib/cli/distill.ts");
  const read = distillPermissions({ config }).read;
  if (!read.includes(`${dir}/my_movies.json`)) throw new Error(`not granted: ${read.join(", ")}`);
});
