// The teacher over an OpenAI-compatible endpoint: draft / rate / describe as single chat requests
// through the cached, retrying client, plus `embed` for the Remap stage's pluggable embedding.

import type { Item } from "../../catalog/parse_list.ts";
import type { ClientConfigInput } from "./client_config.ts";
import { type ClientOptions, createOpenAiClient, type OpenAiClient } from "./openai_client.ts";
import { parseDescription } from "./parse_description.ts";
import { parseRatings } from "./parse_ratings.ts";
import { describePrompt, draftPrompt, reflectPrompt } from "./prompts.ts";
import type { Description, DraftResult, RateResult, Teacher } from "./teacher.ts";

/** A {@link Teacher} backed by an endpoint, with its client and an embedding function. */
export interface OpenAiTeacher extends Teacher {
  readonly client: OpenAiClient;
  /** Embeds texts with `config.embeddingModel` (cached per text): Remap's endpoint embedding. */
  readonly embed: (texts: readonly string[]) => Promise<Float32Array[]>;
}

/**
 * A teacher that sends each call as one user message (prompts in prompts.ts) to the configured
 * endpoint. Identical calls are answered from the cache; failures reject with the client's error.
 * @example
 * const teacher = openaiTeacher({ baseUrl: "https://api.openai.com/v1", model: "gpt-4o", cacheDir: "runs/teacher-cache" });
 * const { text } = await teacher.draft("USER: Any heist movies like Heat?\n");
 */
export function openaiTeacher(
  config: ClientConfigInput,
  options: ClientOptions = {},
): OpenAiTeacher {
  const client = createOpenAiClient(config, options);
  const ask = (content: string) => client.complete({ messages: [{ role: "user", content }] });

  const draft = async (
    conversation: string,
    draftOptions: { readonly n?: number } = {},
  ): Promise<DraftResult> => {
    const a = await ask(draftPrompt(conversation, draftOptions.n));
    return { text: a.content, truncated: a.truncated };
  };

  const rate = async (conversation: string, candidates: readonly Item[]): Promise<RateResult> => {
    if (candidates.length === 0) {
      return {
        ratings: [],
        missing: 0,
        invalid: 0,
        unknown: 0,
        duplicates: 0,
        unparsed: 0,
        yearMismatches: 0,
        dropped: [],
        truncated: false,
      };
    }
    const a = await ask(reflectPrompt(conversation, candidates));
    return { ...parseRatings(a.content, candidates), truncated: a.truncated };
  };

  const describe = async (item: Item): Promise<Description> => {
    const a = await ask(describePrompt(item));
    return parseDescription(a.content, item, { truncated: a.truncated });
  };

  return {
    name: `openai:${client.config.model}@${client.host}`,
    draft,
    rate,
    describe,
    client,
    embed: client.embed,
  };
}
