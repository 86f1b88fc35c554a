// A token trie over catalog items, each encoded on its own as `Title (Year)`; lines are separated by a
// newline token encoded separately (beyond the paper: the basis of catalog-constrained decoding).

/** One trie node: children by token id, the item ending here (-1 if none), items in its subtree. */
export interface TrieNode {
  readonly children: Map<number, TrieNode>;
  item: number;
  /** number of items ending at this node or below it */
  count: number;
}

/** The catalog as token sequences. */
export interface CatalogTrie {
  readonly root: TrieNode;
  /** items in catalog order (index = item id) */
  readonly items: readonly { readonly title: string; readonly year: number }[];
  /** canonical token ids of each item's `Title (Year)` */
  readonly itemTokens: readonly (readonly number[])[];
  /** the single token of "\n" */
  readonly newlineId: number;
  /** tokens that end a completion */
  readonly eosIds: readonly number[];
  /** item ids by exact title (several years may share a title) */
  readonly byTitle: ReadonlyMap<string, readonly number[]>;
}

/** Text of one item line as the trie encodes it. */
export function itemText(item: { title: string; year: number }): string {
  return `${item.title} (${item.year})`;
}

/**
 * Build the trie. `encode` maps text to token ids without special tokens; "\n" must encode to one token.
 * Items with identical token sequences (only possible for duplicate texts) keep the first id.
 *
 * @example
 * ```ts
 * import { loadTokenizer } from "../tokenizer/load.ts";
 * const tok = await loadTokenizer("data/models/builtin-sft");
 * const items = [{ title: "Heat", year: 1995 }, { title: "Up", year: 2009 }];
 * const trie = buildCatalogTrie(items, (t) => tok.encode(t, { addSpecialTokens: false }), {
 *   eosIds: [tok.eosId],
 * });
 * ```
 */
export function buildCatalogTrie(
  items: readonly { readonly title: string; readonly year: number }[],
  encode: (text: string) => readonly number[],
  options: { eosIds: readonly number[] },
): CatalogTrie {
  const nl = encode("\n");
  if (nl.length !== 1) {
    throw new Error(
      `lib/model/generate/catalog_trie.ts: encode("\\n") gave ${nl.length} tokens [${nl}], expected exactly 1`,
    );
  }
  const newlineId = nl[0];
  const specials = new Set([newlineId, ...options.eosIds]);
  const root: TrieNode = { children: new Map(), item: -1, count: 0 };
  const itemTokens: number[][] = [];
  const byTitle = new Map<string, number[]>();
  items.forEach((item, i) => {
    const text = itemText(item);
    const ids = [...encode(text)];
    if (ids.length === 0 || ids.some((id) => specials.has(id))) {
      throw new Error(
        `lib/model/generate/catalog_trie.ts: item ${i} ${
          JSON.stringify(text)
        } encodes to [${ids}]: ` +
          "expected a non-empty sequence without the newline or EOS token",
      );
    }
    itemTokens.push(ids);
    const list = byTitle.get(item.title) ?? [];
    list.push(i);
    byTitle.set(item.title, list);
    let node = root;
    const path = [root];
    for (const id of ids) {
      let next = node.children.get(id);
      if (!next) node.children.set(id, next = { children: new Map(), item: -1, count: 0 });
      node = next;
      path.push(node);
    }
    if (node.item >= 0) return; // same tokens as an earlier item
    node.item = i;
    for (const n of path) n.count++;
  });
  return { root, items, itemTokens, newlineId, eosIds: [...options.eosIds], byTitle };
}

/**
 * Items whose canonical segmentation is not what the tokenizer produces inside a list: ids where
 * encode(`A\nB`) ≠ encode(A) ++ [newline] ++ encode(B) for the item and its neighbour in `items`. When this
 * is empty, constrained outputs are exactly the tokenizer's own segmentation of the list text; otherwise
 * they are still valid ids that decode to the same text, but a re-encoded list would differ.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * import { loadTokenizer } from "../tokenizer/load.ts";
 * const tok = await loadTokenizer("data/models/builtin-sft");
 * const encode = (t: string) => tok.encode(t, { addSpecialTokens: false });
 * const trie = buildCatalogTrie([{ title: "Heat", year: 1995 }], encode, { eosIds: [tok.eosId] });
 * deepStrictEqual(segmentationMismatches(trie, encode), []); // "\n" never merges with text here
 * ```
 */
export function segmentationMismatches(
  trie: CatalogTrie,
  encode: (text: string) => readonly number[],
): number[] {
  const bad: number[] = [];
  trie.items.forEach((item, i) => {
    const next = trie.items[(i + 1) % trie.items.length];
    const joined = encode(`${itemText(item)}\n${itemText(next)}`);
    const parts = [
      ...trie.itemTokens[i],
      trie.newlineId,
      ...trie.itemTokens[(i + 1) % trie.items.length],
    ];
    if (joined.length !== parts.length || joined.some((id, k) => id !== parts[k])) bad.push(i);
  });
  return bad;
}
