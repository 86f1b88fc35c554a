// Tests of Reflect: s_reflect = s_remap + γ·rating, unrated candidates counted and left at rating 0.
import { assertEquals } from "../_assert.ts";
import { reflectScores } from "../../lib/distill/reflect.ts";
import { parseRatings } from "../../lib/distill/teacher/parse_ratings.ts";

Deno.test("reflectScores: hand-computed, with a missing and an invalid line", () => {
  const cands: [string, number][] = [["Heat", 1995], ["Alien", 1979], ["Up", 2009], ["Big", 1988]];
  const judge = "Here are my ratings:\n1. Heat (1995)####2\nAlien (1979)####-1\nUp (2009)####N/A";
  const r = reflectScores(Float64Array.of(1, 1, 1, 0.5), parseRatings(judge, cands), 0.5);
  assertEquals(Array.from(r.scores), [2, 0.5, 1, 0.5]);
  assertEquals(Array.from(r.ratings), [2, -1, 0, 0]);
  assertEquals(r.counts, { candidates: 4, unrated: 2, droppedLines: 1, yearMismatches: 0 });
});
