// Python `str`/`re` text semantics the authors' code relies on (whitespace, `\d`, strip, int,
// casefold), reproduced code point for code point from CPython's tables (unicode_tables.ts).

import { PY_CASEFOLD, PY_DIGIT_ZEROS, PY_SPACE_CODEPOINTS } from "./unicode_tables.ts";

function codePointClass(points: readonly number[]): string {
  // Builds a regex character class body (for the `u` flag) from sorted code points, merging runs.
  const parts: string[] = [];
  let i = 0;
  while (i < points.length) {
    let j = i;
    while (j + 1 < points.length && points[j + 1] === points[j] + 1) j++;
    const a = `\\u{${points[i].toString(16)}}`;
    parts.push(j > i ? `${a}-\\u{${points[j].toString(16)}}` : a);
    i = j + 1;
  }
  return parts.join("");
}

/** Body of a regex character class equal to Python's `\s` (use with the `u` flag). */
export const PY_SPACE = codePointClass(PY_SPACE_CODEPOINTS);

/** Body of a regex character class equal to Python's `\d` for str patterns (use with `u`). */
export const PY_DIGIT = codePointClass(
  PY_DIGIT_ZEROS.flatMap((z) => [...Array(10)].map((_, i) => z + i)),
);

const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`, "u");
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`, "u");
const SPACE_RUNS = new RegExp(`[${PY_SPACE}]+`, "gu");
/** True for printable ASCII with single inner spaces and none at the ends (what collapseSpace leaves). */
function isPlainAscii(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  if (s.charCodeAt(0) === 32 || s.charCodeAt(n - 1) === 32) return false;
  let prevSpace = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      if (prevSpace) return false;
      prevSpace = true;
    } else if (c < 0x21 || c > 0x7e) return false;
    else prevSpace = false;
  }
  return true;
}

/**
 * Python's `s.strip()` with no arguments.
 * @example pyStrip("\x1c Heat \u3000") // "Heat"
 */
export function pyStrip(s: string): string {
  // fast path: nothing to strip when neither end is whitespace (the common case)
  if (s.length === 0 || (!isPySpace(s.charCodeAt(0)) && !isPySpace(s.charCodeAt(s.length - 1)))) {
    return s;
  }
  return s.replace(LEADING_SPACE, "").replace(TRAILING_SPACE, "");
}

const SPACE_SET = new Set(PY_SPACE_CODEPOINTS); // all in the BMP, so a UTF-16 code unit test is exact

/** Python `str.isspace()` for one UTF-16 code unit. */
export function isPySpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f);
  return c >= 0x85 && SPACE_SET.has(c);
}

/**
 * Python's `re.sub(r"\s+", " ", s.strip()).strip()`: one space between words, none at the ends.
 * @example collapseSpace("  The \t Thing ") // "The Thing"
 */
export function collapseSpace(s: string): string {
  if (isPlainAscii(s)) return s; // fast path: printable ASCII already single-spaced
  return pyStrip(s).replace(SPACE_RUNS, " ");
}

const ASCII_INT = /^[0-9]{1,15}$/;
const DIGIT_VALUE = new Map<number, number>();
for (const zero of PY_DIGIT_ZEROS) for (let i = 0; i < 10; i++) DIGIT_VALUE.set(zero + i, i);

/**
 * Python's `int(s)` for base 10: surrounding whitespace, an optional sign, Unicode decimal digits,
 * single underscores between digits. Returns null where Python raises ValueError.
 * @example pyInt(" 1995 ") // 1995
 */
export function pyInt(s: string): number | null {
  if (ASCII_INT.test(s)) return Number(s); // fast path: plain ASCII digits
  const t = pyStrip(s);
  let i = 0;
  let sign = 1;
  const cps = [...t];
  if (cps[0] === "+" || cps[0] === "-") {
    sign = cps[0] === "-" ? -1 : 1;
    i = 1;
  }
  if (i >= cps.length) return null;
  let value = 0;
  let prevUnderscore = true; // an underscore may not come first
  for (; i < cps.length; i++) {
    const ch = cps[i];
    if (ch === "_") {
      if (prevUnderscore) return null;
      prevUnderscore = true;
      continue;
    }
    const d = DIGIT_VALUE.get(ch.codePointAt(0)!);
    if (d === undefined) return null;
    value = value * 10 + d;
    prevUnderscore = false;
  }
  if (prevUnderscore) return null; // trailing underscore
  return sign * value;
}

const FOLD = new Map<number, string>(PY_CASEFOLD);
// deno-lint-ignore no-control-regex -- the whole ASCII range, control characters included
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * Python's `s.casefold()` (full Unicode case folding, no context rules).
 * @example pyCasefold("Straße") // "strasse"
 */
export function pyCasefold(s: string): string {
  if (ASCII_ONLY.test(s)) return s.toLowerCase();
  let out = "";
  for (const ch of s) out += FOLD.get(ch.codePointAt(0)!) ?? ch;
  return out;
}

/**
 * The authors' title key for ground-truth matching: `re.sub(r"\s+", " ", s.strip()).casefold()`.
 * @example titleKey("  the  MATRIX ") // "the matrix"
 */
export function titleKey(s: string): string {
  if (isPlainAscii(s)) return s.toLowerCase(); // printable ASCII, single-spaced: casefold = lower
  return pyCasefold(pyStrip(s).replace(SPACE_RUNS, " "));
}
