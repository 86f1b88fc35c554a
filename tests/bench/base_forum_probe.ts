// Does the base model know which movies fit a conversation, in the text format it was pretrained on?
// Each val conversation becomes a corpus-style thread opening, "Post: <the user's turns>\nReply: Try",
// decoded greedily; the comma/"and" list it writes is put one item per line and scored exactly as a
// recommendation list (lib/reward/score.ts). Also: completion NLL of the distilled list written as such a
// reply, under the conversation's own post vs another conversation's (how much the post moves it).
// A diagnosis of SFT transfer (data/REPRODUCTION.md, session 6), not a method of the paper.
//   npx -y deno@2.9.6 run --allow-read --allow-env --allow-ffi tests/bench/base_forum_probe.ts \
//     CHECKPOINT VAL.jsonl CATALOG.csv [CONVERSATIONS]
import type { ConversationRecord } from "../../lib/data/record.ts";
import { generate } from "../../lib/model/generate/generate.ts";
import { addScore, emptyTotals, scoreList, totalsSummary } from "../../lib/reward/score.ts";
import { completionNll } from "../../lib/train/sft/diagnose.ts";
import { groupConversations } from "../../lib/train/eval/evaluate.ts";
import { checkpointInputs } from "./_checkpoint_inputs.ts";

/** The user's turns of a recommendation prompt, without the instructions and the "USER:" tags. */
export function conversationText(record: ConversationRecord): string {
  const content = record.prompt[0].content;
  const at = content.indexOf("Here is the conversation: ");
  const body = at < 0 ? content : content.slice(at + "Here is the conversation: ".length);
  return body.replace(/USER: /g, "").trim();
}

/**
 * A forum reply's comma/"and" list as one item per line.
 * @example replyToLines("Heat (1995), Ronin (1998) and Alien (1979).") // "Heat (1995)\nRonin (1998)\nAlien (1979)"
 */
export function replyToLines(reply: string): string {
  return reply.split("\n")[0].trim().replace(/\.$/, "").split(/,| and /).map((s) => s.trim())
    .filter((s) => s !== "").join("\n");
}

if (import.meta.main) {
  const { dir, config, weights, tokenizer, catalog, records, n } = await checkpointInputs(
    Deno.args,
    "usage: base_forum_probe.ts CHECKPOINT_DIR VAL.jsonl CATALOG.csv [CONVERSATIONS]",
    60,
  );
  const groups = groupConversations(records).slice(0, n);
  const encode = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
  const totals = emptyTotals([5, 10, 20]);
  let items = 0;
  for (let i = 0; i < groups.length; i += 12) {
    const chunk = groups.slice(i, i + 12);
    const prompts = chunk.map((g) => encode(`Post: ${conversationText(g.rows[0])}\nReply: Try`));
    const { completions } = await generate({ weights, config }, prompts, {
      maxNewTokens: 120,
      temperature: 0,
      eosIds: [tokenizer.eosId],
      padId: tokenizer.padId ?? tokenizer.eosId,
    });
    completions.forEach((c, j) => {
      const lines = replyToLines(tokenizer.decode(c.tokenIds, { skipSpecialTokens: true }));
      items += lines.split("\n").length;
      for (const row of chunk[j].rows) {
        addScore(
          totals,
          scoreList(lines, {
            seenTitles: row.seen_titles,
            groundTruth: row.groundtruth_with_release_year,
            catalog,
          }, { ks: [5, 10, 20] }),
        );
      }
    });
  }
  const s = totalsSummary(totals);
  // the distilled list (first 10 items) as a reply, under the own post and the post 7 places later
  let own = 0, other = 0, m = 0;
  const withList = groups.filter((g) => g.rows[0].completion?.[0]?.content !== undefined);
  for (let i = 0; i < Math.min(40, withList.length); i++) {
    const list = withList[i].rows[0].completion![0].content.split("\n").slice(0, 10).join(", ");
    const reply = encode(`Reply: Try ${list}.`);
    const post = (g: typeof withList[number]) => encode(`Post: ${conversationText(g.rows[0])}\n`);
    own += (await completionNll(weights, config, tokenizer, post(withList[i]), reply)).token;
    other += (await completionNll(
      weights,
      config,
      tokenizer,
      post(withList[(i + 7) % withList.length]),
      reply,
    )).token;
    m++;
  }
  console.log(JSON.stringify({
    checkpoint: dir,
    conversations: groups.length,
    rows: s.records,
    items_per_list: items / groups.length,
    "ndcg@5": s.ndcg[5],
    "ndcg@20": s.ndcg[20],
    "recall@20": s.recall[20],
    in_catalog: s.in_catalog,
    reply_nll_own: own / m,
    reply_nll_other: other / m,
    reply_nll_gap: (other - own) / m,
  }));
}
