// The simulated teacher's item metadata (paper.md §5 step 1: `Title (Year)`, keywords, one-paragraph
// plot), templated from the world's catalog fields; an unknown (hallucinated) title borrows the profile of
// the catalog movie it most resembles by title, as an LLM confabulates from a title. Not in the paper.
import type { Item } from "../../catalog/parse_list.ts";
import { titleKey } from "../../catalog/py_text.ts";
import type { WorldMovie } from "../../data/world/movies.ts";
import { createPrng, fnv1a32, pick } from "../../data/prng.ts";
import { metadataText } from "./parse_description.ts";
import type { Description } from "./teacher.ts";

/** Title words too common to identify a movie. */
const STOP = new Set([
  "the",
  "a",
  "an",
  "of",
  "and",
  "in",
  "on",
  "to",
  "for",
  "with",
  "at",
  "de",
  "la",
  "le",
]);
const SEQUEL = /(?::\s*part\s+(?:ii|iii|2|3)|\s+(?:2|3|ii|iii|returns|reloaded|part\s+(?:ii|2)))$/i;

/** Per-genre words for the templated plots (our own vocabulary; an LLM would write such words). */
const GENRE_WORDS: Readonly<Record<string, readonly string[]>> = {
  "Drama": ["drama", "emotional", "character study", "family tensions"],
  "Comedy": ["comedy", "funny", "laughs", "hilarious misadventures"],
  "Action": ["action", "explosive", "chases", "shootouts"],
  "Adventure": ["adventure", "journey", "quest", "epic"],
  "Thriller/Suspense": ["thriller", "suspense", "twisty mystery", "tense"],
  "Horror": ["horror", "scary", "terrifying", "creepy"],
  "Romantic Comedy": ["romantic comedy", "romance", "love story", "feel-good"],
  "Musical": ["musical", "songs", "dance numbers", "music"],
  "Documentary": ["documentary", "real events", "non-fiction", "eye-opening"],
  "Black Comedy": ["dark comedy", "satire", "twisted humor", "cynical"],
  "Western": ["western", "cowboys", "frontier", "gunslingers"],
  "Concert/Performance": ["concert film", "live performance", "music", "stage"],
};
const PROTAGONISTS = [
  "a restless loner",
  "an unlikely hero",
  "a young woman",
  "a weary veteran",
  "two estranged friends",
  "a small-town family",
  "an ambitious newcomer",
];
const TURNS = [
  "is pulled into events far bigger than expected",
  "must confront a past that will not stay buried",
  "sets out to win back what was lost",
  "crosses paths with a stranger who changes everything",
  "faces a choice between loyalty and survival",
];

/** Index of the catalog for resolving titles the simulator may write. */
export interface DescribeIndex {
  readonly catalog: readonly WorldMovie[];
  /** titleKey → catalog indices. */
  readonly byTitle: ReadonlyMap<string, readonly number[]>;
  /** Content word → catalog indices. */
  readonly byWord: ReadonlyMap<string, readonly number[]>;
}

/**
 * Lower-cased content words of a title (stop words dropped).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(titleWords("The Dark Knight"), ["dark", "knight"]);
 * ```
 */
export function titleWords(title: string): string[] {
  return (title.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []).filter((w) => !STOP.has(w));
}

/**
 * Builds the title indexes once per catalog.
 *
 * @example
 * ```ts
 * import { generateWorld } from "../../data/world/generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const index = describeIndex(world.catalog);
 * ```
 */
export function describeIndex(catalog: readonly WorldMovie[]): DescribeIndex {
  const byTitle = new Map<string, number[]>();
  const byWord = new Map<string, number[]>();
  catalog.forEach((m, i) => {
    const k = titleKey(m.title);
    byTitle.set(k, [...(byTitle.get(k) ?? []), i]);
    for (const w of new Set(titleWords(m.title))) byWord.set(w, [...(byWord.get(w) ?? []), i]);
  });
  return { catalog, byTitle, byWord };
}

/**
 * The catalog movie an item's title most resembles: the same normalised title (nearest year), else the
 * title with a sequel suffix removed, else the most shared content words (ties: more IMDB votes, then
 * catalog order), else a movie chosen by a hash of the title. Returns its catalog index.
 *
 * @example
 * ```ts
 * import { generateWorld } from "../../data/world/generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const index = describeIndex(world.catalog);
 * const i = resolveBase(index, ["Titanic 2", 1999]); // index of Titanic (1997)
 * if (index.catalog[i].title !== "Titanic") throw new Error(index.catalog[i].title);
 * ```
 */
export function resolveBase(index: DescribeIndex, item: Item): number {
  const nearest = (ids: readonly number[]) =>
    ids.reduce((a, b) =>
      Math.abs(index.catalog[b].year - item[1]) < Math.abs(index.catalog[a].year - item[1]) ? b : a
    );
  const same = index.byTitle.get(titleKey(item[0]));
  if (same) return nearest(same);
  const stripped = item[0].replace(SEQUEL, "").trim();
  const base = stripped !== item[0] ? index.byTitle.get(titleKey(stripped)) : undefined;
  if (base) return nearest(base);
  const shared = new Map<number, number>();
  for (const w of new Set(titleWords(item[0]))) {
    for (const i of index.byWord.get(w) ?? []) shared.set(i, (shared.get(i) ?? 0) + 1);
  }
  let best = -1;
  for (const [i, c] of shared) {
    if (best < 0) {
      best = i;
      continue;
    }
    const cb = shared.get(best)!;
    const better = c > cb ||
      (c === cb && (index.catalog[i].meta.imdb_votes > index.catalog[best].meta.imdb_votes ||
        (index.catalog[i].meta.imdb_votes === index.catalog[best].meta.imdb_votes && i < best)));
    if (better) best = i;
  }
  return best >= 0 ? best : fnv1a32(item[0]) % index.catalog.length;
}

function ratingBand(r: number): string {
  return r >= 7.5
    ? "critically acclaimed"
    : r >= 6.5
    ? "well reviewed"
    : r >= 5.5
    ? "mixed reviews"
    : "poorly reviewed";
}

function popularityBand(votes: number): string {
  return votes >= 150_000
    ? "blockbuster"
    : votes >= 40_000
    ? "popular"
    : votes >= 8_000
    ? "cult following"
    : "little-seen";
}

/**
 * The simulated description of an item: keywords from the (resolved) catalog profile — genre, creative
 * type, director, decade, MPAA rating, review and popularity bands — and a templated plot paragraph.
 * Deterministic per (title, year). The title and year are always the item's own.
 *
 * @example
 * ```ts
 * import { generateWorld } from "../../data/world/generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const { text } = describeItem(describeIndex(world.catalog), ["Titanic", 1997]);
 * if (!text.startsWith("Titanic (1997)\nKeywords: ")) throw new Error(text); // "…\nPlot: …"
 * ```
 */
export function describeItem(index: DescribeIndex, item: Item): Description {
  const m = index.catalog[resolveBase(index, item)].meta;
  const prng = createPrng(fnv1a32(`${item[0]}\u0000${item[1]}`)).fork("describe");
  const decade = `${Math.floor(item[1] / 10) * 10}s`;
  const words = GENRE_WORDS[m.genre] ?? [m.genre.toLowerCase()];
  const keywords = [
    m.genre.toLowerCase(),
    m.creative_type.toLowerCase(),
    ...(m.director ? [`directed by ${m.director}`] : []),
    decade,
    ...(m.mpaa ? [`rated ${m.mpaa}`] : []),
    ratingBand(m.imdb_rating),
    popularityBand(m.imdb_votes),
    pick(prng, words),
  ];
  const plot = `In this ${pick(prng, words)} from the ${decade}, ${pick(prng, PROTAGONISTS)} ${
    pick(prng, TURNS)
  }. ${
    m.director ? `${m.director} directs a` : "A"
  } ${m.creative_type.toLowerCase()} story full of ${pick(prng, words)}. Audiences called it ${
    ratingBand(m.imdb_rating)
  }.`;
  return {
    item,
    keywords,
    plot,
    text: metadataText(item, keywords, plot),
    missing: [],
    truncated: false,
  };
}
