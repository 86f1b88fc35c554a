// Batch scoring of rollouts: B generated texts (G per prompt) → a (B, N) hits array plus per-rollout
// parse and compliance counts — what an RL step needs from every batch, in one pass.

import { parseList } from "../catalog/parse_list.ts";
import { alignedHits, memberKeys, type ScoringContext } from "./aligned_hits.ts";
import { complianceCounts } from "./compliance.ts";

/** What {@link hitsBatch} returns; row b belongs to `contexts[Math.floor(b / g)]`. */
export interface HitsBatch {
  /** (B, N) row-major hits. */
  hits: Uint8Array;
  /** (B) parsed items per rollout (all of them, not capped at N). */
  items: Int32Array;
  /** (B) non-empty lines that did not parse. */
  dropped: Int32Array;
  /** (B) of the first N non-empty lines, how many are exact catalog items. */
  inCatalog: Int32Array;
  /** (B) min(N, non-empty lines). */
  slots: Int32Array;
}

/**
 * Scores B = P·G rollout texts: rollout b is scored against prompt `Math.floor(b / g)`'s context.
 * @example hitsBatch(["Heat (1995)", "Up (2009)"], [ctx], { g: 2 }).hits.length // 40
 */
export function hitsBatch(
  texts: readonly string[],
  contexts: readonly ScoringContext[],
  options: { g: number; n?: number },
): HitsBatch {
  const n = options.n ?? 20;
  const { g } = options;
  const b = texts.length;
  if (b !== contexts.length * g) {
    throw new Error(
      `hitsBatch: ${b} texts for ${contexts.length} prompts × G=${g} (expected ${
        contexts.length * g
      })`,
    );
  }
  const out: HitsBatch = {
    hits: new Uint8Array(b * n), // (B, N)
    items: new Int32Array(b),
    dropped: new Int32Array(b),
    inCatalog: new Int32Array(b),
    slots: new Int32Array(b),
  };
  for (let i = 0; i < b; i++) {
    const ctx = contexts[Math.floor(i / g)];
    const parsed = parseList(texts[i]);
    const keys = memberKeys(parsed.items, ctx.catalog);
    alignedHits(parsed.items, ctx, { n, keys, out: out.hits.subarray(i * n, (i + 1) * n) });
    const c = complianceCounts(parsed, ctx.catalog, n, keys);
    out.items[i] = parsed.items.length;
    out.dropped[i] = parsed.dropped;
    out.inCatalog[i] = c.inCatalog;
    out.slots[i] = c.slots;
  }
  return out;
}
