// The Reddit-v2 recommendation prompt wrapper (copied verbatim from the released SFT records) and the
// inverse that recovers the conversation text. Matches the paper's data format exactly.

/** Text before the conversation in every Reddit-v2 prompt (user message content). */
export const RECOMMENDATION_PROMPT_PREFIX = "Pretend you are a movie recommender system.\n" +
  "I will give you a conversation between a user and you (a recommender system). Based on the " +
  "conversation, you need to reply with 20 recommendations. List the standardized English title of each " +
  'movie in each line in the form of "movie name" (release_year) with NO extra words or sentences.\n' +
  "Here is the conversation: ";

/**
 * Wrap a rendered conversation (`USER: …\n…`) into the user-message content.
 *
 * @example
 * ```ts
 * const prompt = wrapConversation("USER: Any good westerns?\n");
 * if (!prompt.endsWith("USER: Any good westerns?\n")) throw new Error(prompt);
 * ```
 */
export function wrapConversation(conversation: string): string {
  return RECOMMENDATION_PROMPT_PREFIX + conversation;
}

/**
 * The conversation inside a prompt content (everything after the wrapper); throws when the wrapper is
 * missing.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(conversationFromPrompt(wrapConversation("USER: Hi.\n")), "USER: Hi.\n");
 * ```
 */
export function conversationFromPrompt(content: string): string {
  if (!content.startsWith(RECOMMENDATION_PROMPT_PREFIX)) {
    throw new Error(
      "lib/data/world/prompt.ts: conversationFromPrompt: content: expected the Reddit-v2 recommendation " +
        `prompt wrapper, got ${JSON.stringify(content.slice(0, 60))}…`,
    );
  }
  return content.slice(RECOMMENDATION_PROMPT_PREFIX.length);
}
