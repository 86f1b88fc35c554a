// The offline default embedding: hashed word unigrams + bigrams and character 3–5-grams, TF-IDF weighted
// (IDF fitted on the catalog metadata texts), signed feature hashing into d dims, L2-normalised.
// Departs from the paper (a 400M sentence model): no download, no semantics beyond shared n-grams.
import { fnv1a32 } from "../../data/prng.ts";
import { type Embedder, normalizeRows } from "./embedder.ts";

/** Options of {@link fitHashedTfidf}. */
export interface HashedTfidfOptions {
  /** Output width d. @default 512 (measured: d 128/256/512/1024 → val N@20 .251/.251/.265/.262) */
  readonly dim?: number;
  /** Smallest and largest character n-gram. @default [3, 5] */
  readonly charGrams?: readonly [number, number];
  /** Weight of the character-gram block relative to the word block (each block L2-normalised first). @default 1 */
  readonly charWeight?: number;
}

/** A fitted hashed TF-IDF model: the IDF table and the embedding function. */
export interface HashedTfidf extends Embedder {
  /** Documents the IDF was fitted on. */
  readonly docs: number;
  /** Distinct features seen while fitting. */
  readonly vocabulary: number;
}

/**
 * Lower-cased words of a text (letters and digits, inner apostrophes and hyphens kept).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(textWords("Heat (1995), a crime-drama"), ["heat", "1995", "a", "crime-drama"]);
 * ```
 */
export function textWords(text: string): string[] {
  return text.toLowerCase().normalize("NFKC").match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ??
    [];
}

/**
 * Word features (`w:` unigrams, `b:` bigrams) and character features (`c:` n-grams of each word padded
 * with `<` `>`), as two lists of strings with repeats (term frequencies).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(textFeatures("Big Heat", [3, 3]).word, ["w:big", "w:heat", "b:big heat"]);
 * ```
 */
export function textFeatures(
  text: string,
  charGrams: readonly [number, number] = [3, 5],
): { word: string[]; char: string[] } {
  const words = textWords(text);
  const word = words.map((w) => `w:${w}`);
  for (let i = 0; i + 1 < words.length; i++) word.push(`b:${words[i]} ${words[i + 1]}`);
  const char: string[] = [];
  for (const w of words) {
    const p = `<${w}>`;
    for (let n = charGrams[0]; n <= charGrams[1]; n++) {
      for (let i = 0; i + n <= p.length; i++) char.push(`c:${p.slice(i, i + n)}`);
    }
  }
  return { word, char };
}

function counts(features: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of features) m.set(f, (m.get(f) ?? 0) + 1);
  return m;
}

/**
 * Fits the IDF (smoothed: ln((1+N)/(1+df)) + 1; unseen features get ln(1+N) + 1) on `corpus` (the
 * catalog metadata texts) and returns the embedder. Each text: sublinear tf (1 + ln tf) × idf per
 * feature, hashed (FNV-1a; bucket = h mod d, sign from the top bit) into a word block and a char block,
 * each block L2-normalised, summed with `charWeight`, then the row L2-normalised.
 *
 * @example
 * ```ts
 * const emb = fitHashedTfidf(["Heat (1995)\nKeywords: crime", "Up (2009)\nKeywords: animation"]);
 * const m = await emb.embed(["a crime film"]); // Float32Array(512), unit length
 * if (m.length !== 512) throw new Error(`${m.length}`);
 * ```
 */
export function fitHashedTfidf(
  corpus: readonly string[],
  options: HashedTfidfOptions = {},
): HashedTfidf {
  const dim = options.dim ?? 512;
  const charGrams = options.charGrams ?? [3, 5];
  const charWeight = options.charWeight ?? 1;
  if (!Number.isInteger(dim) || dim < 1) {
    throw new Error(
      `lib/distill/embed/hashed_tfidf.ts: fitHashedTfidf: dim: expected a positive integer, got ${dim}`,
    );
  }
  const df = new Map<string, number>();
  for (const text of corpus) {
    const f = textFeatures(text, charGrams);
    for (const k of new Set([...f.word, ...f.char])) df.set(k, (df.get(k) ?? 0) + 1);
  }
  const n = corpus.length;
  const unseenIdf = Math.log(1 + n) + 1;
  const idf = (k: string) => {
    const d = df.get(k);
    return d === undefined ? unseenIdf : Math.log((1 + n) / (1 + d)) + 1;
  };
  const block = (features: readonly string[], out: Float64Array) => {
    out.fill(0);
    for (const [k, c] of counts(features)) {
      const h = fnv1a32(k);
      const sign = h & 0x80000000 ? -1 : 1;
      out[h % dim] += sign * (1 + Math.log(c)) * idf(k);
    }
    let s = 0;
    for (let j = 0; j < dim; j++) s += out[j] * out[j];
    const inv = s === 0 ? 0 : 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) out[j] *= inv;
  };
  const embed = (texts: readonly string[]): Promise<Float32Array> => {
    const out = new Float32Array(texts.length * dim); // (n, d)
    const w = new Float64Array(dim);
    const c = new Float64Array(dim);
    texts.forEach((text, i) => {
      const f = textFeatures(text, charGrams);
      block(f.word, w);
      block(f.char, c);
      for (let j = 0; j < dim; j++) out[i * dim + j] = w[j] + charWeight * c[j];
    });
    return Promise.resolve(normalizeRows(out, dim));
  };
  return { name: `hashed-tfidf:d${dim}`, dim, embed, docs: n, vocabulary: df.size };
}
