// Generates the built-in world: hidden tastes → conversations → several replies with ground truth, in
// the Reddit-v2 record format, split by time. Not in the paper (the lab's offline stand-in for Reddit-v2).
import { z } from "zod";
import { parseWorldConfig, type WorldConfig, type WorldConfigSchema } from "./config.ts";
import { renderTurns, writeConversation } from "./conversation.ts";
import {
  buildCatalog,
  type CatalogDrops,
  readVegaMovies,
  type VegaMovie,
  vegaMoviesPath,
  type WorldMovie,
} from "./movies.ts";
import { createPrng, intBetween } from "../prng.ts";
import { wrapConversation } from "./prompt.ts";
import {
  type CatalogFeatures,
  catalogFeatures,
  sampleTaste,
  sampleWithoutReplacement,
  tasteScores,
  type UserTaste,
} from "./taste.ts";

/** The three time-ordered splits. */
export const WORLD_SPLITS = ["train", "val", "test"] as const;
/** One split name. */
export type WorldSplit = typeof WORLD_SPLITS[number];

/** One reply to one conversation, in the Reddit-v2 record format (what a model may see). */
export interface WorldRecord {
  prompt: { role: "user"; content: string }[];
  seen_titles: string[];
  groundtruth_with_release_year: [string, string][];
  id: string;
  split: WorldSplit;
  /** Month of the conversation, "YYYY-MM". */
  time: string;
}

/** Hidden truth for one record (kept out of the record; for oracles and evaluation only). */
export interface RecordTruth {
  conversation_id: string;
  taste: UserTaste;
  /** The seen movies with their years, [title, "year"]. */
  seen: [string, string][];
  /** The replier's popularity tilt added to the taste score when drawing this record's ground truth. */
  replier_tilt: number;
}

/** A generated world. */
export interface World {
  config: WorldConfig;
  catalog: WorldMovie[];
  drops: CatalogDrops;
  records: Record<WorldSplit, WorldRecord[]>;
  /** Record id → hidden truth. */
  truth: Record<string, RecordTruth>;
}

/** What `generateWorld` accepts: any partial config (parsed strictly). */
export type WorldConfigInput = z.input<typeof WorldConfigSchema>;

/**
 * The month `offset` months after `start` ("YYYY-MM").
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(addMonths("2012-11", 3), "2013-02");
 * ```
 */
export function addMonths(start: string, offset: number): string {
  const [y, m] = start.split("-").map(Number);
  const total = y * 12 + (m - 1) + offset;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, "0")}`;
}

interface Conversation {
  month: number;
  index: number;
}

function generateSplit(
  split: WorldSplit,
  config: WorldConfig,
  features: CatalogFeatures,
  titleIndex: Map<string, number[]>,
): { records: WorldRecord[]; truth: Record<string, RecordTruth> } {
  const root = createPrng(config.seed).fork(split);
  const monthOffset = split === "train"
    ? 0
    : split === "val"
    ? config.months.train
    : config.months.train + config.months.val;
  const timing = root.fork("months");
  const convs: Conversation[] = [];
  for (let i = 0; i < config.conversations[split]; i++) {
    convs.push({ month: monthOffset + timing.int(config.months[split]), index: i });
  }
  convs.sort((a, b) => a.month - b.month || a.index - b.index);

  const records: WorldRecord[] = [];
  const truth: Record<string, RecordTruth> = {};
  const zPop = features.z_popularity;
  for (let c = 0; c < convs.length; c++) {
    const prng = root.fork(`conversation:${convs[c].index}`);
    const conversationId = `${split}-c${String(c).padStart(5, "0")}`;
    const taste = sampleTaste(prng.fork("taste"), features, { strengths: config.taste_strengths });
    const scores = tasteScores(taste, features); // (N,)
    const shape = prng.fork("shape");
    const nMentions = intBetween(shape, ...config.mentions_per_conversation);
    const nTurns = intBetween(shape, ...config.turns_per_conversation);
    const nReplies = intBetween(shape, ...config.replies_per_conversation);
    const seenIdx = sampleWithoutReplacement(prng.fork("seen"), scores, nMentions, {
      temperature: config.mention_temperature,
    });
    const seen = seenIdx.map((i) => features.movies[i]);
    const turns = writeConversation(prng.fork("text"), taste, seen, {
      turns: nTurns,
      facet_mention_prob: config.facet_mention_prob,
      distractor_prob: config.distractor_prob,
      year_mention_prob: config.year_mention_prob,
    });
    const content = wrapConversation(renderTurns(turns));
    const seenTitles = [...new Set(seen.map((m) => m.title))];
    const exclude = new Set(seenTitles.flatMap((t) => titleIndex.get(t) ?? []));
    const time = addMonths(config.start_month, convs[c].month);
    for (let r = 0; r < nReplies; r++) {
      const rp = prng.fork(`reply:${r}`);
      const tilt = config.replier_popularity_tilt * rp.normal();
      const nGt = intBetween(rp, ...config.groundtruth_per_reply);
      const logits = scores.map((s, i) => s + tilt * zPop[i]); // (N,)
      const gt = sampleWithoutReplacement(rp, logits, nGt, {
        exclude,
        temperature: config.taste_temperature,
      });
      const id = `${conversationId}-r${r}`;
      records.push({
        prompt: [{ role: "user", content }],
        seen_titles: seenTitles,
        groundtruth_with_release_year: gt.map((
          i,
        ) => [features.movies[i].title, String(features.movies[i].year)]),
        id,
        split,
        time,
      });
      truth[id] = {
        conversation_id: conversationId,
        taste,
        seen: seen.map((m) => [m.title, String(m.year)]),
        replier_tilt: tilt,
      };
    }
  }
  return { records, truth };
}

/**
 * Generate the world from already-read movies.json rows (no file access; deterministic per seed).
 *
 * @example
 * ```ts
 * import { readVegaMovies } from "./movies.ts";
 * const rows = await readVegaMovies();
 * const world = generateWorldFromRows(rows, { seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * if (world.records.train.length < 20) throw new Error("at least one record per conversation");
 * ```
 */
export function generateWorldFromRows(
  rows: readonly VegaMovie[],
  input: WorldConfigInput = {},
): World {
  const config = parseWorldConfig(input);
  const { movies, drops } = buildCatalog(rows);
  const features = catalogFeatures(movies);
  const titleIndex = new Map<string, number[]>();
  movies.forEach((m, i) => titleIndex.set(m.title, [...(titleIndex.get(m.title) ?? []), i]));
  const records = {} as Record<WorldSplit, WorldRecord[]>;
  const truth: Record<string, RecordTruth> = {};
  for (const split of WORLD_SPLITS) {
    const out = generateSplit(split, config, features, titleIndex);
    records[split] = out.records;
    Object.assign(truth, out.truth);
  }
  return { config, catalog: movies, drops, records, truth };
}

/**
 * Generate the world: read vega-datasets movies.json (or `catalog_path`), build the catalog, draw
 * tastes, conversations and replies. Same config (seed included) → identical output.
 *
 * @example
 * ```ts
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * world.records.train[0].groundtruth_with_release_year; // [["Heat", "1995"], …]
 * if (world.records.train[0].groundtruth_with_release_year.length === 0) throw new Error("no truth");
 * ```
 */
export async function generateWorld(input: WorldConfigInput = {}): Promise<World> {
  const config = parseWorldConfig(input);
  const rows = await readVegaMovies(config.catalog_path ?? vegaMoviesPath());
  return generateWorldFromRows(rows, config);
}
