// openaiTeacher end to end against a fake OpenAI-compatible server: draft, rate (messy judge output),
// describe, embed; a second teacher on the same cache sends nothing.

import { assert, assertEquals } from "../../_assert.ts";
import { openaiTeacher } from "../../../lib/distill/teacher/openai_teacher.ts";
import { parseList } from "../../../lib/catalog/parse_list.ts";
import type { Item } from "../../../lib/catalog/parse_list.ts";
import type { Teacher } from "../../../lib/distill/teacher/teacher.ts";
import { chatJson, type FakeRequest, startFakeServer, userContent } from "./_fake_server.ts";

const KEY_ENV = "CONVREC_TEST_TEACHER_KEY";
const CONVERSATION = "USER: I loved Heat (1995). Any other tense crime films?\n";
const CANDIDATES: Item[] = [["Heat", 1995], ["Collateral", 2004], ["Ronin", 1998], ["Up", 2009]];

/** A fake teacher model: answers each prompt kind in a deliberately messy but valid way. */
function fakeModel(req: FakeRequest): Response {
  if (req.path === "/v1/embeddings") {
    return Response.json({
      data: (req.body.input as string[]).map((t, index) => ({ index, embedding: [t.length, 0] })),
    });
  }
  const content = userContent(req);
  if (content.startsWith("You are a film encyclopedia.")) {
    return chatJson(
      "**Keywords:** crime, heist, Los Angeles\n\n**Plot:** A thief and a cop.\nOne last job.",
    );
  }
  if (content.includes("####rating")) {
    const lines = content.split("Here are the candidates:\n")[1].split("\n");
    // Rates all but the last, numbered, with a comment line and a repeat.
    const rated = lines.slice(0, -1).map((l, i) => `${i + 1}. ${l} #### ${2 - i}`);
    return chatJson(["Sure! Here are the ratings:", ...rated, `${lines[0]}####-2`].join("\n"));
  }
  const n = Number(/reply with (\d+) recommendations/.exec(content)![1]);
  return chatJson(
    Array.from({ length: n }, (_, i) => `${i + 1}. Movie ${i} (${2000 + i})`).join("\n"),
    n > 3 ? "length" : "stop",
  );
}

Deno.test("openaiTeacher: draft, rate, describe, embed over HTTP; the re-run is served from cache", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "teacher-cache-" });
  Deno.env.set(KEY_ENV, "sk-test-FAKE-KEY-0123456789abcdef");
  const server = startFakeServer(fakeModel);
  try {
    const config = {
      baseUrl: server.baseUrl,
      model: "judge",
      embeddingModel: "emb",
      cacheDir,
      apiKeyEnv: KEY_ENV,
    };
    const teacher = openaiTeacher(config);
    assertEquals(teacher.name, `openai:judge@${server.hostPort}`);

    const short = await teacher.draft(CONVERSATION, { n: 3 });
    assertEquals(parseList(short.text).items, [["Movie 0", 2000], ["Movie 1", 2001], [
      "Movie 2",
      2002,
    ]]);
    assertEquals(short.truncated, false);
    assertEquals((await teacher.draft(CONVERSATION)).truncated, true); // n = 20 answered with "length"
    assert(userContent(server.requests[1]).includes("reply with 20 recommendations"));

    const r = await teacher.rate(CONVERSATION, CANDIDATES);
    assertEquals(r.ratings, [2, 1, 0, null]);
    assertEquals([r.missing, r.unparsed, r.duplicates, r.truncated], [1, 1, 1, false]);
    const judgePrompt = userContent(server.requests[2]);
    assert(judgePrompt.includes(`Here is the conversation: ${CONVERSATION}`), judgePrompt);

    const d = await teacher.describe(["Heat", 1995]);
    assertEquals(
      d.text,
      "Heat (1995)\nKeywords: crime, heist, Los Angeles\nPlot: A thief and a cop. One last job.",
    );

    const v = await teacher.embed([d.text, "ab"]);
    assertEquals(v.map((x) => Array.from(x)), [[d.text.length, 0], [2, 0]]);
    assertEquals((await teacher.rate(CONVERSATION, [])).ratings, []);
    const hits = server.hits();
    assertEquals(hits, 5);

    const again: Teacher = openaiTeacher(config);
    assertEquals((await again.rate(CONVERSATION, CANDIDATES)).ratings, r.ratings);
    assertEquals((await again.describe(["Heat", 1995])).text, d.text);
    assertEquals((await again.draft(CONVERSATION, { n: 3 })).text, short.text);
    assertEquals(server.hits(), hits);
  } finally {
    await server.close();
    Deno.env.delete(KEY_ENV);
    await Deno.remove(cacheDir, { recursive: true });
  }
});
