// Parses the Reflect judge's answer (`movie_name (release_year)####rating`, paper.md §5 step 2) into one
// −2..2 rating per candidate, tolerant of numbering, bullets, markdown, other separators and repeats.

import { type Item, parseLine } from "../../catalog/parse_list.ts";
import { titleKey } from "../../catalog/py_text.ts";
import type { DroppedLine, RateResult } from "./teacher.ts";

/** Lowest and highest rating on the 5-level scale (bad … great). */
export const RATING_MIN = -2;
export const RATING_MAX = 2;

/** Largest |year difference| for matching a judge line to a candidate by title alone. */
const YEAR_TOLERANCE = 2;

const HASH_RUN = /#{2,}/g;
// No `####`: "Title (1999): 2", "Title (1999) - 2", "Title (1999) 2" (greedy, so the last `(YYYY)`).
const OTHER_SEPARATOR = /^(.*\(\s*\d{4}\s*\)[*_"'”’]*)\s*(?:[:=|>→\-–—]+\s*|\s)(\S.*)$/u;
const RATING_WRAP = /^[\s*_`"'“”‘’[\](){}<>]+|[\s*_`"'“”‘’[\](){}<>.,;:!]+$/gu;
const RATING = /^([+\-−–]?)\s*(\d+(?:\.\d+)?)(?![\d./])/u;

/** The judge's ratings without the truncation flag (which comes from the response). */
export type ParsedRatings = Omit<RateResult, "truncated">;

/**
 * Splits one judge line into its item text and rating text, or null when no separator is found.
 * @example splitJudgeLine("3. **Heat (1995)####2**") // ["3. **Heat (1995)", "2**"]
 */
export function splitJudgeLine(line: string): [string, string] | null {
  let last: RegExpExecArray | null = null;
  for (const m of line.matchAll(HASH_RUN)) last = m as RegExpExecArray;
  if (last !== null) {
    return [line.slice(0, last.index), line.slice(last.index + last[0].length)];
  }
  const m = OTHER_SEPARATOR.exec(line);
  return m === null ? null : [m[1], m[2]];
}

/**
 * Reads a rating: an integer in −2..2, optionally signed (`+2`, `−1`), decorated (`**2**`, `[2]`),
 * written `2.0`, or followed by words (`2 (great)`). Anything else (words, 1.5, 3, 2/2) is null.
 * @example parseRating(" **-1** (poor)") // -1
 */
export function parseRating(text: string): number | null {
  const m = RATING.exec(text.replace(RATING_WRAP, ""));
  if (m === null) return null;
  const value = Number(m[2]) * (m[1] === "" || m[1] === "+" ? 1 : -1);
  if (!Number.isInteger(value) || value < RATING_MIN || value > RATING_MAX) return null;
  return value === 0 ? 0 : value; // no -0
}

/** Title key of an item after the same cleaning a judge line goes through. */
function itemTitleKey(item: Item): string {
  const parsed = parseLine(`${item[0]} (${item[1]})`);
  return titleKey(parsed === null ? item[0] : parsed[0]);
}

/**
 * Parses the judge's answer against the candidates it was shown. A line matches a candidate by
 * (normalised title, year), or by title alone when exactly one candidate has that title within ±2
 * years (counted in `yearMismatches`). The first line for a candidate wins; lines for unknown items
 * are ignored; every dropped line is reported with its reason.
 * @example
 * const r = parseRatings("1. Heat (1995)####2\nAlien (1979) - 7\nBig (1988)####1", [["Heat", 1995], ["Alien", 1979], ["Up", 2009]]);
 * // r.ratings [2, null, null]; r.invalid 1, r.missing 1, r.unknown 1
 */
export function parseRatings(text: string, candidates: readonly Item[]): ParsedRatings {
  const exact = new Map<string, number[]>();
  const byTitle = new Map<string, number[]>();
  candidates.forEach((item, i) => {
    const tk = itemTitleKey(item);
    const ek = `${tk}\u0000${item[1]}`;
    exact.set(ek, [...(exact.get(ek) ?? []), i]);
    byTitle.set(tk, [...(byTitle.get(tk) ?? []), i]);
  });
  const ratings: (number | null)[] = candidates.map(() => null);
  const seen: boolean[] = candidates.map(() => false);
  const dropped: DroppedLine[] = [];
  let invalid = 0, unknown = 0, duplicates = 0, unparsed = 0, yearMismatches = 0;

  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (line === "") continue;
    const parts = splitJudgeLine(line);
    const item = parts === null ? null : parseLine(parts[0].trim());
    if (parts === null || item === null) {
      unparsed++;
      dropped.push({ line, reason: "unparsed" });
      continue;
    }
    const tk = titleKey(item[0]);
    let targets = exact.get(`${tk}\u0000${item[1]}`) ?? [];
    const byYearFallback = targets.length === 0;
    if (byYearFallback) {
      const sameTitle = (byTitle.get(tk) ?? [])
        .filter((i) => Math.abs(candidates[i][1] - item[1]) <= YEAR_TOLERANCE);
      const years = new Set(sameTitle.map((i) => candidates[i][1]));
      if (years.size === 1) targets = sameTitle;
    }
    if (targets.length === 0) {
      unknown++;
      dropped.push({ line, reason: "unknown" });
      continue;
    }
    const fresh = targets.filter((i) => !seen[i]);
    if (fresh.length === 0) {
      duplicates++;
      dropped.push({ line, reason: "duplicate" });
      continue;
    }
    if (byYearFallback) yearMismatches++;
    const rating = parseRating(parts[1]);
    for (const i of fresh) {
      seen[i] = true;
      ratings[i] = rating;
      if (rating === null) invalid++;
    }
    if (rating === null) dropped.push({ line, reason: "invalid" });
  }
  const missing = seen.filter((s) => !s).length;
  return { ratings, missing, invalid, unknown, duplicates, unparsed, yearMismatches, dropped };
}
