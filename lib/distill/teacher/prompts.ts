// The teacher's prompts as named constants (draft, Reflect judge, item metadata) and the pure functions
// that fill them. The draft prompt is the Reddit-v2 wrapper; the Reflect and describe wordings are ours
// (paper.md §5 gives only the scale and the `movie_name (release_year)####rating` line format).

import { RECOMMENDATION_PROMPT_PREFIX, wrapConversation } from "../../data/world/prompt.ts";
import type { Item } from "../../catalog/parse_list.ts";

/** List length the Reddit-v2 wrapper asks for. */
export const DEFAULT_LIST_LENGTH = 20;

/** The count phrase inside the Reddit-v2 wrapper, rewritten when a draft asks for another length. */
const LIST_LENGTH_PHRASE = /reply with \d+ recommendations/;

/**
 * The Reflect judge prompt (paper.md §5, step 2). `{conversation}` is the dialogue without the
 * recommendation wrapper; `{candidates}` is one `Title (Year)` per line. Ratings: great 2, good 1,
 * neutral 0, poor −1, bad −2.
 */
export const REFLECT_PROMPT = "Pretend you are a movie recommender system.\n" +
  "I will give you a conversation between a user and you (a recommender system), and a list of " +
  "candidate movies. Rate how well each candidate fits as a recommendation for the user in this " +
  "conversation on a 5-level scale:\n" +
  "2 = great, 1 = good, 0 = neutral, -1 = poor, -2 = bad.\n" +
  "Reply with one line per candidate, in the order given, in the form movie_name (release_year)####rating " +
  "(for example: The Matrix (1999)####2), with NO extra words or sentences.\n" +
  "Here is the conversation: {conversation}\n" +
  "Here are the candidates:\n{candidates}";

/**
 * The item-metadata prompt (paper.md §5, step 1: `Title (Year)`, keywords, one-paragraph plot).
 * `{title}` and `{year}` are filled from the item.
 */
export const DESCRIBE_PROMPT =
  "You are a film encyclopedia. Describe the movie {title} ({year}).\n" +
  "Reply in exactly this format, with NO extra words or sentences:\n" +
  "Keywords: <8 to 12 comma-separated keywords: genres, themes, setting, tone, notable cast and crew>\n" +
  "Plot: <one paragraph of 3 to 5 sentences summarising the plot>";

/**
 * Replaces each `{name}` placeholder of `template` with `values[name]` in one pass (a value that itself
 * contains `{…}` is not expanded again). Throws when the template names a placeholder with no value.
 * @example fillTemplate("Describe {title} ({year})", { title: "Heat", year: "1995" }) // "Describe Heat (1995)"
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new Error(
        `lib/distill/teacher/prompts.ts: fillTemplate: placeholder {${name}}: expected a value, got none`,
      );
    }
    return value;
  });
}

/**
 * The user-message content of a draft request: `conversation` as-is when it already carries the
 * Reddit-v2 recommendation wrapper (a record's `prompt[0].content`), otherwise wrapped; the count is
 * rewritten to `n` when it differs from 20.
 * @example draftPrompt("USER: Any good westerns?\n", 10).includes("reply with 10 recommendations") // true
 */
export function draftPrompt(conversation: string, n: number = DEFAULT_LIST_LENGTH): string {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `lib/distill/teacher/prompts.ts: draftPrompt: n: expected a positive integer, got ${n}`,
    );
  }
  const content = conversation.startsWith(RECOMMENDATION_PROMPT_PREFIX)
    ? conversation
    : wrapConversation(conversation);
  if (n === DEFAULT_LIST_LENGTH) return content;
  // Only the wrapper's own phrase (inside the prefix) is rewritten, never the user's text.
  const prefix = content.slice(0, RECOMMENDATION_PROMPT_PREFIX.length)
    .replace(LIST_LENGTH_PHRASE, `reply with ${n} recommendations`);
  return prefix + content.slice(RECOMMENDATION_PROMPT_PREFIX.length);
}

/**
 * The dialogue inside a prompt content: the text after the recommendation wrapper when present,
 * else the content unchanged.
 * @example conversationText(draftPrompt("USER: Hi.\n")) // "USER: Hi.\n"
 */
export function conversationText(content: string): string {
  return content.startsWith(RECOMMENDATION_PROMPT_PREFIX)
    ? content.slice(RECOMMENDATION_PROMPT_PREFIX.length)
    : content;
}

/**
 * The Reflect judge's user-message content for a conversation and its candidates.
 * @example reflectPrompt("USER: Heist films?\n", [["Heat", 1995]]).endsWith("Heat (1995)") // true
 */
export function reflectPrompt(conversation: string, candidates: readonly Item[]): string {
  return fillTemplate(REFLECT_PROMPT, {
    conversation: conversationText(conversation),
    candidates: candidates.map(([title, year]) => `${title} (${year})`).join("\n"),
  });
}

/**
 * The describe prompt's user-message content for one item.
 * @example describePrompt(["Heat", 1995]).startsWith("You are a film encyclopedia. Describe the movie Heat (1995).") // true
 */
export function describePrompt(item: Item): string {
  return fillTemplate(DESCRIBE_PROMPT, { title: item[0], year: String(item[1]) });
}
