// Catalog-constrained decoding: per-row state over a CatalogTrie that allows only tokens keeping the current
// line a prefix of a catalog item, then newline or EOS; optionally no repeats (exact: per-row counts of used
// items per trie node, the trie itself shared) and no seen titles.
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

/**
 * State of one row: where the current line is in the trie, and items no longer allowed. The trie is shared
 * by all rows; a row only counts, per node on the path of each forbidden item, how many items below that
 * node it has used up (a node stays open while `node.count - blocked` > 0).
 */
export interface CatalogState {
  node: TrieNode;
  /** per node: how many items of its subtree are forbidden (seen titles, and emitted items with noRepeat) */
  blocked: Map<TrieNode, number>;
  /** forbidden item ids (canonical: the id the trie keeps for a token sequence) */
  forbidden: Set<number>;
  /** item ids completed so far, in order (an item ended by EOS without a newline included) */
  emitted: number[];
}

/** Options of {@link catalogConstraint}. */
export interface CatalogConstraintOptions {
  /**
   * forbid an item already emitted in the same completion: a prefix stays allowed while it still leads to an
   * item not yet emitted (nor forbidden); when none is left below it, its token is masked @default true
   */
  noRepeat?: boolean;
  /** titles each prompt must not recommend (every year of the title), by prompt index @default none */
  forbiddenTitles?: readonly (readonly string[])[];
  /** allow EOS before the first item (an empty list) @default false */
  allowEmpty?: boolean;
}

/** The trie node where `item`'s tokens end. */
function itemNode(trie: CatalogTrie, item: number): TrieNode {
  let node = trie.root;
  for (const id of trie.itemTokens[item]) node = node.children.get(id)!;
  return node;
}

function forbid(trie: CatalogTrie, state: CatalogState, item: number): void {
  // an item whose tokens equal an earlier item's is not counted in the trie: block the kept one, once
  const canonical = itemNode(trie, item).item;
  if (state.forbidden.has(canonical)) return;
  state.forbidden.add(canonical);
  let node = trie.root;
  state.blocked.set(node, (state.blocked.get(node) ?? 0) + 1);
  for (const id of trie.itemTokens[canonical]) {
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
 * No dead ends: a token is allowed only if some allowed item lies at or below its node, so every line can be
 * completed; at a line start with nothing left (every item emitted or forbidden) only EOS is allowed, even
 * before a first item. With `noRepeat` no completion names an item twice.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * import { loadTokenizer } from "../tokenizer/load.ts";
 * import { buildCatalogTrie } from "./catalog_trie.ts";
 * import { generate } from "./generate.ts";
 * const { config, weights } = await loadCheckpoint("data/models/builtin-sft");
 * const tok = await loadTokenizer("data/models/builtin-sft");
 * const items = [{ title: "Heat", year: 1995 }, { title: "Up", year: 2009 }];
 * const encode = (t: string) => tok.encode(t, { addSpecialTokens: false });
 * const trie = buildCatalogTrie(items, encode, { eosIds: [tok.eosId] });
 * const c = catalogConstraint(trie, { noRepeat: true, forbiddenTitles: [["Heat"]] });
 * const prompts = [encode("USER: A Pixar film?\n")];
 * const { completions } = await generate({ weights, config }, prompts, {
 *   maxNewTokens: 16, constraint: c, eosIds: trie.eosIds, seed: 1,
 * });
 * const text = tok.decode(completions[0].tokenIds);
 * if (text.includes("Heat")) throw new Error(text); // only "Up (2009)\n" lines can be written
 * ```
 */
export function catalogConstraint(
  trie: CatalogTrie,
  options: CatalogConstraintOptions = {},
): TokenConstraint<CatalogState> {
  const noRepeat = options.noRepeat ?? true;
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
      if (trie.eosIds.includes(token)) {
        if (state.node !== trie.root && state.node.item >= 0) state.emitted.push(state.node.item);
        state.node = trie.root;
        return state;
      }
      if (token === trie.newlineId) {
        const item = state.node.item;
        if (state.node === trie.root || item < 0) {
          throw new Error(
            "lib/model/generate/catalog_constraint.ts: newline before a complete item",
          );
        }
        state.emitted.push(item);
        if (noRepeat) forbid(trie, state, item);
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
