// The prompt builders: the Reddit-v2 wrapper is reused verbatim, counts rewritten only in the wrapper.

import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import {
  conversationText,
  describePrompt,
  draftPrompt,
  fillTemplate,
  REFLECT_PROMPT,
  reflectPrompt,
} from "../../../lib/distill/teacher/prompts.ts";

const SAMPLE = "/work/shared/data/reddit-v2/sft_sample.jsonl";
const haveSample = await Deno.stat(SAMPLE).then(() => true, () => false);

Deno.test({
  name: `draftPrompt keeps a real record's prompt byte for byte${
    haveSample ? "" : " (skipped: no sample data)"
  }`,
  ignore: !haveSample,
  fn: async () => {
    const first = JSON.parse((await Deno.readTextFile(SAMPLE)).split("\n")[0]);
    const content: string = first.prompt[0].content;
    assertEquals(draftPrompt(content), content);
    assertEquals(draftPrompt(conversationText(content)), content); // bare dialogue gets the same wrapper
  },
});

Deno.test("draftPrompt rewrites the count in the wrapper only", () => {
  const p = draftPrompt("USER: I want to reply with 20 recommendations of my own.\n", 5);
  assert(p.includes("you need to reply with 5 recommendations."), p);
  assert(p.endsWith("USER: I want to reply with 20 recommendations of my own.\n"), p);
  assertThrows(() => draftPrompt("USER: x", 0), "positive integer");
});

Deno.test("reflectPrompt strips the wrapper and lists the candidates; braces in text stay literal", () => {
  const p = reflectPrompt(draftPrompt("USER: I like {weird} heist films\n"), [["Heat", 1995], [
    "Up",
    2009,
  ]]);
  assert(p.includes("Here is the conversation: USER: I like {weird} heist films\n"), p);
  assert(!p.includes("reply with 20 recommendations"), p);
  assert(p.endsWith("Here are the candidates:\nHeat (1995)\nUp (2009)"), p);
  assert(REFLECT_PROMPT.includes("2 = great, 1 = good, 0 = neutral, -1 = poor, -2 = bad"));
  assert(REFLECT_PROMPT.includes("movie_name (release_year)####rating"));
});

Deno.test("describePrompt and fillTemplate", () => {
  assert(
    describePrompt(["Heat", 1995]).startsWith(
      "You are a film encyclopedia. Describe the movie Heat (1995).",
    ),
  );
  assertThrows(() => fillTemplate("{missing}", {}), "{missing}");
});
