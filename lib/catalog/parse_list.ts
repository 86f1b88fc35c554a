// Parses a generated recommendation list into ranked (title, year) items with exactly the authors'
// semantics (`process_rec_raw` in their libs/utils.py), Python whitespace and digit rules included.
// Where paper.md §2.1 and the code differ (a numbering prefix must be followed by whitespace), the code wins.

import { collapseSpace, PY_DIGIT, PY_SPACE, pyInt, pyStrip } from "./py_text.ts";

/** One recommended item: `[title, year]`. */
export type Item = [title: string, year: number];

/** Result of {@link parseList}. */
export interface ParsedList {
  /** Items in generated order, every parsed line (not truncated to N; callers take the first N). */
  items: Item[];
  /** Number of non-empty lines. */
  lines: number;
  /** Non-empty lines that did not parse as `Title (Year)` (format violations). */
  dropped: number;
  /** For each item, the 0-based index of the non-empty line it came from. */
  itemLines: number[];
}

const S = PY_SPACE;
const D = PY_DIGIT;
// del_format, step by step (each `re.sub` of the authors' loop, anchored as in Python).
const LEAD_MARKS = /^[*_\-#]+/u;
const TRAIL_MARKS = /[*_\-#]+$/u;
const LEAD_BULLET_OR_NUMBER = new RegExp(
  `^(?:[*_\\-#]+[${S}]+|(?:[${D}]+[${S}]*[.)、\\-—–][${S}]+))`,
  "u",
);
const LEAD_HASHES = new RegExp(`^#+[${S}]*`, "u");
// `(.+?)\s+\((\d{4})\)` with re.match: anchored at the start only.
const ITEM = new RegExp(`^(.+?)[${S}]+\\(([${D}]{4})\\)`, "u");
// The same on ASCII-only text, where Python's `\s` is [\t\n\v\f\r\x1c-\x1f ] and `\d` is [0-9].
// deno-lint-ignore no-control-regex -- Python `\s` on ASCII includes \x1c-\x1f
const ITEM_ASCII = /^(.+?)[\t\n\v\f\r\x1c-\x1f ]+\(([0-9]{4})\)/;
// deno-lint-ignore no-control-regex -- the whole ASCII range
const ASCII = /^[\x00-\x7f]*$/;
const INNER_PARENS = /\([^()]*\)/g;
const NEWLINE_RUNS = /\n+/g;

/**
 * The authors' `del_format`: strips bullets, bold/italic marks, numbering and leading `#`s from both
 * ends until nothing changes.
 * @example delFormat("**3. Heat (1995)**") // "Heat (1995)"
 */
export function delFormat(text: string): string {
  text = pyStrip(text);
  // fast path: no pass can change a text that starts with an ASCII char other than a mark or digit
  // and does not end with a mark
  const first = text.charCodeAt(0);
  if (
    first < 128 && !isMark(first) && !(first >= 48 && first <= 57) &&
    !isMark(text.charCodeAt(text.length - 1))
  ) return text;
  while (true) {
    let t = pyStrip(text.replace(LEAD_MARKS, ""));
    t = pyStrip(t.replace(TRAIL_MARKS, ""));
    t = pyStrip(t.replace(LEAD_BULLET_OR_NUMBER, ""));
    t = t.replace(LEAD_HASHES, "");
    if (t === text) return text;
    text = t;
  }
}

function isMark(c: number): boolean {
  return c === 42 || c === 95 || c === 45 || c === 35; // * _ - #
}

/**
 * The authors' `remove_quotes`: drops one pair of surrounding `"…"` or `'…'`.
 * @example removeQuotes('"Heat"') // "Heat"
 */
export function removeQuotes(s: string): string {
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) {
    return s.slice(1, -1);
  }
  return s;
}

/**
 * Cleans a matched title to a fixed point: innermost `( … )` groups, whitespace, decoration, quotes.
 * @example cleanTitle('"Heat" (Director\'s Cut)') // "Heat"
 */
export function cleanTitle(title: string): string {
  let next = cleanOnce(title);
  while (next !== title) {
    title = next;
    next = cleanOnce(title);
  }
  return title;
}

function cleanOnce(s: string): string {
  // remove_quotes(del_format(del_space(del_parentheses(s.strip()))))
  const stripped = pyStrip(s);
  const noParens = stripped.includes("(") ? pyStrip(stripped.replace(INNER_PARENS, "")) : stripped;
  return removeQuotes(delFormat(collapseSpace(noParens)));
}

/**
 * Parses one line into an item, or null for a format violation.
 * @example parseLine('**3. "Heat" (Director\'s Cut) (1995)**') // ["Heat", 1995]
 */
export function parseLine(line: string): Item | null {
  return plainLine(line) ?? parseLineGeneral(line);
}

function parseLineGeneral(line: string): Item | null {
  const cleaned = removeQuotes(delFormat(collapseSpace(line)));
  const m = (ASCII.test(cleaned) ? ITEM_ASCII : ITEM).exec(cleaned);
  if (m === null) return null;
  return [cleanTitle(m[1]), pyInt(m[2])!];
}

/**
 * One-pass fast path for the common clean line `Title (Year)…`, or null to take the general path.
 * It accepts only lines on which every step of the general path is provably a no-op: printable ASCII
 * with single inner spaces; first character not a mark, digit or quote (so no decoration, numbering or
 * quote stripping applies); last character not a mark; a title with no `(` and no trailing mark.
 */
function plainLine(line: string): Item | null {
  const n = line.length;
  if (n < 8) return null;
  const first = line.charCodeAt(0);
  if (isMark(first) || (first >= 48 && first <= 57) || first === 34 || first === 39) return null;
  if (isMark(line.charCodeAt(n - 1))) return null;
  let end = -1; // index of the " (dddd)" that ends the title
  let prevSpace = false;
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) {
      if (prevSpace || i === n - 1) return null;
      prevSpace = true;
      continue;
    }
    if (c < 0x21 || c > 0x7e) return null;
    prevSpace = false;
    if (c === 40 && end < 0) { // "("
      if (line.charCodeAt(i - 1) === 32 && isYearAt(line, i + 1) && line.charCodeAt(i + 5) === 41) {
        end = i - 1;
      } else return null; // a "(" inside the title: general path
    }
  }
  if (end < 1 || isMark(line.charCodeAt(end - 1))) return null;
  return [line.slice(0, end), Number(line.slice(end + 2, end + 6))];
}

function isYearAt(s: string, i: number): boolean {
  for (let j = i; j < i + 4; j++) {
    const c = s.charCodeAt(j);
    if (!(c >= 48 && c <= 57)) return false;
  }
  return true;
}

/**
 * Parses a generated list: collapse newline runs, split into lines, strip, drop empty lines, then
 * parse each line (see {@link parseLine}); lines that do not parse are counted as dropped.
 * @example parseList("1. Heat (1995)\n\nnot a movie\n- Alien (1979)").items // [["Heat",1995],["Alien",1979]]
 */
export function parseList(text: string): ParsedList {
  const items: Item[] = [];
  const itemLines: number[] = [];
  let lines = 0;
  for (const raw of pyStrip(text.replace(NEWLINE_RUNS, "\n")).split("\n")) {
    const line = pyStrip(raw);
    if (line === "") continue;
    const item = parseLine(line);
    if (item !== null) {
      items.push(item);
      itemLines.push(lines);
    }
    lines++;
  }
  return { items, lines, dropped: lines - items.length, itemLines };
}
