// A tiny string vocabulary for generation tests (no real tokenizer): greedy longest-match encoding,
// concatenation decoding, with optional merged "\n" tokens to exercise canonical segmentation.

/** A fake tokenizer over `pieces` (index = token id). */
export interface FakeVocab {
  pieces: string[];
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  id(piece: string): number;
}

/**
 * Vocabulary of `specials` (never produced by encode), `extra` multi-character pieces, and every
 * character of `texts` (so any of them can be encoded).
 */
export function fakeVocab(
  texts: readonly string[],
  extra: readonly string[],
  specials: readonly string[],
): FakeVocab {
  const chars = [...new Set(texts.flatMap((t) => [...t]))].sort();
  const pieces = [...new Set([...specials, "\n", ...extra, ...chars])];
  const index = new Map(pieces.map((p, i) => [p, i]));
  const normal = pieces.filter((p) => !specials.includes(p)).sort((a, b) => b.length - a.length);
  const encode = (text: string): number[] => {
    const out: number[] = [];
    let i = 0;
    while (i < text.length) {
      const p = normal.find((q) => text.startsWith(q, i));
      if (!p) throw new Error(`fake vocab: no piece for ${JSON.stringify(text.slice(i, i + 5))}`);
      out.push(index.get(p)!);
      i += p.length;
    }
    return out;
  };
  const id = (piece: string) => {
    const i = index.get(piece);
    if (i === undefined) throw new Error(`fake vocab: no piece ${JSON.stringify(piece)}`);
    return i;
  };
  return { pieces, encode, decode: (ids) => ids.map((i) => pieces[i]).join(""), id };
}
