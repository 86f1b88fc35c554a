// Catalog-constrained decoding: per-row state over a CatalogTrie that allows only tokens keeping the current
// line a prefix of a catalog item, then newline or EOS; optionally no repeats and no seen titles.
import type { CatalogTrie, TrieNode } from "./catalog_trie.ts";

/** A per-row token filter used by generate: which ids may come next, and how a chosen id moves the state. */
export interface TokenConstraint<S> {
  /** state before the first completion token of a row of prompt `promptIndex` */
  start(promptIndex: number): S;
  /** ids allowed next (non-empty) */
  allowed(state: S): readonly number[];
  /** state after `token` (may update `state` in place and return it) */
  advance(state: S, token: number): S;
}

/** State of one row: where the current line is in the trie, and items no longer allowed. */
export interface CatalogState {
  node: TrieNode;
  /** per node: how many items of its subtree are forbidden */
  blocked: Map<TrieNode, number>;
  forbidden: Set<number>;
  /** item ids completed so far, in order */
  emitted: number[];
}

/** Options of {@link catalogConstraint}. */
export interface CatalogConstraintOptions {
  /** forbid an item already emitted in the same completion @default true */
  forbidRepeats?: boolean;
  /** titles each prompt must not recommend (every year of the title), by prompt index @default none */
  forbiddenTitles?: readonly (readonly string[])[];
  /** allow EOS before the first item (an empty list) @default false */
  allowEmpty?: boolean;
}

function forbid(trie: CatalogTrie, state: CatalogState, item: number): void {
  if (state.forbidden.has(item)) return;
  state.forbidden.add(item);
  let node = trie.root;
  state.blocked.set(node, (state.blocked.get(node) ?? 0) + 1);
  for (const id of trie.itemTokens[item]) {
    node = node.children.get(id)!;
    state.blocked.set(node, (state.blocked.get(node) ?? 0) + 1);
  }
}

function open(state: CatalogState, node: TrieNode): boolean {
  return node.count - (state.blocked.get(node) ?? 0) > 0;
}

/**
 * The catalog constraint for generate. At a line start: first tokens of items still allowed, and EOS (once
 * an item was emitted, or always with `allowEmpty`); inside a line: tokens continuing some allowed item;
 * after a complete allowed item also newline and EOS. Tokens merging "\n" with text are never allowed: the
 * output uses the canonical segmentation (see segmentationMismatches).
 *
 * @example
 * ```ts
 * const c = catalogConstraint(trie, { forbiddenTitles: [["Heat"]] });
 * const out = await generate(dw, prompts, { constraint: c, eosIds: trie.eosIds, seed: 1 });
 * ```
 */
export function catalogConstraint(
  trie: CatalogTrie,
  options: CatalogConstraintOptions = {},
): TokenConstraint<CatalogState> {
  const forbidRepeats = options.forbidRepeats ?? true;
  return {
    start(promptIndex) {
      const state: CatalogState = {
        node: trie.root,
        blocked: new Map(),
        forbidden: new Set(),
        emitted: [],
      };
      for (const title of options.forbiddenTitles?.[promptIndex] ?? []) {
        for (const item of trie.byTitle.get(title) ?? []) forbid(trie, state, item);
      }
      return state;
    },
    allowed(state) {
      const out: number[] = [];
      for (const [id, child] of state.node.children) if (open(state, child)) out.push(id);
      const atStart = state.node === trie.root;
      const complete = !atStart && state.node.item >= 0 && !state.forbidden.has(state.node.item);
      if (complete) out.push(trie.newlineId);
      if (
        complete ||
        (atStart && (state.emitted.length > 0 || options.allowEmpty || out.length === 0))
      ) {
        out.push(...trie.eosIds);
      }
      return out;
    },
    advance(state, token) {
      if (trie.eosIds.includes(token)) return state;
      if (token === trie.newlineId) {
        const item = state.node.item;
        if (state.node === trie.root || item < 0) {
          throw new Error(
            "lib/model/generate/catalog_constraint.ts: newline before a complete item",
          );
        }
        state.emitted.push(item);
        if (forbidRepeats) forbid(trie, state, item);
        state.node = trie.root;
        return state;
      }
      const next = state.node.children.get(token);
      if (!next) {
        throw new Error(
          `lib/model/generate/catalog_constraint.ts: token ${token} leaves the catalog trie`,
        );
      }
      state.node = next;
      return state;
    },
  };
}
