// lib/train/sft/diagnose.ts: duplicate-line counting by hand; prompt sensitivity on a tiny random model
// equals per-record completionNll, and item starts follow the "\n" rule.
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../_assert.ts";
import type { ConversationRecord } from "../../../lib/data/record.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { loadTokenizer } from "../../../lib/model/tokenizer/load.ts";
import { disposeWeights } from "../../../lib/model/weights.ts";
import {
  completionNll,
  duplicateLines,
  promptSensitivity,
} from "../../../lib/train/sft/diagnose.ts";
import { promptIds } from "../../../lib/train/sft/examples.ts";
import { writeFixture } from "./fixture.ts";
import { tinyModelConfig, tinyWeights } from "../../_tiny_model.ts";

Deno.test("duplicateLines: repeats of an earlier line, per list", () => {
  assertEquals(duplicateLines([]), 0);
  assertEquals(duplicateLines(["A (1)\nA (1)\nB (2)\nA (1)", "C (3)\n\n"]), 1);
  assertEquals(duplicateLines(["A (1)\n A (1) "]), 1); // trimmed
  assertEquals(duplicateLines(["A (1)\nB (2)"]), 0);
});

Deno.test("promptSensitivity: the mean of completionNll under own and shifted prompts", async () => {
  await useBackend("cpu");
  const f = await writeFixture();
  const tok = await loadTokenizer(f.tokenizer);
  const cfg = tinyModelConfig({ vocab_size: tok.vocabSize });
  const w = tinyWeights(cfg, 3);
  try {
    const rec = (content: string, completion: string): ConversationRecord => ({
      prompt: [{ role: "user", content }],
      seen_titles: [],
      groundtruth_with_release_year: [],
      completion: [{ role: "assistant", content: completion }],
    } as unknown as ConversationRecord);
    const records = [
      rec("USER: a horror film please", "Heat (1995)\nAlien (1979)"),
      rec("USER: something funny", "Up (2009)"),
      rec("USER: no completion here", "x"),
    ];
    const s = await promptSensitivity(w, cfg, tok, records, { n: 2, shift: 1 });
    assertEquals(s.records, 2);
    const enc = (t: string) => tok.encode(t, { addSpecialTokens: false });
    const own0 = await completionNll(
      w,
      cfg,
      tok,
      promptIds(tok, records[0]),
      enc("Heat (1995)\nAlien (1979)"),
    );
    const own1 = await completionNll(w, cfg, tok, promptIds(tok, records[1]), enc("Up (2009)"));
    const oth0 = await completionNll(
      w,
      cfg,
      tok,
      promptIds(tok, records[1]),
      enc("Heat (1995)\nAlien (1979)"),
    );
    const oth1 = await completionNll(w, cfg, tok, promptIds(tok, records[2]), enc("Up (2009)"));
    assertAlmostEquals(s.own.token, (own0.token + own1.token) / 2, 1e-9);
    assertAlmostEquals(s.other.itemStart, (oth0.itemStart + oth1.itemStart) / 2, 1e-9);
    assertAlmostEquals(s.itemStartGap, s.other.itemStart - s.own.itemStart, 1e-12);
    // a one-line completion has one item start: its NLL is the first token's, so ≠ the token mean
    assert(own1.token > 0 && own1.itemStart > 0);
    await assertRejects(() => promptSensitivity(w, cfg, tok, records.slice(0, 1)), "≥ 2");
  } finally {
    disposeWeights(w);
  }
});
