// The Reflect judge parser: hand-written answers in many formats, each count checked by hand.

import { assertEquals } from "../../_assert.ts";
import {
  parseRating,
  parseRatings,
  splitJudgeLine,
} from "../../../lib/distill/teacher/parse_ratings.ts";
import type { Item } from "../../../lib/catalog/parse_list.ts";

const CANDIDATES: Item[] = [
  ["Heat", 1995],
  ["Alien", 1979],
  ["The Matrix", 1999],
  ["Up", 2009],
  ["Se7en", 1995],
];

Deno.test("clean answer in the requested format", () => {
  const r = parseRatings(
    "Heat (1995)####2\nAlien (1979)####-1\nThe Matrix (1999)####0\nUp (2009)####-2\nSe7en (1995)####1",
    CANDIDATES,
  );
  assertEquals(r.ratings, [2, -1, 0, -2, 1]);
  assertEquals([r.missing, r.invalid, r.unknown, r.duplicates, r.unparsed, r.dropped.length], [
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
});

Deno.test("numbering, bullets, markdown, quotes, spaces, other separators, case", () => {
  const text = [
    "Here are my ratings:",
    "1. **Heat (1995)####2**",
    '  - "Alien" (1979) #### +1  ',
    "* the matrix (1999): −1",
    "3) Up (2009) - 0 (neutral)",
    "Se7en (1995) ### [-2]",
  ].join("\n");
  const r = parseRatings(text, CANDIDATES);
  assertEquals(r.ratings, [2, 1, -1, 0, -2]);
  assertEquals([r.missing, r.unparsed], [0, 1]);
  assertEquals(r.dropped, [{ line: "Here are my ratings:", reason: "unparsed" }]);
});

Deno.test("missing, unknown, out-of-range, non-numeric and duplicated lines", () => {
  const text = [
    "Heat (1995)####2",
    "Heat (1995)####-2", // duplicate: first wins
    "Alien (1979)####5", // out of range
    "The Matrix (1999)####great", // non-numeric
    "Jaws (1975)####2", // not a candidate
    "Up (2009)####1.5", // not an integer
    "",
  ].join("\n");
  const r = parseRatings(text, CANDIDATES);
  assertEquals(r.ratings, [2, null, null, null, null]);
  assertEquals(
    [r.missing, r.invalid, r.unknown, r.duplicates, r.unparsed],
    [1, 3, 1, 1, 0], // Se7en missing; Alien, Matrix, Up invalid
  );
  assertEquals(r.dropped.map((d) => d.reason), [
    "duplicate",
    "invalid",
    "invalid",
    "unknown",
    "invalid",
  ]);
});

Deno.test("a wrong year within ±2 matches a unique title; remakes stay apart", () => {
  const c: Item[] = [["Heat", 1995], ["Dune", 1984], ["Dune", 2021]];
  const r = parseRatings("Heat (1996)####1\nDune (2020)####2\nDune (1990)####-1", c);
  assertEquals(r.ratings, [1, null, 2]);
  assertEquals([r.yearMismatches, r.unknown, r.missing], [2, 1, 1]);
});

Deno.test("titles with parentheses and repeated candidates", () => {
  const c: Item[] = [["Birdman (or The Unexpected Virtue of Ignorance)", 2014], ["Heat", 1995], [
    "Heat",
    1995,
  ]];
  const r = parseRatings(
    "Birdman (or The Unexpected Virtue of Ignorance) (2014)####2\nHeat (1995)####1",
    c,
  );
  assertEquals(r.ratings, [2, 1, 1]);
  assertEquals(r.missing, 0);
});

Deno.test("empty answer: every candidate missing", () => {
  const r = parseRatings("", CANDIDATES);
  assertEquals(r.ratings, [null, null, null, null, null]);
  assertEquals(r.missing, 5);
});

Deno.test("splitJudgeLine and parseRating edge cases", () => {
  assertEquals(splitJudgeLine("Mission: Impossible - Fallout (2018)####2"), [
    "Mission: Impossible - Fallout (2018)",
    "2",
  ]);
  assertEquals(splitJudgeLine("Mission: Impossible - Fallout (2018) - 2"), [
    "Mission: Impossible - Fallout (2018)",
    "2",
  ]);
  assertEquals(splitJudgeLine("no separator here"), null);
  assertEquals(
    ["2", "+2", "-0", "2.0", "**-1**", "(1)", "3", "-3", "1.5", "2/2", "good", "", "12"].map(
      parseRating,
    ),
    [2, 2, 0, 2, -1, 1, null, null, null, null, null, null, null],
  );
});
