// Trains a byte-level BPE tokenizer (GPT-2/Qwen2 recipe: split regex → bytes → greedy most-frequent
// pair merges) and writes it as a standard Hugging Face tokenizer.json. Not in the paper.

import { Tokenizer } from "@huggingface/tokenizers";
import { BYTE_ORDER, BYTE_TO_CHAR } from "./byte_level.ts";

/**
 * Qwen2's split regex: letters with one leading non-letter, every digit alone, punctuation runs
 * (taking trailing newlines), newline runs, spaces.
 */
export const QWEN2_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Options of {@link trainByteLevelBpe}. */
export interface TrainBpeOptions {
  /** Total ids: 256 bytes + merges + special tokens. */
  vocabSize: number;
  /** Seed of the order among pairs with equal counts (a hash of seed and pair). @default 0 */
  seed?: number;
  /** Split regex (Oniguruma syntax, as stored in tokenizer.json). @default QWEN2_SPLIT_PATTERN */
  pattern?: string;
  /** Special tokens, given the last ids in this order. @default [] */
  specialTokens?: readonly string[];
  /** A pair must occur at least this often to be merged. @default 2 */
  minFrequency?: number;
}

/** Result of {@link trainByteLevelBpe}: a tokenizer.json value plus training statistics. */
export interface TrainedBpe {
  /** The tokenizer.json content (model BPE, ByteLevel pre-tokenizer and decoder). */
  tokenizerJson: Record<string, unknown>;
  /** Merges learned (may stop early when no pair reaches `minFrequency`). */
  merges: number;
  /** Distinct pre-tokens (words) counted. */
  words: number;
}

/**
 * The tokenizer.json skeleton shared by training and loading: NFC normalizer, Split(pattern) +
 * ByteLevel pre-tokenizer, BPE model, ByteLevel decoder (Qwen2's layout).
 * @example byteLevelBpeJson({ "!": 0 }, [], [], QWEN2_SPLIT_PATTERN).decoder; // { type: "ByteLevel", … }
 */
export function byteLevelBpeJson(
  vocab: Record<string, number>,
  merges: readonly string[],
  addedTokens: readonly { id: number; content: string }[],
  pattern: string,
): Record<string, unknown> {
  const byteLevel = {
    type: "ByteLevel",
    add_prefix_space: false,
    trim_offsets: false,
    use_regex: false,
  };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [...merges],
    },
  };
}

/** Splits `text` around any of `specials` (dropped), leaving the plain pieces. */
function splitOnSpecials(text: string, specials: readonly string[]): string[] {
  let pieces = [text];
  for (const s of specials) pieces = pieces.flatMap((p) => p.split(s));
  return pieces.filter((p) => p.length > 0);
}

/** 32-bit mix of seed and pair key (tie order among equal counts). */
function tieRank(seed: number, key: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (key >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (key & 0xffff) ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const KEY_BASE = 1 << 16; // pair key = a * KEY_BASE + b (ids < 65536)

/** Max-heap entries [count, tie, key], ordered by count desc, then tie asc, then key asc. */
type HeapEntry = [number, number, number];

function before(x: HeapEntry, y: HeapEntry): boolean {
  return x[0] !== y[0] ? x[0] > y[0] : x[1] !== y[1] ? x[1] < y[1] : x[2] < y[2];
}

function heapPush(heap: HeapEntry[], e: HeapEntry): void {
  heap.push(e);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(heap[i], heap[p])) break;
    [heap[i], heap[p]] = [heap[p], heap[i]];
    i = p;
  }
}

function heapPop(heap: HeapEntry[]): HeapEntry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last !== undefined) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l], heap[m])) m = l;
      if (r < heap.length && before(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
  return top;
}

/** Counts the byte-level pre-tokens of `texts`, split exactly as the loader will split them. */
function countWords(
  texts: Iterable<string>,
  pattern: string,
  specials: readonly string[],
): Map<string, number> {
  const base: Record<string, number> = {};
  BYTE_ORDER.forEach((b, i) => base[BYTE_TO_CHAR[b]] = i);
  const splitter = new Tokenizer(byteLevelBpeJson(base, [], [], pattern), {});
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of splitOnSpecials(text, specials)) {
      const normalized = splitter.normalizer ? splitter.normalizer(piece) : piece;
      for (const word of splitter.pre_tokenizer!(normalized)) {
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/**
 * Trains byte-level BPE on `texts`: ids 0..255 are the bytes (GPT-2 order), then one id per
 * merge, then the special tokens. Same texts and options → identical output.
 * @example
 * const r = trainByteLevelBpe(["ab ab ab cd"], { vocabSize: 300, specialTokens: ["<|e|>"] });
 * r.merges; // 2 ("a b", then "Ġ ab"; every other pair occurs once)
 */
export function trainByteLevelBpe(texts: Iterable<string>, options: TrainBpeOptions): TrainedBpe {
  const { vocabSize, seed = 0, pattern = QWEN2_SPLIT_PATTERN, minFrequency = 2 } = options;
  const specials = options.specialTokens ?? [];
  const maxTokens = vocabSize - specials.length;
  if (!Number.isInteger(vocabSize) || maxTokens < 256 || vocabSize > KEY_BASE) {
    throw new Error(
      `trainByteLevelBpe: vocabSize: expected an integer in [${
        256 + specials.length
      }, ${KEY_BASE}], ` +
        `got ${vocabSize}`,
    );
  }
  const tokens: string[] = BYTE_ORDER.map((b) => BYTE_TO_CHAR[b]); // id → piece
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  const counts = countWords(texts, pattern, specials);
  const words: number[][] = []; // (W, len_w) symbol ids
  const freq: number[] = []; // (W,)
  for (const [word, c] of counts) {
    words.push(Array.from(word, (ch) => idOf.get(ch)!));
    freq.push(c);
  }
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: number): void => {
    const s = words[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * KEY_BASE + s[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * freq[w]);
      if (sign > 0) {
        let set = where.get(key);
        if (set === undefined) where.set(key, set = new Set());
        set.add(w);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);
  const heap: HeapEntry[] = [];
  for (const [key, c] of pairCount) heapPush(heap, [c, tieRank(seed, key), key]);

  const merges: string[] = [];
  while (tokens.length < maxTokens && heap.length > 0) {
    const [c, , key] = heapPop(heap)!;
    if (pairCount.get(key) !== c) continue; // stale entry
    if (c < minFrequency) break;
    const a = Math.floor(key / KEY_BASE), b = key % KEY_BASE;
    const piece = tokens[a] + tokens[b];
    let id = idOf.get(piece);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(piece);
      idOf.set(piece, id);
    }
    merges.push(`${tokens[a]} ${tokens[b]}`);
    const touched = new Set<number>();
    for (const w of where.get(key) ?? []) {
      const s = words[w];
      if (!s.some((x, i) => x === a && s[i + 1] === b)) continue;
      for (let i = 0; i + 1 < s.length; i++) touched.add(s[i] * KEY_BASE + s[i + 1]);
      addPairs(w, -1);
      const merged: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          merged.push(id);
          i++;
        } else merged.push(s[i]);
      }
      words[w] = merged;
      addPairs(w, 1);
      for (let i = 0; i + 1 < merged.length; i++) touched.add(merged[i] * KEY_BASE + merged[i + 1]);
    }
    pairCount.delete(key);
    for (const k of touched) {
      const n = pairCount.get(k) ?? 0;
      if (n > 0) heapPush(heap, [n, tieRank(seed, k), k]);
      else pairCount.delete(k);
    }
  }
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => vocab[t] = i);
  const added = specials.map((content, i) => ({ id: tokens.length + i, content }));
  return {
    tokenizerJson: byteLevelBpeJson(vocab, merges, added, pattern),
    merges: merges.length,
    words: words.length,
  };
}
