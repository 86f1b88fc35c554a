// Tests of the world generator: strict config, determinism per seed, the Reddit-v2 record format,
// time splits, hidden truth kept out of records, variety of phrasing, and atomic writing.
import { assert, assertEquals, assertNotEquals, assertThrows } from "../../_assert.ts";
import { parse } from "csv-parse/sync";
import { parseWorldConfig } from "../../../lib/data/world/config.ts";
import { renderTurns } from "../../../lib/data/world/conversation.ts";
import {
  addMonths,
  generateWorld,
  generateWorldFromRows,
  type World,
} from "../../../lib/data/world/generate.ts";
import { readVegaMovies } from "../../../lib/data/world/movies.ts";
import * as P from "../../../lib/data/world/phrases.ts";
import {
  conversationFromPrompt,
  RECOMMENDATION_PROMPT_PREFIX,
} from "../../../lib/data/world/prompt.ts";
import { writeWorld } from "../../../lib/data/world/write_world.ts";

const SMALL = { conversations: { train: 120, val: 30, test: 30 }, seed: 5 };
const rows = await readVegaMovies();

Deno.test("config: defaults fill in; unknown keys, bad types and bad ranges fail naming the field", () => {
  const c = parseWorldConfig({});
  assertEquals(c.conversations, { train: 1500, val: 150, test: 150 });
  assertEquals(c.groundtruth_per_reply, [1, 5]);
  assertThrows(() => parseWorldConfig({ sede: 1 }), "sede");
  assertThrows(
    () => parseWorldConfig({ conversations: { train: 1, val: 1, test: 1, dev: 2 } }),
    "dev",
  );
  assertThrows(() => parseWorldConfig({ taste_temperature: 0 }), "field taste_temperature");
  assertThrows(
    () => parseWorldConfig({ groundtruth_per_reply: [3, 2] }),
    "field groundtruth_per_reply",
  );
  assertThrows(
    () => parseWorldConfig({ turns_per_conversation: [1, 4] }),
    "field turns_per_conversation",
  );
  assertThrows(() => parseWorldConfig({ start_month: "2012-13" }), "start_month");
});

Deno.test("addMonths and renderTurns", () => {
  assertEquals(addMonths("2012-11", 3), "2013-02");
  assertEquals(addMonths("2012-01", 0), "2012-01");
  assertEquals(
    renderTurns([{ role: "USER", text: "Hi." }, { role: "SYSTEM", text: "Why?" }]),
    "USER: Hi.\nSYSTEM: Why?\n",
  );
});

Deno.test("same seed → identical world; different seed → different records", () => {
  const a = generateWorldFromRows(rows, SMALL);
  const b = generateWorldFromRows(rows, SMALL);
  assertEquals(JSON.stringify(a.records), JSON.stringify(b.records));
  assertEquals(JSON.stringify(a.truth), JSON.stringify(b.truth));
  const c = generateWorldFromRows(rows, { ...SMALL, seed: 6 });
  assertNotEquals(
    c.records.train.map((r) => r.prompt[0].content),
    a.records.train.map((r) => r.prompt[0].content),
  );
});

function checkWorld(w: World) {
  const catalog = new Set(w.catalog.map((m) => `${m.title}|${m.year}`));
  const ids = new Set<string>();
  const byConv = new Map<string, string>();
  for (const split of ["train", "val", "test"] as const) {
    for (const r of w.records[split]) {
      assertEquals(Object.keys(r).sort(), [
        "groundtruth_with_release_year",
        "id",
        "prompt",
        "seen_titles",
        "split",
        "time",
      ]);
      assertEquals(r.split, split);
      assert(!ids.has(r.id), `duplicate id ${r.id}`);
      ids.add(r.id);
      assertEquals(r.prompt.length, 1);
      assertEquals(r.prompt[0].role, "user");
      const conv = conversationFromPrompt(r.prompt[0].content);
      assert(
        /^USER: .+\n(SYSTEM: .+\n(USER: .+\n)?)?$/.test(conv),
        `turn structure: ${JSON.stringify(conv)}`,
      );
      assert(r.seen_titles.length >= 1 && r.seen_titles.length <= 3);
      for (const t of r.seen_titles) {
        assert(conv.includes(t), `seen "${t}" not mentioned in ${conv}`);
      }
      const [lo, hi] = w.config.groundtruth_per_reply;
      const n = r.groundtruth_with_release_year.length;
      assert(n >= lo && n <= hi, `gt count ${n}`);
      for (const [t, y] of r.groundtruth_with_release_year) {
        assert(typeof y === "string" && catalog.has(`${t}|${y}`), `gt ${t} (${y}) not in catalog`);
        assert(!r.seen_titles.includes(t), `gt ${t} is seen`);
      }
      assertEquals(new Set(r.groundtruth_with_release_year.map(([t, y]) => t + y)).size, n);
      const truth = w.truth[r.id];
      assert(truth, `no truth for ${r.id}`);
      const prev = byConv.get(truth.conversation_id);
      if (prev !== undefined) assertEquals(r.prompt[0].content, prev);
      byConv.set(truth.conversation_id, r.prompt[0].content);
      assert(!JSON.stringify(r).includes("creative_types"), "taste leaked into a record");
    }
  }
  assertEquals(Object.keys(w.truth).length, ids.size);
  const times = (s: "train" | "val" | "test") => w.records[s].map((r) => r.time).sort();
  assert(times("train").at(-1)! < times("val")[0], "train must end before val starts");
  assert(times("val").at(-1)! < times("test")[0], "val must end before test starts");
  for (const s of ["train", "val", "test"] as const) {
    assertEquals(w.records[s].map((r) => r.time), times(s), `${s} records are in time order`);
  }
  return byConv.size;
}

Deno.test("records follow the Reddit-v2 format, split by time, with several replies per conversation", () => {
  const w = generateWorldFromRows(rows, SMALL);
  const convs = checkWorld(w);
  assertEquals(convs, 180);
  const records = w.records.train.length + w.records.val.length + w.records.test.length;
  assert(records > convs * 1.5, `replies per conversation: ${records / convs}`);
  assert(w.records.train[0].prompt[0].content.startsWith(RECOMMENDATION_PROMPT_PREFIX));
});

Deno.test("the wrapper is byte-identical to the real Reddit-v2 prompts (when the sample is present)", async () => {
  const path = "/work/shared/data/reddit-v2/sft_sample.jsonl";
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    console.log(`skipped: ${path} not present on this machine`);
    return;
  }
  for (const line of text.split("\n").filter((l) => l.trim())) {
    const content = JSON.parse(line).prompt[0].content as string;
    assert(content.startsWith(RECOMMENDATION_PROMPT_PREFIX + "USER: "), "prefix differs");
  }
});

Deno.test("phrasing varies: many distinct openings and constructions, mentions with and without years", () => {
  const w = generateWorldFromRows(rows, {
    ...SMALL,
    conversations: { train: 400, val: 10, test: 10 },
  });
  const convs = [
    ...new Set(w.records.train.map((r) => conversationFromPrompt(r.prompt[0].content))),
  ];
  const openings = new Set(
    convs.map((c) =>
      c.slice(6).split(/[.?!]/)[0].replace(/\b[A-Z][\w'’:-]*( [A-Z][\w'’:-]*)*/g, "X")
    ),
  );
  assert(openings.size >= 30, `only ${openings.size} distinct openings`);
  const sentences = new Set(
    convs.flatMap((c) => c.split(/(?<=[.!?]) /)).map((s) => s.slice(0, 12)),
  );
  assert(sentences.size >= 100, `only ${sentences.size} distinct sentence starts`);
  assert(convs.some((c) => /\(\d{4}\)/.test(c)) && convs.some((c) => c.includes("SYSTEM: ")));
  for (const list of [P.LIKE_GENRE, P.SEEN_ONE, P.POST_TITLES, P.DISLIKE_GENRE]) {
    assert(list.length >= 6);
  }
});

Deno.test("generateWorld on the default config: sizes and speed; writeWorld writes readable files", async () => {
  const t0 = performance.now();
  const w = await generateWorld({});
  const ms = performance.now() - t0;
  console.log(
    `default world: ${w.catalog.length} movies (drops ${JSON.stringify(w.drops)}), records ` +
      `train ${w.records.train.length} / val ${w.records.val.length} / test ${w.records.test.length}, ${
        ms.toFixed(0)
      } ms`,
  );
  checkWorld(w);
  const dir = await Deno.makeTempDir({ prefix: "world_test_" });
  try {
    const paths = await writeWorld(dir, w);
    const val = (await Deno.readTextFile(paths.val)).trimEnd().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertEquals(val, w.records.val);
    const cat = parse(await Deno.readTextFile(paths.catalog), { columns: true }) as Record<
      string,
      string
    >[];
    assertEquals(cat.length, w.catalog.length);
    assertEquals(
      cat.map((r) => `${r.title} (${r.year})`),
      w.catalog.map((m) => `${m.title} (${m.year})`),
    );
    const truth = JSON.parse(await Deno.readTextFile(paths.truth));
    assertEquals(Object.keys(truth).length, Object.keys(w.truth).length);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tmp"));
    assertEquals(left, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
