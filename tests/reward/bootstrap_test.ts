// Bootstrap intervals over conversations: the point estimate is the ratio of sums (row-weighted mean),
// intervals contain it and shrink as units grow, paired differences of identical methods are exactly 0,
// and a constant shift is recovered with a narrower interval than the unpaired rows give.
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { createPrng } from "../../lib/data/prng.ts";
import { catalogFromItems } from "../../lib/catalog/catalog.ts";
import {
  bootstrapCi,
  conversationUnit,
  pairedDifferenceCi,
  type UnitScores,
} from "../../lib/reward/bootstrap.ts";

function units(n: number, seed: number, shift = 0): UnitScores[] {
  const prng = createPrng(seed);
  return Array.from({ length: n }, () => {
    const rows = 1 + prng.int(3);
    const v = Math.min(1, Math.max(0, 0.3 * prng.float() + shift));
    return { m: [v * rows, rows] as [number, number] };
  });
}

Deno.test("bootstrapCi: ratio of sums as the estimate, inside its interval, narrower with more units", () => {
  const u: UnitScores[] = [{ m: [1, 1] }, { m: [0, 3] }]; // rows 1 + 3: mean 1/4 (not (1 + 0)/2)
  const ci = bootstrapCi(u, "m", { resamples: 500 });
  assertAlmostEquals(ci.value, 0.25);
  assert(ci.lo <= ci.value && ci.value <= ci.hi);
  const small = bootstrapCi(units(50, 1), "m"), big = bootstrapCi(units(2000, 1), "m");
  assert(
    big.hi - big.lo < (small.hi - small.lo) / 3,
    `${big.hi - big.lo} vs ${small.hi - small.lo}`,
  );
  assertEquals(bootstrapCi(units(50, 1), "m"), small); // seeded: same interval every call
  assertThrows(() => bootstrapCi(u, "ndcg@20"), 'no metric "ndcg@20"');
});

Deno.test("pairedDifferenceCi: identical methods give exactly 0; a shift of 0.01 is resolved", () => {
  const a = units(300, 2);
  const zero = pairedDifferenceCi(a, a, "m");
  assertEquals([zero.value, zero.lo, zero.hi], [0, 0, 0]);
  const b = units(300, 2, 0.01); // same conversations, every value + 0.01 (none clipped: v ≤ 0.31)
  const d = pairedDifferenceCi(b, a, "m");
  assertAlmostEquals(d.value, 0.01, 1e-12);
  assert(d.lo > 0.0099 && d.hi < 0.0101, `paired CI [${d.lo}, ${d.hi}]`);
  const ra = bootstrapCi(a, "m"), rb = bootstrapCi(b, "m");
  assert(ra.hi > rb.lo, "the rows' own intervals overlap; only pairing resolves the shift");
  assertThrows(() => pairedDifferenceCi(a, a.slice(1), "m"), "equal non-empty");
});

Deno.test("conversationUnit sums each row's score: hand-scored two-row conversation", () => {
  const catalog = catalogFromItems([
    { title: "Heat", year: 1995, meta: {} },
    { title: "Ran", year: 1985, meta: {} },
  ]);
  const rows = [
    { seen_titles: [], groundtruth_with_release_year: [["Heat", "1995"]] as [string, string][] },
    { seen_titles: [], groundtruth_with_release_year: [["Ran", "1985"]] as [string, string][] },
  ];
  const u = conversationUnit("Heat (1995)\nRan (1985)\nNope (2000)", rows, { catalog, ks: [1, 5] });
  assertEquals(u["recall@1"], [1, 2]); // row 1 hits at rank 1, row 2 at rank 2
  assertEquals(u["recall@5"], [2, 2]);
  assertAlmostEquals(u["ndcg@5"][0], 1 + 1 / Math.log2(3)); // IDCG 1 for each single-item truth
  assertEquals(u.in_catalog, [4, 6]); // 2 of 3 lines in the catalog, per row
});
