// Reference rankers on the built-in world: an oracle that knows the hidden taste, a popularity ranking and
// a text-only TF-IDF kNN over training conversations. Not in the paper (the world's calibration points).
import type { RecordTruth, World, WorldRecord, WorldSplit } from "./generate.ts";
import { movieKey, type WorldMovie } from "./movies.ts";
import { conversationFromPrompt } from "./prompt.ts";
import { type CatalogFeatures, catalogFeatures, tasteScores } from "./taste.ts";

/** A ranked recommendation list: [title, "year"] pairs, best first. */
export type RankedList = [string, string][];

/** The three reference rankings of one split, each keyed by record id. */
export interface BaselineLists {
  oracle: Record<string, RankedList>;
  popularity: Record<string, RankedList>;
  tfidf_knn: Record<string, RankedList>;
}

function pair(m: WorldMovie): [string, string] {
  return [m.title, String(m.year)];
}

/**
 * Top-k unseen catalog movies by the hidden taste score (ties by catalog order).
 *
 * @example
 * ```ts
 * import { generateWorld } from "./generate.ts";
 * import { catalogFeatures } from "./taste.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const record = world.records.val[0];
 * const list = oracleRank(catalogFeatures(world.catalog), world.truth[record.id], record.seen_titles);
 * if (list.length !== 20) throw new Error(`${list.length} [title, year] pairs, expected 20`);
 * ```
 */
export function oracleRank(
  features: CatalogFeatures,
  truth: RecordTruth,
  seenTitles: readonly string[],
  options: { k?: number } = {},
): RankedList {
  const k = options.k ?? 20;
  const seen = new Set(seenTitles);
  const catalog = features.movies;
  const scores = tasteScores(truth.taste, features); // (N,)
  const order = catalog.map((_, i) => i).filter((i) => !seen.has(catalog[i].title));
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, k).map((i) => pair(catalog[i]));
}

/**
 * Catalog movies ordered by how often they are ground truth in `train`, then by IMDB votes, then by
 * catalog order: the full popularity ranking.
 *
 * @example
 * ```ts
 * import { generateWorld } from "./generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const order = popularityOrder(world.records.train, world.catalog); // most frequent ground truth first
 * if (order.length !== world.catalog.length) throw new Error("every catalog movie is ranked");
 * ```
 */
export function popularityOrder(
  train: readonly WorldRecord[],
  catalog: readonly WorldMovie[],
): RankedList {
  const counts = new Map<string, number>();
  for (const r of train) {
    for (const [t, y] of r.groundtruth_with_release_year) {
      counts.set(movieKey(t, y), (counts.get(movieKey(t, y)) ?? 0) + 1);
    }
  }
  const idx = catalog.map((_, i) => i);
  const c = (i: number) => counts.get(movieKey(catalog[i].title, catalog[i].year)) ?? 0;
  idx.sort((a, b) =>
    c(b) - c(a) || catalog[b].meta.imdb_votes - catalog[a].meta.imdb_votes || a - b
  );
  return idx.map((i) => pair(catalog[i]));
}

/**
 * The first k entries of a ranking whose title is not among `seenTitles` and not already in `taken`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const ranking: [string, string][] = [["Heat", "1995"], ["Up", "2009"], ["Alien", "1979"]];
 * deepStrictEqual(topUnseen(ranking, ["Heat"], { k: 1 }), [["Up", "2009"]]);
 * ```
 */
export function topUnseen(
  ranking: readonly [string, string][],
  seenTitles: readonly string[],
  options: { k?: number; taken?: readonly [string, string][] } = {},
): RankedList {
  const k = options.k ?? 20;
  const seen = new Set(seenTitles);
  const out: RankedList = [...(options.taken ?? [])];
  const have = new Set(out.map(([t, y]) => movieKey(t, y)));
  for (const [t, y] of ranking) {
    if (out.length >= k) break;
    if (seen.has(t) || have.has(movieKey(t, y))) continue;
    have.add(movieKey(t, y));
    out.push([t, y]);
  }
  return out.slice(0, k);
}

/**
 * Lower-cased word unigrams and bigrams of a text (letters, digits, apostrophes and hyphens kept).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(tokenize("Love rom-coms!"), ["love", "rom-coms", "love rom-coms"]);
 * ```
 */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9][a-z0-9'-]*/g) ?? [];
  const out = words.slice();
  for (let i = 0; i + 1 < words.length; i++) out.push(`${words[i]} ${words[i + 1]}`);
  return out;
}

/** A sparse L2-normalised TF-IDF vector: term id → weight. */
export type SparseVector = Map<number, number>;

/** A fitted TF-IDF kNN index over training conversations. */
export interface TfidfKnnIndex {
  vocab: Map<string, number>;
  idf: Float64Array;
  docs: SparseVector[];
  /** Ground-truth items of each doc (all replies of the conversation, with repeats). */
  items: RankedList[];
}

/**
 * TF-IDF vector (sublinear tf, smoothed idf, L2-normalised) of a text; unknown terms are ignored.
 *
 * @example
 * ```ts
 * import { generateWorld } from "./generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const index = fitTfidfKnn(world.records.train);
 * const v = tfidfVector(index, "USER: Any westerns?\n"); // sparse, unit length over known terms
 * ```
 */
export function tfidfVector(
  index: Pick<TfidfKnnIndex, "vocab" | "idf">,
  text: string,
): SparseVector {
  const tf = new Map<number, number>();
  for (const tok of tokenize(text)) {
    const id = index.vocab.get(tok);
    if (id !== undefined) tf.set(id, (tf.get(id) ?? 0) + 1);
  }
  let norm = 0;
  const v: SparseVector = new Map();
  for (const [id, c] of tf) {
    const w = (1 + Math.log(c)) * index.idf[id];
    v.set(id, w);
    norm += w * w;
  }
  norm = Math.sqrt(norm) || 1;
  for (const [id, w] of v) v.set(id, w / norm);
  return v;
}

/**
 * Fit the TF-IDF kNN index on training records (one doc per distinct conversation).
 *
 * @example
 * ```ts
 * import { generateWorld } from "./generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const index = fitTfidfKnn(world.records.train);
 * ```
 */
export function fitTfidfKnn(train: readonly WorldRecord[]): TfidfKnnIndex {
  const byText = new Map<string, RankedList>();
  for (const r of train) {
    const text = conversationFromPrompt(r.prompt[0].content);
    byText.set(text, [...(byText.get(text) ?? []), ...r.groundtruth_with_release_year]);
  }
  const texts = [...byText.keys()];
  const vocab = new Map<string, number>();
  const df: number[] = [];
  for (const text of texts) {
    for (const tok of new Set(tokenize(text))) {
      let id = vocab.get(tok);
      if (id === undefined) {
        id = vocab.size;
        vocab.set(tok, id);
        df.push(0);
      }
      df[id]++;
    }
  }
  const idf = Float64Array.from(df, (d) => Math.log((1 + texts.length) / (1 + d)) + 1);
  const docs = texts.map((t) => tfidfVector({ vocab, idf }, t));
  return { vocab, idf, docs, items: texts.map((t) => byText.get(t)!) };
}

function dot(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let s = 0;
  for (const [id, w] of small) s += w * (large.get(id) ?? 0);
  return s;
}

/**
 * Rank items for a conversation: take the `neighbors` most similar training conversations by TF-IDF
 * cosine and score each of their ground-truth items by summed similarity; seen titles are skipped and
 * the list is filled up to k from `fallback` (the popularity order).
 *
 * @example
 * ```ts
 * import { generateWorld } from "./generate.ts";
 * import { conversationFromPrompt } from "./prompt.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const index = fitTfidfKnn(world.records.train);
 * const record = world.records.val[0];
 * const text = conversationFromPrompt(record.prompt[0].content);
 * const fallback = popularityOrder(world.records.train, world.catalog);
 * const list = tfidfKnnRank(index, text, record.seen_titles, { fallback });
 * if (list.length !== 20) throw new Error(`${list.length} pairs, expected 20`);
 * ```
 */
export function tfidfKnnRank(
  index: TfidfKnnIndex,
  conversation: string,
  seenTitles: readonly string[],
  options: { k?: number; neighbors?: number; fallback?: RankedList } = {},
): RankedList {
  const q = tfidfVector(index, conversation);
  const sims = index.docs.map((d, i) => [dot(q, d), i] as [number, number]);
  sims.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const score = new Map<string, { s: number; item: [string, string]; first: number }>();
  let order = 0;
  for (const [sim, i] of sims.slice(0, options.neighbors ?? 20)) {
    if (sim <= 0) break;
    for (const item of index.items[i]) {
      const key = movieKey(item[0], item[1]);
      const e = score.get(key) ?? { s: 0, item, first: order++ };
      e.s += sim;
      score.set(key, e);
    }
  }
  const ranked = [...score.values()].sort((a, b) => b.s - a.s || a.first - b.first).map((e) =>
    e.item
  );
  const k = options.k ?? 20;
  const head = topUnseen(ranked, seenTitles, { k });
  return topUnseen(options.fallback ?? [], seenTitles, { k, taken: head });
}

/**
 * All three reference rankings for every record of a split (the list is computed once per
 * conversation and shared by its replies).
 *
 * @example
 * ```ts
 * import { generateWorld } from "./generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const lists = baselineLists(world, { split: "val" });
 * if (lists.oracle[world.records.val[0].id].length !== 20) throw new Error("20 [title, year] pairs");
 * ```
 */
export function baselineLists(
  world: World,
  options: { split?: WorldSplit; k?: number; neighbors?: number } = {},
): BaselineLists {
  const split = options.split ?? "val";
  const k = options.k ?? 20;
  const popular = popularityOrder(world.records.train, world.catalog);
  const index = fitTfidfKnn(world.records.train);
  const features = catalogFeatures(world.catalog);
  const out: BaselineLists = { oracle: {}, popularity: {}, tfidf_knn: {} };
  const cache = new Map<
    string,
    { oracle: RankedList; popularity: RankedList; tfidf_knn: RankedList }
  >();
  for (const r of world.records[split]) {
    const truth = world.truth[r.id];
    if (!truth) {
      throw new Error(
        `lib/data/world/baselines.ts: baselineLists: truth: no entry for record ${r.id}`,
      );
    }
    let lists = cache.get(truth.conversation_id);
    if (!lists) {
      const text = conversationFromPrompt(r.prompt[0].content);
      lists = {
        oracle: oracleRank(features, truth, r.seen_titles, { k }),
        popularity: topUnseen(popular, r.seen_titles, { k }),
        tfidf_knn: tfidfKnnRank(index, text, r.seen_titles, {
          k,
          neighbors: options.neighbors,
          fallback: popular,
        }),
      };
      cache.set(truth.conversation_id, lists);
    }
    out.oracle[r.id] = lists.oracle;
    out.popularity[r.id] = lists.popularity;
    out.tfidf_knn[r.id] = lists.tfidf_knn;
  }
  return out;
}
