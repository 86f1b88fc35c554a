// Hidden user tastes of the built-in world: a log-linear score over genre, creative type, director,
// era, popularity appetite (log IMDB votes) and rating sensitivity. Not in the paper (a simulator).
import type { TasteStrengths } from "./config.ts";
import type { WorldMovie } from "./movies.ts";
import { type Prng, shuffled } from "../prng.ts";

/** A user's latent preference; weights are in logit units (score = sum of the terms). */
export interface UserTaste {
  /** Weight per genre (absent genre = 0). */
  genres: Record<string, number>;
  /** Weight per creative type (absent = 0). */
  creative_types: Record<string, number>;
  /** Favourite directors and their weights (absent = 0). */
  directors: Record<string, number>;
  /** Preferred era: score −weight·((year − center)/width)²/2; null = no era preference. */
  era: { center: number; width: number; weight: number } | null;
  /** Popularity appetite: + likes crowd-pleasers, − likes hidden gems (times z-scored log votes). */
  popularity: number;
  /** Rating sensitivity ≥ 0 (times z-scored IMDB rating). */
  rating: number;
}

/** Per-movie features precomputed once per catalog. Arrays are indexed like `movies`. */
export interface CatalogFeatures {
  movies: readonly WorldMovie[];
  genres: string[];
  creative_types: string[];
  /** Directors with at least 3 catalog movies: the pool of possible favourites. */
  prolific_directors: string[];
  /** z-scored log(1 + IMDB votes), per movie. */
  z_popularity: Float64Array;
  /** z-scored IMDB rating, per movie. */
  z_rating: Float64Array;
}

function zScores(values: number[]): Float64Array {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n) || 1;
  return Float64Array.from(values, (v) => (v - mean) / sd);
}

function countBy(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(it, (m.get(it) ?? 0) + 1);
  return m;
}

/**
 * Precompute the features the taste score needs.
 *
 * @example
 * ```ts
 * import { buildCatalog, readVegaMovies } from "./movies.ts";
 * const features = catalogFeatures(buildCatalog(await readVegaMovies()).movies);
 * if (features.movies.length !== 2576) throw new Error(`${features.movies.length} movies`);
 * ```
 */
export function catalogFeatures(movies: readonly WorldMovie[]): CatalogFeatures {
  if (movies.length === 0) {
    throw new Error(
      "lib/data/world/taste.ts: catalogFeatures: movies: expected a non-empty catalog",
    );
  }
  const genres = [...countBy(movies.map((m) => m.meta.genre)).keys()].sort();
  const creativeTypes = [...countBy(movies.map((m) => m.meta.creative_type)).keys()].sort();
  const directorCounts = countBy(movies.flatMap((m) => (m.meta.director ? [m.meta.director] : [])));
  const prolific = [...directorCounts].filter(([, c]) => c >= 3).map(([d]) => d).sort();
  return {
    movies,
    genres,
    creative_types: creativeTypes,
    prolific_directors: prolific,
    z_popularity: zScores(movies.map((m) => Math.log1p(m.meta.imdb_votes))),
    z_rating: zScores(movies.map((m) => m.meta.imdb_rating)),
  };
}

function uniform(prng: Prng, lo: number, hi: number): number {
  return lo + (hi - lo) * prng.float();
}

/** Pick one key with probability ∝ weight. */
function weightedPick(prng: Prng, keys: readonly string[], weight: (k: string) => number): string {
  const ws = keys.map(weight);
  let u = prng.float() * ws.reduce((a, b) => a + b, 0);
  for (let i = 0; i < keys.length; i++) {
    u -= ws[i];
    if (u < 0) return keys[i];
  }
  return keys[keys.length - 1];
}

const ERA_CENTERS = [1965, 1975, 1985, 1995, 2005, 2009];

/**
 * Draw a hidden taste: 1–2 favourite genres (probability ∝ √genre size), maybe a disliked genre, maybe a
 * favourite / disliked creative type, maybe 1–2 favourite directors (from the favourite genres when
 * possible), maybe an era, a popularity appetite and a rating sensitivity.
 *
 * @example
 * ```ts
 * import { createPrng } from "../prng.ts";
 * import { DEFAULT_WORLD_CONFIG } from "./config.ts";
 * import { buildCatalog, readVegaMovies } from "./movies.ts";
 * const features = catalogFeatures(buildCatalog(await readVegaMovies()).movies);
 * const taste = sampleTaste(createPrng(1), features, { strengths: DEFAULT_WORLD_CONFIG.taste_strengths });
 * ```
 */
export function sampleTaste(
  prng: Prng,
  features: CatalogFeatures,
  options: { strengths: TasteStrengths },
): UserTaste {
  const st = options.strengths;
  const genreSize = countBy(features.movies.map((m) => m.meta.genre));
  const genres: Record<string, number> = {};
  for (const g of features.genres) genres[g] = 0.3 * prng.normal() * st.genre;
  const nFav = prng.float() < 0.6 ? 1 : 2;
  const favs: string[] = [];
  while (favs.length < nFav) {
    const g = weightedPick(
      prng,
      features.genres,
      (k) => (favs.includes(k) ? 0 : Math.sqrt(genreSize.get(k) ?? 0)),
    );
    favs.push(g);
    genres[g] = uniform(prng, 1.5, 2.5) * st.genre;
  }
  if (prng.float() < 0.5) {
    const others = features.genres.filter((g) => !favs.includes(g));
    const g = weightedPick(prng, others, (k) => Math.sqrt(genreSize.get(k) ?? 0));
    genres[g] = -uniform(prng, 1.5, 2.5) * st.genre;
  }

  const creativeTypes: Record<string, number> = {};
  for (const c of features.creative_types) {
    creativeTypes[c] = 0.2 * prng.normal() * st.creative_type;
  }
  const ctOrder = shuffled(prng, features.creative_types);
  if (prng.float() < 0.6) creativeTypes[ctOrder[0]] = uniform(prng, 0.8, 1.5) * st.creative_type;
  if (prng.float() < 0.3) creativeTypes[ctOrder[1]] = -uniform(prng, 0.8, 1.5) * st.creative_type;

  const directors: Record<string, number> = {};
  if (prng.float() < 0.35 && features.prolific_directors.length > 0 && st.director > 0) {
    const inFav = new Set(
      features.movies.filter((m) => favs.includes(m.meta.genre) && m.meta.director).map((m) =>
        m.meta.director!
      ),
    );
    const pool = features.prolific_directors.filter((d) => inFav.has(d));
    const from = pool.length > 0 ? pool : features.prolific_directors;
    const n = Math.min(from.length, prng.float() < 0.7 ? 1 : 2);
    for (const d of shuffled(prng, from).slice(0, n)) {
      directors[d] = uniform(prng, 1.5, 2.5) * st.director;
    }
  }

  const era = prng.float() < 0.6 && st.era > 0
    ? {
      center: ERA_CENTERS[prng.int(ERA_CENTERS.length)],
      width: 6,
      weight: uniform(prng, 0.8, 1.5) * st.era,
    }
    : null;
  const popularity = Math.max(-1.5, Math.min(1.5, 0.8 * prng.normal())) * st.popularity;
  const rating = uniform(prng, 0, 1.2) * st.rating;
  return { genres, creative_types: creativeTypes, directors, era, popularity, rating };
}

/**
 * The hidden score of catalog movie `i` for a taste (higher = more liked).
 *
 * @example
 * ```ts
 * import { createPrng } from "../prng.ts";
 * import { DEFAULT_WORLD_CONFIG } from "./config.ts";
 * import { buildCatalog, readVegaMovies } from "./movies.ts";
 * const features = catalogFeatures(buildCatalog(await readVegaMovies()).movies);
 * const taste = sampleTaste(createPrng(1), features, { strengths: DEFAULT_WORLD_CONFIG.taste_strengths });
 * const s = tasteScore(taste, features, 0);
 * if (s !== tasteScores(taste, features)[0]) throw new Error("one movie's score = its entry in tasteScores");
 * ```
 */
export function tasteScore(taste: UserTaste, features: CatalogFeatures, i: number): number {
  const m = features.movies[i];
  let s = (taste.genres[m.meta.genre] ?? 0) + (taste.creative_types[m.meta.creative_type] ?? 0);
  if (m.meta.director) s += taste.directors[m.meta.director] ?? 0;
  if (taste.era) {
    const d = (m.year - taste.era.center) / taste.era.width;
    s -= taste.era.weight * d * d / 2;
  }
  return s + taste.popularity * features.z_popularity[i] + taste.rating * features.z_rating[i];
}

/**
 * Scores of every catalog movie for a taste, shape (N,).
 *
 * @example
 * ```ts
 * import { createPrng } from "../prng.ts";
 * import { DEFAULT_WORLD_CONFIG } from "./config.ts";
 * import { buildCatalog, readVegaMovies } from "./movies.ts";
 * const features = catalogFeatures(buildCatalog(await readVegaMovies()).movies);
 * const taste = sampleTaste(createPrng(1), features, { strengths: DEFAULT_WORLD_CONFIG.taste_strengths });
 * const scores = tasteScores(taste, features); // Float64Array(features.movies.length)
 * if (scores.length !== features.movies.length) throw new Error(`${scores.length}`);
 * ```
 */
export function tasteScores(taste: UserTaste, features: CatalogFeatures): Float64Array {
  const out = new Float64Array(features.movies.length);
  for (let i = 0; i < out.length; i++) out[i] = tasteScore(taste, features, i);
  return out;
}

/**
 * Sample k distinct indices without replacement from softmax(logits) via Gumbel-top-k, skipping
 * indices in `exclude`. Returns them in sampled order (most probable first in expectation).
 *
 * @example
 * ```ts
 * import { createPrng } from "../prng.ts";
 * const picks = sampleWithoutReplacement(createPrng(1), [0, 5, 5, 5], 3, { exclude: new Set([0]) });
 * if ([...picks].sort().join() !== "1,2,3") throw new Error(`${picks}`); // 3 distinct, never index 0
 * ```
 */
export function sampleWithoutReplacement(
  prng: Prng,
  logits: ArrayLike<number>,
  k: number,
  options: { exclude?: ReadonlySet<number>; temperature?: number } = {},
): number[] {
  if (k <= 0) return [];
  const t = options.temperature ?? 1;
  const top: [number, number][] = []; // (key, index), sorted by key descending, length ≤ k
  for (let i = 0; i < logits.length; i++) {
    const u = prng.float(); // drawn for every index so the stream does not depend on `exclude`
    if (options.exclude?.has(i)) continue;
    const key = logits[i] / t - Math.log(-Math.log(u + 1e-300));
    if (top.length === k && key <= top[k - 1][0]) continue;
    let j = Math.min(top.length, k - 1);
    if (top.length < k) top.push([key, i]);
    while (j > 0 && top[j - 1][0] < key) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = [key, i];
  }
  return top.map(([, i]) => i);
}
