import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { hfShardFiles, readHfDataset, writeHfDataset } from "../../lib/data/hf_datasets.ts";
import type { ReadHfDatasetOptions } from "../../lib/data/hf_datasets.ts";
import { readJsonlAll } from "../../lib/data/jsonl.ts";
import { ConversationRecordSchema } from "../../lib/data/record.ts";
import type { ConversationRecord } from "../../lib/data/record.ts";

const FIXTURES = new URL("../fixtures/data/", import.meta.url).pathname;
const SAMPLE = new URL("../../../shared/data/reddit-v2/sft_sample.jsonl", import.meta.url).pathname;

async function readAll(
  dir: string,
  options: ReadHfDatasetOptions = {},
): Promise<ConversationRecord[]> {
  const out: ConversationRecord[] = [];
  for await (const r of readHfDataset(dir, ConversationRecordSchema, options)) out.push(r.value);
  return out;
}

async function jsonl(path: string): Promise<ConversationRecord[]> {
  return (await readJsonlAll(path, ConversationRecordSchema)).records.map((r) => r.value);
}

Deno.test("readHfDataset: a folder written by Hugging Face datasets 5.0.1 (2 shards)", async () => {
  const dir = `${FIXTURES}hf_datasets_made`;
  assertEquals((await hfShardFiles(dir)).map((p) => p.split("/").at(-1)), [
    "data-00000-of-00002.arrow",
    "data-00001-of-00002.arrow",
  ]);
  const got = await readAll(dir);
  const want = await jsonl(`${FIXTURES}hf_source.jsonl`);
  assertEquals(got, want); // incl. unicode, a system message, a null completion, int64 ids
  assertEquals(got[2].completion, undefined);
  assertEquals(got.map((r) => r.id), [1, 2, 3]);
});

Deno.test("writeHfDataset → readHfDataset round-trip on the real sample records, sharded", async () => {
  const records = await jsonl(SAMPLE);
  const edited: ConversationRecord[] = records.map((r, i) =>
    i === 3 ? { ...r, id: "r3", time: 7 } : r
  );
  const { completion: _, ...noCompletion } = edited[5];
  edited[5] = noCompletion;
  const dir = await Deno.makeTempDir();
  try {
    for (const numShards of [1, 3]) {
      await writeHfDataset(`${dir}/ds`, edited, { numShards, batchRows: 7 });
      assertEquals((await hfShardFiles(`${dir}/ds`)).length, numShards);
      const back = await readAll(`${dir}/ds`);
      assertEquals(back, edited);
    }
    const info = JSON.parse(await Deno.readTextFile(`${dir}/ds/dataset_info.json`));
    assertEquals(Object.keys(info.features), [
      "prompt",
      "completion",
      "seen_titles",
      "groundtruth_with_release_year",
      "id",
      "time",
    ]);
    assertEquals(info.features.prompt, [{
      content: { dtype: "string", _type: "Value" },
      role: { dtype: "string", _type: "Value" },
    }]);
    assertEquals(info.features.time, { dtype: "int64", _type: "Value" });
    const state = JSON.parse(await Deno.readTextFile(`${dir}/ds/state.json`));
    assertEquals(state._data_files.length, 3);
    assert(/^[0-9a-f]{16}$/.test(state._fingerprint));
    // without state.json the shards are found by name
    await Deno.remove(`${dir}/ds/state.json`);
    assertEquals(await readAll(`${dir}/ds`), edited);
    // an empty dataset still makes one readable shard
    await writeHfDataset(`${dir}/empty`, []);
    assertEquals(await readAll(`${dir}/empty`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readHfDataset: schema failures name shard and row; skip policy; DatasetDict split", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = await jsonl(`${FIXTURES}hf_source.jsonl`);
    const bad = recs.map((r, i) =>
      i === 1
        ? { ...r, extra: "x", groundtruth_with_release_year: [["A", "19x5"] as [string, string]] }
        : r
    );
    await writeHfDataset(`${dir}/d/train`, bad, { numShards: 2 });
    await writeHfDataset(`${dir}/d/test`, recs.slice(0, 1));
    await Deno.writeTextFile(`${dir}/d/dataset_dict.json`, '{"splits": ["train", "test"]}');
    await assertRejects(
      () => readAll(`${dir}/d`),
      'a DatasetDict folder; expected option split to be one of ["train","test"]',
    );
    assertEquals((await readAll(`${dir}/d`, { split: "test" })).length, 1);
    await assertRejects(
      () => readAll(`${dir}/d`, { split: "train" }),
      "data-00000-of-00002.arrow[row 1]: field groundtruth_with_release_year[0][1]: expected an integer year",
    );
    const skipped: string[] = [];
    const kept = await readAll(`${dir}/d`, {
      split: "train",
      onInvalid: "skip",
      onSkip: (i) => skipped.push(`${i.row}`),
    });
    assertEquals([kept.length, skipped], [2, ["1"]]);
    await Deno.writeTextFile(`${dir}/d/test/data-00000-of-00001.arrow`, "not arrow");
    await assertRejects(() => readAll(`${dir}/d`, { split: "test" }), "not an Arrow IPC stream");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A python that has `datasets` installed, if any (CONVREC_PYTHON, python3, /usr/bin/python3). */
function pythonWithDatasets(): string | null {
  for (const py of [Deno.env.get("CONVREC_PYTHON"), "python3", "/usr/bin/python3"]) {
    if (!py) continue;
    try {
      const r = new Deno.Command(py, {
        args: ["-c", "import datasets"],
        stdout: "null",
        stderr: "null",
      }).outputSync();
      if (r.success) return py;
    } catch { /* not there */ }
  }
  return null;
}

const PY = pythonWithDatasets();
Deno.test({
  name: `writeHfDataset output loads in Python datasets.load_from_disk${
    PY ? "" : " (skipped: no python with the `datasets` package; set CONVREC_PYTHON)"
  }`,
  ignore: PY === null,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const recs = await jsonl(SAMPLE);
      await writeHfDataset(`${dir}/ds`, recs, { numShards: 2 });
      const script = "import datasets,json,sys\nds=datasets.load_from_disk(sys.argv[1])\n" +
        "print(json.dumps({'features': {k: str(v) for k, v in ds.features.items()}, 'rows': ds.to_list()}))";
      const out = new Deno.Command(PY!, { args: ["-c", script, `${dir}/ds`], stderr: "inherit" })
        .outputSync();
      assert(out.success, "load_from_disk failed");
      const got = JSON.parse(new TextDecoder().decode(out.stdout));
      assertEquals(
        got.features.prompt,
        "List({'content': Value('string'), 'role': Value('string')})",
      );
      assertEquals(got.features.groundtruth_with_release_year, "List(List(Value('string')))");
      const want = recs.map((r) => ({
        ...r,
        prompt: r.prompt.map((m) => ({ content: m.content, role: m.role })),
        completion: r.completion!.map((m) => ({ content: m.content, role: m.role })),
      }));
      assertEquals(got.rows, JSON.parse(JSON.stringify(want)));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
