// Writes one built-in-world conversation (USER/SYSTEM turns, 1–3) from a hidden taste and the movies
// the user has seen: a template grammar whose statements are informative but noisy. Not in the paper.
import type { WorldMovie } from "./movies.ts";
import * as P from "./phrases.ts";
import { pick, type Prng, shuffled } from "../prng.ts";
import type { UserTaste } from "./taste.ts";

/** One conversation turn. */
export interface Turn {
  role: "USER" | "SYSTEM";
  text: string;
}

/** Knobs of the text (a subset of WorldConfig). */
export interface ConversationOptions {
  /** Number of turns (1–3): USER; USER SYSTEM; USER SYSTEM USER. */
  turns: number;
  /** Probability that each true facet of the taste is stated. */
  facet_mention_prob: number;
  /** Probability of one distractor sentence (a genre the user is neutral on). */
  distractor_prob: number;
  /** Probability that a movie mention carries its year, "Heat (1995)". */
  year_mention_prob: number;
}

/**
 * Render turns as in Reddit-v2 prompts: `USER: …\nSYSTEM: …\n` (each turn ends with a newline).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(renderTurns([{ role: "USER", text: "Hi." }]), "USER: Hi.\n");
 * ```
 */
export function renderTurns(turns: readonly Turn[]): string {
  return turns.map((t) => `${t.role}: ${t.text}\n`).join("");
}

function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{([A-Z])\}/g, (_, k: string) => {
    if (!(k in slots)) {
      throw new Error(`lib/data/world/conversation.ts: fill: template "${template}" needs {${k}}`);
    }
    return slots[k];
  });
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1);
}

function hedged(prng: Prng, sentence: string): string {
  if (prng.float() >= 0.2) return sentence;
  const m = sentence.match(/^(.*?)([.!?])$/);
  return m ? `${m[1]}${pick(prng, P.HEDGES)}${m[2]}` : sentence;
}

/**
 * A movie mention: "Heat (1995)" with probability `yearProb`, else quoted or bare.
 *
 * @example
 * ```ts
 * import { createPrng } from "../prng.ts";
 * const meta = {
 *   genre: "Action", creative_type: "Contemporary Fiction", director: "Michael Mann", mpaa: "R",
 *   imdb_rating: 8.2, imdb_votes: 300000,
 * };
 * const text = formatMention(createPrng(1), { title: "Heat", year: 1995, meta }, 1);
 * if (text !== "Heat (1995)") throw new Error(text); // yearProb 1: always with the year
 * ```
 */
export function formatMention(prng: Prng, movie: WorldMovie, yearProb: number): string {
  const u = prng.float();
  if (u < yearProb) return `${movie.title} (${movie.year})`;
  if (u < yearProb + (1 - yearProb) * 0.15) return `"${movie.title}"`;
  return movie.title;
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function phraseFor(
  table: Readonly<Record<string, readonly string[]>>,
  key: string,
  prng: Prng,
): string | null {
  const options = table[key];
  return options && options.length > 0 ? pick(prng, options) : null;
}

/** Statements the taste supports, each a finished sentence, plus slots for the post title. */
function facetSentences(prng: Prng, taste: UserTaste, options: ConversationOptions) {
  const sentences: string[] = [];
  const slots: Record<string, string> = {};
  const say = () => prng.float() < options.facet_mention_prob;
  const byWeight = (r: Record<string, number>) =>
    Object.entries(r).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const genres = byWeight(taste.genres);
  for (const [g, w] of genres) {
    if (w < 1 || !say()) continue;
    const phrase = phraseFor(P.GENRE_PHRASES, g, prng);
    if (!phrase) continue;
    slots.G ??= pick(prng, P.GENRE_PHRASES[g]); // the post title names the genre its own way
    sentences.push(fill(pick(prng, P.LIKE_GENRE), { G: phrase }));
  }
  for (const [g, w] of genres) {
    if (w > -1 || !say()) continue;
    const phrase = phraseFor(P.GENRE_PHRASES, g, prng);
    if (phrase) sentences.push(fill(pick(prng, P.DISLIKE_GENRE), { G: phrase }));
  }
  for (const [c, w] of byWeight(taste.creative_types)) {
    if (Math.abs(w) < 0.8 || !say()) continue;
    const phrase = phraseFor(P.CREATIVE_TYPE_PHRASES, c, prng);
    if (!phrase) continue;
    sentences.push(fill(pick(prng, w > 0 ? P.LIKE_CREATIVE : P.DISLIKE_CREATIVE), { C: phrase }));
  }
  for (const [d] of byWeight(taste.directors)) {
    if (say()) sentences.push(fill(pick(prng, P.LIKE_DIRECTOR), { D: d }));
  }
  if (taste.era && say()) {
    const center = taste.era.center;
    if (prng.float() < 0.35 && P.ERA_SENTENCES[center]) {
      sentences.push(pick(prng, P.ERA_SENTENCES[center]));
    } else {
      const phrase = pick(prng, P.ERA_PHRASES[center]);
      slots.E = phrase;
      sentences.push(fill(pick(prng, P.LIKE_ERA), { E: phrase }));
    }
  }
  if (Math.abs(taste.popularity) >= 0.5 && say()) {
    const phrase = pick(prng, taste.popularity > 0 ? P.MAINSTREAM_PHRASES : P.HIDDEN_GEM_PHRASES);
    sentences.push(fill(pick(prng, P.LIKE_POPULARITY), { P: phrase }));
  }
  if ((taste.rating >= 0.8 || taste.rating <= 0.15) && say()) {
    const clause = pick(prng, taste.rating >= 0.8 ? P.ACCLAIM_PHRASES : P.TRASH_OK_PHRASES);
    sentences.push(capitalize(fill(pick(prng, P.RATING_SENTENCES), { R: clause })));
  }
  if (prng.float() < options.distractor_prob) {
    const neutral = genres.filter(([, w]) => Math.abs(w) < 0.5).map(([g]) => g);
    const g = neutral.length > 0 ? pick(prng, neutral) : null;
    const phrase = g ? phraseFor(P.GENRE_PHRASES, g, prng) : null;
    if (phrase) sentences.push(fill(pick(prng, P.DISTRACTOR), { G: phrase }));
  }
  return { sentences: shuffled(prng, sentences).map((s) => hedged(prng, s)), slots };
}

function seenSentence(prng: Prng, mentions: readonly string[]): string {
  if (mentions.length === 1) return fill(pick(prng, P.SEEN_ONE), { M: mentions[0] });
  return fill(pick(prng, P.SEEN_MANY), { L: joinList(mentions) });
}

function postTitle(prng: Prng, slots: Record<string, string>): string {
  const usable = P.POST_TITLES.filter((t) =>
    [...t.matchAll(/\{([A-Z])\}/g)].every((m) => m[1] in slots)
  );
  return capitalize(fill(pick(prng, usable), slots));
}

/**
 * Write the turns of one conversation. `seen` (1–3 movies, drawn from the taste by the caller) are all
 * mentioned; with 3 turns the last seen movie and part of the facets may come in the final USER turn.
 *
 * @example
 * ```ts
 * import { createPrng } from "../prng.ts";
 * import { generateWorld } from "./generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const record = world.records.train[0];
 * const turns = writeConversation(createPrng(1), world.truth[record.id].taste, [world.catalog[0]], {
 *   turns: 1, facet_mention_prob: 0.7, distractor_prob: 0.15, year_mention_prob: 0.4,
 * });
 * if (turns.length !== 1 || turns[0].role !== "USER") throw new Error("one USER turn");
 * ```
 */
export function writeConversation(
  prng: Prng,
  taste: UserTaste,
  seen: readonly WorldMovie[],
  options: ConversationOptions,
): Turn[] {
  if (seen.length === 0) {
    throw new Error(
      "lib/data/world/conversation.ts: writeConversation: seen: expected at least one movie",
    );
  }
  const mentions = seen.map((m) => formatMention(prng, m, options.year_mention_prob));
  const { sentences, slots } = facetSentences(prng, taste, options);
  slots.M = mentions[0];
  const late = options.turns === 3 ? Math.floor(sentences.length / 2) : 0;
  const lateMention = options.turns === 3 && mentions.length >= 2 && prng.float() < 0.5;
  const firstMentions = lateMention ? mentions.slice(0, -1) : mentions;
  const first = [seenSentence(prng, firstMentions), ...sentences.slice(0, sentences.length - late)];
  if (prng.float() < 0.5) first.push(first.shift()!); // the movie sentence is not always first
  const closer = pick(prng, P.CLOSERS);
  const body = [...first, ...(closer ? [closer] : [])].join(" ");
  const turns: Turn[] = [{ role: "USER", text: `${postTitle(prng, slots)}. ${body}` }];
  if (options.turns >= 2) turns.push({ role: "SYSTEM", text: pick(prng, P.SYSTEM_QUESTIONS) });
  if (options.turns >= 3) {
    const rest = sentences.slice(sentences.length - late);
    if (lateMention) rest.push(fill(pick(prng, P.SEEN_ONE), { M: mentions[mentions.length - 1] }));
    const text = rest.length > 0 ? rest.join(" ") : "Nothing specific, just something good.";
    turns.push({ role: "USER", text: pick(prng, P.USER_FOLLOWUPS) + text });
  }
  return turns;
}
