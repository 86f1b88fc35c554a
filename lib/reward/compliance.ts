// Compliance of a generated list: in-catalog share and format-violation share over the list's first
// N non-empty lines (the slots a user would read). Beyond the paper, which reports only an in-catalog share.

import type { ParsedList } from "../catalog/parse_list.ts";
import type { CatalogMembership } from "./aligned_hits.ts";

/** Counts over the first N non-empty lines of one list. */
export interface ComplianceCounts {
  /** Lines considered: min(N, non-empty lines). */
  slots: number;
  /** Of those, lines that parse to an exact catalog `(title, year)` pair. */
  inCatalog: number;
  /** Of those, lines that do not parse as `Title (Year)`. */
  violations: number;
}

/**
 * Compliance counts of a parsed list. A line that does not parse counts as a slot that is not in the
 * catalog, so a list with one broken line out of 20 has in-catalog share 19/20.
 * @example complianceCounts(parseList("Heat (1995)\nnonsense"), { has: () => true }) // {slots:2,inCatalog:1,violations:1}
 */
export function complianceCounts(
  parsed: ParsedList,
  catalog: CatalogMembership,
  n = 20,
  keys?: readonly (string | null)[],
): ComplianceCounts {
  const slots = Math.min(n, parsed.lines);
  let inCatalog = 0;
  let parsedInSlots = 0;
  for (let i = 0; i < parsed.items.length && parsed.itemLines[i] < slots; i++) {
    parsedInSlots++;
    const member = keys !== undefined
      ? keys[i] !== null
      : catalog.has(parsed.items[i][0], parsed.items[i][1]);
    if (member) inCatalog++;
  }
  return { slots, inCatalog, violations: slots - parsedInSlots };
}

/** inCatalog / slots, 0 for an empty list. */
export function inCatalogShare(c: ComplianceCounts): number {
  return c.slots === 0 ? 0 : c.inCatalog / c.slots;
}
