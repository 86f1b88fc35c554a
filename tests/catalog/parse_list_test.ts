import { assertEquals } from "../_assert.ts";
import { cleanTitle, delFormat, parseLine, parseList } from "../../lib/catalog/parse_list.ts";
import { collapseSpace, pyCasefold, pyInt, pyStrip, titleKey } from "../../lib/catalog/py_text.ts";

Deno.test("parseLine: the paper's example, bold + numbering + quotes + inner parentheses", () => {
  assertEquals(parseLine(`**3. "Heat" (Director's Cut) (1995)**`), ["Heat", 1995]);
});

Deno.test("parseLine: numbering styles need whitespace after the mark (authors' code)", () => {
  for (const mark of ["1.", "1)", "1、", "1-", "1—", "1–", "12 .", "7 )"]) {
    assertEquals(parseLine(`${mark} Heat (1995)`), ["Heat", 1995], mark);
  }
  // no space after the mark: the numbering stays part of the title
  assertEquals(parseLine("1.Heat (1995)"), ["1.Heat", 1995]);
  assertEquals(parseLine("3)Heat (1995)"), ["3)Heat", 1995]);
});

Deno.test("parseLine: bullets, markdown, leading hashes, nested decoration", () => {
  assertEquals(parseLine("- Heat (1995)"), ["Heat", 1995]);
  assertEquals(parseLine("* Heat (1995)"), ["Heat", 1995]);
  assertEquals(parseLine("### Heat (1995)"), ["Heat", 1995]);
  assertEquals(parseLine("__Heat (1995)__"), ["Heat", 1995]);
  assertEquals(parseLine("- **1. Heat (1995)**"), ["Heat", 1995]);
  assertEquals(parseLine("#1. Heat (1995)"), ["Heat", 1995]);
  assertEquals(parseLine("*Heat* (1995)"), ["Heat", 1995]);
});

Deno.test("parseLine: quotes are removed once per cleaning round", () => {
  assertEquals(parseLine(`"Heat (1995)"`), ["Heat", 1995]);
  assertEquals(parseLine(`'Heat' (1995)`), ["Heat", 1995]);
  assertEquals(parseLine(`"'Heat'" (1995)`), ["Heat", 1995]);
  assertEquals(parseLine(`"Heat (1995)`), [`"Heat`, 1995]); // unbalanced: kept
  assertEquals(parseLine(`Schindler's List (1993)`), ["Schindler's List", 1993]);
});

Deno.test("parseLine: parentheses inside titles and trailing commentary", () => {
  assertEquals(parseLine("(500) Days of Summer (2009)"), ["Days of Summer", 2009]);
  assertEquals(parseLine("Heat (1995) - a great heist film (my favourite)"), ["Heat", 1995]);
  // the first `(dddd)` after whitespace ends the match; an unclosed group stays in the title
  assertEquals(parseLine("Blade Runner (Final Cut (2007)) (1982)"), [
    "Blade Runner (Final Cut",
    2007,
  ]);
  // the first `(dddd)` after whitespace ends the title: lazy match
  assertEquals(parseLine("Wonder Woman 1984 (2020) (2020)"), ["Wonder Woman 1984", 2020]);
  assertEquals(parseLine("2001: A Space Odyssey (1968)"), ["2001: A Space Odyssey", 1968]);
});

Deno.test("parseLine: format violations", () => {
  for (
    const bad of [
      "Heat",
      "Heat 1995",
      "Heat(1995)", // no whitespace before the parenthesis
      "Heat (95)",
      "The Wall (201)",
      "Heat (19955)",
      "(1995)",
      "Here are 20 recommendations:",
      "",
    ]
  ) assertEquals(parseLine(bad), null, bad);
});

Deno.test("parseLine: lowercase titles are kept as written", () => {
  assertEquals(parseLine("the matrix (1999)"), ["the matrix", 1999]);
});

Deno.test("parseLine: Python whitespace and Unicode digits", () => {
  assertEquals(parseLine("Heat\u3000(1995)"), ["Heat", 1995]);
  assertEquals(parseLine("\x1cHeat\x85 (1995)"), ["Heat", 1995]);
  assertEquals(parseLine("Heat (١٩٩٥)"), ["Heat", 1995]);
  // U+FEFF is whitespace in JS but not in Python: it stays in the title
  assertEquals(parseLine("\ufeffHeat (1995)"), ["\ufeffHeat", 1995]);
});

Deno.test("parseList: newline runs, blank lines, counts and item line indices", () => {
  const r = parseList("\n\n1. Heat (1995)\r\n\n  \nnot a movie\n- Alien (1979)  \n\n");
  assertEquals(r.items, [["Heat", 1995], ["Alien", 1979]]);
  assertEquals(r.lines, 3);
  assertEquals(r.dropped, 1);
  assertEquals(r.itemLines, [0, 2]);
});

Deno.test("parseList: empty text and garbage only", () => {
  assertEquals(parseList(""), { items: [], lines: 0, dropped: 0, itemLines: [] });
  assertEquals(parseList("   \n \n"), { items: [], lines: 0, dropped: 0, itemLines: [] });
  const g = parseList("I cannot help with that.\nSorry!");
  assertEquals([g.items.length, g.lines, g.dropped], [0, 2, 2]);
});

Deno.test("parseList: more than 20 items are all returned (scorers take the first N)", () => {
  const text = Array.from({ length: 25 }, (_, i) => `Movie ${i} (${1990 + i})`).join("\n");
  const r = parseList(text);
  assertEquals(r.items.length, 25);
  assertEquals(r.items[24], ["Movie 24", 2014]);
});

Deno.test("delFormat and cleanTitle reach a fixed point", () => {
  assertEquals(delFormat("** - # Heat - **"), "Heat");
  assertEquals(cleanTitle(`"Heat" (Director's Cut)`), "Heat");
  assertEquals(cleanTitle(` '"Heat"' `), "Heat");
});

Deno.test("py_text: strip, collapse, int, casefold follow Python", () => {
  assertEquals(pyStrip("\x1c\x85 a b \u3000"), "a b");
  assertEquals(pyStrip("\ufeffa"), "\ufeffa");
  assertEquals(collapseSpace(" a  \t b "), "a b");
  assertEquals(collapseSpace("a b"), "a b");
  assertEquals(pyInt(" 1995 "), 1995);
  assertEquals(pyInt("1_995"), 1995);
  assertEquals(pyInt("+12"), 12);
  assertEquals(pyInt("١٩٩٥"), 1995);
  assertEquals(pyInt("19 95"), null);
  assertEquals(pyInt("_1"), null);
  assertEquals(pyInt("1__2"), null);
  assertEquals(pyInt(""), null);
  assertEquals(pyCasefold("Straße"), "strasse");
  assertEquals(pyCasefold("ΣΑΣ ς"), "σασ σ");
  assertEquals(pyCasefold("ﬁlm"), "film");
  assertEquals(pyCasefold("İ"), "i\u0307");
  assertEquals(titleKey("  The   MATRIX "), "the matrix");
});
