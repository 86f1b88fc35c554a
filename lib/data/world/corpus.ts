// The pretraining corpus of the built-in base model: text "an LLM has read about movies" generated from
// the built-in world's story — encyclopedia blurbs, forum threads whose replies name movies the poster's
// hidden taste likes, fan lists, casual mentions. Not in the paper (the paper starts from a pretrained
// LLM); never the recommendation prompt nor the 20-line answer format, so the base still needs SFT.
import { z } from "zod";
import { parseStrictConfig } from "../strict_config.ts";
import { DEFAULT_WORLD_CONFIG } from "./config.ts";
import { renderTurns, writeConversation } from "./conversation.ts";
import { buildCatalog, readVegaMovies, vegaMoviesPath, type WorldMovie } from "./movies.ts";
import * as P from "./phrases.ts";
import { createPrng, intBetween, pick, type Prng } from "../prng.ts";
import {
  type CatalogFeatures,
  catalogFeatures,
  sampleTaste,
  sampleWithoutReplacement,
  tasteScores,
} from "./taste.ts";

/** The four kinds of corpus document. */
export const CORPUS_KINDS = ["blurb", "thread", "fan_list", "mention"] as const;
/** One of {@link CORPUS_KINDS}. */
export type CorpusKind = typeof CORPUS_KINDS[number];

const range = z.tuple([z.int().min(1), z.int().min(1)]).refine(([a, b]) => a <= b, "lo <= hi");

/** Knobs of the corpus (strict: unknown keys fail). Defaults build the shipped base's corpus. */
export const CorpusConfigSchema = z.strictObject({
  /** root of the corpus's own seed stream, `createPrng(seed).fork("pretrain-corpus")` */
  seed: z.int().min(0).max(0xffffffff).default(20231001),
  /** documents in the corpus (document i is a pure function of (seed, i)) */
  documents: z.int().positive().default(200_000),
  /** share of each document kind (normalised) */
  mix: z.strictObject({
    blurb: z.number().min(0).default(0.25),
    thread: z.number().min(0).default(0.45),
    fan_list: z.number().min(0).default(0.2),
    mention: z.number().min(0).default(0.1),
  }).default({ blurb: 0.25, thread: 0.45, fan_list: 0.2, mention: 0.1 }),
  /** replies per thread */
  replies_per_thread: range.default([1, 3]),
  /** movies named per reply */
  movies_per_reply: range.default([2, 6]),
  /** movies per fan list */
  movies_per_list: range.default([4, 10]),
  /** probability that a movie named in a reply or list carries its year */
  year_mention_prob: z.number().min(0).max(1).default(0.75),
  /** softmax temperature of the movies a reply names (the world's ground-truth temperature) */
  taste_temperature: z.number().positive().default(DEFAULT_WORLD_CONFIG.taste_temperature),
  /** another movies.json-shaped file (null: vega-datasets, as the world) */
  catalog_path: z.string().nullable().default(null),
});

/** A validated corpus config. */
export type CorpusConfig = z.infer<typeof CorpusConfigSchema>;
/** What {@link parseCorpusConfig} accepts. */
export type CorpusConfigInput = z.input<typeof CorpusConfigSchema>;

/**
 * Validate a corpus config; errors name the key and what was expected.
 * @example parseCorpusConfig({ documents: 10 }).seed; // 20231001
 */
export function parseCorpusConfig(input: unknown, source = "corpus config"): CorpusConfig {
  const data = parseStrictConfig(CorpusConfigSchema, input ?? {}, source);
  const m = data.mix;
  if (m.blurb + m.thread + m.fan_list + m.mention <= 0) {
    throw new Error(`${source}: "mix": at least one kind needs a positive share`);
  }
  return data;
}

/** Everything a document needs besides its index: the config, the catalog and its features. */
export interface CorpusContext {
  config: CorpusConfig;
  features: CatalogFeatures;
  root: Prng;
  /** title → catalog indices (seen titles exclude every movie of that title) */
  titleIndex: Map<string, number[]>;
}

/**
 * The corpus context from already-read movies (no file access).
 * @example const ctx = corpusContextFromMovies(movies, parseCorpusConfig({}));
 */
export function corpusContextFromMovies(
  movies: readonly WorldMovie[],
  config: CorpusConfig,
): CorpusContext {
  const titleIndex = new Map<string, number[]>();
  movies.forEach((m, i) => titleIndex.set(m.title, [...(titleIndex.get(m.title) ?? []), i]));
  return {
    config,
    features: catalogFeatures(movies),
    root: createPrng(config.seed).fork("pretrain-corpus"),
    titleIndex,
  };
}

/**
 * Read the catalog (as the world does) and build the corpus context.
 * @example const ctx = await corpusContext({ documents: 1000 });
 */
export async function corpusContext(input: CorpusConfigInput = {}): Promise<CorpusContext> {
  const config = parseCorpusConfig(input);
  const rows = await readVegaMovies(config.catalog_path ?? vegaMoviesPath());
  return corpusContextFromMovies(buildCatalog(rows).movies, config);
}

const GENRE_NOUN: Record<string, string> = {
  "Drama": "drama",
  "Comedy": "comedy",
  "Action": "action film",
  "Adventure": "adventure film",
  "Thriller/Suspense": "thriller",
  "Horror": "horror film",
  "Romantic Comedy": "romantic comedy",
  "Musical": "musical",
  "Documentary": "documentary",
  "Western": "western",
  "Black Comedy": "black comedy",
  "Concert/Performance": "concert film",
};

const CREATIVE_CLAUSE: Record<string, string> = {
  "Contemporary Fiction": "set in the present day",
  "Historical Fiction": "set in the past",
  "Fantasy": "with a fantasy premise",
  "Science Fiction": "with a science-fiction premise",
  "Dramatization": "based on real events",
  "Kids Fiction": "made for kids",
  "Factual": "about real life",
  "Super Hero": "about superheroes",
  "Multiple Creative Types": "that mixes several kinds of story",
};

function genreNoun(m: WorldMovie): string {
  return GENRE_NOUN[m.meta.genre] ?? m.meta.genre.toLowerCase();
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function popularityBand(z: number): string {
  if (z > 1) return "a huge hit that almost everyone has seen";
  if (z > 0) return "fairly well known";
  if (z > -1) return "modestly known";
  return "a little-seen film that few people know";
}

function ratingBand(r: number): string {
  if (r >= 7.5) return "critically acclaimed";
  if (r >= 6.5) return "well reviewed";
  if (r >= 5.5) return "met with mixed reviews";
  return "poorly reviewed";
}

function mention(prng: Prng, m: WorldMovie, yearProb: number): string {
  const u = prng.float();
  if (u < yearProb) return `${m.title} (${m.year})`;
  return u < yearProb + (1 - yearProb) * 0.2 ? `"${m.title}"` : m.title;
}

/** An encyclopedia-style paragraph about one movie, in one of several phrasings. */
function blurb(prng: Prng, ctx: CorpusContext): string {
  const i = prng.int(ctx.features.movies.length);
  const m = ctx.features.movies[i], meta = m.meta;
  const noun = genreNoun(m), clause = CREATIVE_CLAUSE[meta.creative_type] ?? "";
  const decade = `the ${Math.floor(m.year / 10) * 10}s`;
  const dir = meta.director;
  const parts: string[] = [];
  const head = pick(prng, [
    `${m.title} (${m.year}) is ${article(noun)} ${noun} ${clause}`,
    `${m.title} is ${article(noun)} ${noun} from ${m.year}, ${clause}`,
    `Released in ${m.year}, ${m.title} is ${article(noun)} ${noun} ${clause}`,
    `${m.title} (${m.year}): ${article(noun)} ${noun} ${clause}`,
  ]);
  parts.push(dir ? `${head}, directed by ${dir}.` : `${head}.`);
  const facts = [
    `It came out in ${decade}.`,
    meta.mpaa ? `It is rated ${meta.mpaa}.` : "",
    `It was ${ratingBand(meta.imdb_rating)}, with an IMDB rating of ${meta.imdb_rating}.`,
    `With ${meta.imdb_votes} votes it is ${popularityBand(ctx.features.z_popularity[i])}.`,
    dir ? `${dir} directed it.` : "",
    `Fans of ${pick(prng, P.GENRE_PHRASES[meta.genre] ?? [noun + "s"])} often name it.`,
  ].filter((s) => s !== "");
  const n = intBetween(prng, 2, facts.length);
  for (let k = 0; k < n; k++) parts.push(facts.splice(prng.int(facts.length), 1)[0]);
  return parts.join(" ");
}

/** Indices of movies a taste likes: sampled as the world samples ground truth, seen ones excluded. */
function likedMovies(
  prng: Prng,
  ctx: CorpusContext,
  scores: Float64Array,
  n: number,
  exclude: Set<number>,
): number[] {
  const tilt = DEFAULT_WORLD_CONFIG.replier_popularity_tilt * prng.normal();
  const z = ctx.features.z_popularity;
  const logits = scores.map((s, i) => s + tilt * z[i]); // (N,)
  return sampleWithoutReplacement(prng, logits, n, {
    exclude,
    temperature: ctx.config.taste_temperature,
  });
}

function tasteAndSeen(prng: Prng, ctx: CorpusContext, nSeen: number) {
  const taste = sampleTaste(prng.fork("taste"), ctx.features, {
    strengths: DEFAULT_WORLD_CONFIG.taste_strengths,
  });
  const scores = tasteScores(taste, ctx.features); // (N,)
  const seenIdx = sampleWithoutReplacement(prng.fork("seen"), scores, nSeen, {
    temperature: DEFAULT_WORLD_CONFIG.mention_temperature,
  });
  const exclude = new Set(
    seenIdx.flatMap((i) => ctx.titleIndex.get(ctx.features.movies[i].title) ?? []),
  );
  return { taste, scores, seen: seenIdx.map((i) => ctx.features.movies[i]), exclude };
}

const REPLY_TEMPLATES = [
  "You'd love {L}.",
  "Try {L}.",
  "If you liked {S}, check out {L}.",
  "My picks: {L}.",
  "Seconding {F}. Also {R}.",
  "{L} are all worth a watch.",
  "Go with {L}. Thank me later.",
  "Based on {S} I'd say {L}.",
];

/** A forum thread: the poster's text from the world grammar, then replies naming liked movies. */
function thread(prng: Prng, ctx: CorpusContext): string {
  const { taste, scores, seen, exclude } = tasteAndSeen(prng, ctx, intBetween(prng, 1, 3));
  const turns = writeConversation(prng.fork("text"), taste, seen, {
    turns: intBetween(prng, 1, 2),
    facet_mention_prob: DEFAULT_WORLD_CONFIG.facet_mention_prob,
    distractor_prob: DEFAULT_WORLD_CONFIG.distractor_prob,
    year_mention_prob: DEFAULT_WORLD_CONFIG.year_mention_prob,
  });
  const lines = renderTurns(turns).replace(/^USER: /gm, "Post: ").replace(
    /^SYSTEM: /gm,
    "Comment: ",
  )
    .trimEnd().split("\n");
  const cfg = ctx.config;
  for (let r = intBetween(prng, ...cfg.replies_per_thread); r > 0; r--) {
    const rp = prng.fork(`reply:${r}`);
    const liked = likedMovies(rp, ctx, scores, intBetween(rp, ...cfg.movies_per_reply), exclude);
    const names = liked.map((i) => mention(rp, ctx.features.movies[i], cfg.year_mention_prob));
    const s = mention(rp, seen[0], cfg.year_mention_prob);
    const text = pick(rp, REPLY_TEMPLATES).replace("{L}", joinList(names)).replace("{S}", s)
      .replace("{F}", names[0]).replace("{R}", joinList(names.slice(1)) || names[0]);
    lines.push(`Reply: ${text}`);
  }
  return lines.join("\n");
}

/** A fan list: "if you liked X …" or a themed list, the movies drawn from one sampled taste. */
function fanList(prng: Prng, ctx: CorpusContext): string {
  const { taste, scores, seen, exclude } = tasteAndSeen(prng, ctx, 1);
  const cfg = ctx.config;
  const liked = likedMovies(prng, ctx, scores, intBetween(prng, ...cfg.movies_per_list), exclude);
  const names = liked.map((i) => mention(prng, ctx.features.movies[i], cfg.year_mention_prob));
  const fav = Object.entries(taste.genres).sort((a, b) => b[1] - a[1])[0][0];
  const theme = pick(prng, P.GENRE_PHRASES[fav] ?? ["movies"]);
  const era = taste.era ? ` from ${pick(prng, P.ERA_PHRASES[taste.era.center])}` : "";
  const s = `${seen[0].title} (${seen[0].year})`;
  return pick(prng, [
    `If you liked ${s}, you might also like ${joinList(names)}.`,
    `Fans of ${s} should see ${joinList(names)}.`,
    `My favorite ${theme}${era}: ${names.join(", ")}.`,
    `Underrated ${theme}${era} list: ${names.join(", ")}.`,
    `Movies like ${s}: ${names.join(", ")}.`,
  ]);
}

/** A casual sentence naming one movie, with or without its year. */
function casualMention(prng: Prng, ctx: CorpusContext): string {
  const m = ctx.features.movies[prng.int(ctx.features.movies.length)];
  const name = mention(prng, m, 0.5), noun = genreNoun(m);
  return pick(prng, [
    `Watched ${name} last night. What ${article(noun)} ${noun}.`,
    `Rewatching ${name} this weekend.`,
    `Finally saw ${name}, ${m.meta.director ? `${m.meta.director} at their best` : "loved it"}.`,
    `Anyone else think ${name} is ${ratingBand(m.meta.imdb_rating)} for a reason?`,
    `${name} is on TV tonight, a classic ${noun}.`,
  ]);
}

/** Cumulative shares of the kinds, in {@link CORPUS_KINDS} order. */
function kindOf(u: number, mix: CorpusConfig["mix"]): CorpusKind {
  const w = CORPUS_KINDS.map((k) => mix[k]);
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let k = 0; k < w.length; k++) {
    acc += w[k] / total;
    if (u < acc) return CORPUS_KINDS[k];
  }
  return CORPUS_KINDS[w.findLastIndex((x) => x > 0)];
}

/**
 * Document `index` of the corpus: a pure function of (seed, index) — resumable from any position.
 * @example corpusDocument(ctx, 0); // { kind: "thread", text: "Post: Movies like Heat? …" }
 */
export function corpusDocument(
  ctx: CorpusContext,
  index: number,
): { kind: CorpusKind; text: string } {
  const prng = ctx.root.fork(`doc:${index}`);
  const kind = kindOf(prng.float(), ctx.config.mix);
  const make = { blurb, thread, fan_list: fanList, mention: casualMention }[kind];
  return { kind, text: make(prng.fork(kind), ctx) };
}
