// Tests of Remap: the rank weights, the exact bonus, and the batched top-k path against the dense
// reference (exact items, excluded seen items, ties), plus a hand-computed case.
import { assert, assertAlmostEquals, assertEquals, f32SumTol } from "../_assert.ts";
import { similarityTopkRef } from "../../kernels/similarity_topk_ref.ts";
import { normalizeRows } from "../../lib/distill/embed/embedder.ts";
import { createPrng } from "../../lib/data/prng.ts";
import {
  chooseTopk,
  exactBonus,
  rankWeight,
  remapCandidates,
  type RemapQuery,
  remapScoresDense,
} from "../../lib/distill/remap.ts";

Deno.test("rankWeight and exactBonus", () => {
  assertEquals(rankWeight(1), 1);
  assertEquals(rankWeight(4), 0.5);
  const b = exactBonus([3, -1, 3, 0]);
  assertAlmostEquals(b.get(3)!, 1 + 1 / Math.sqrt(3), 1e-12);
  assertEquals(b.get(0), 0.5);
  assertEquals(b.size, 2);
});

Deno.test("remapScoresDense: hand-computed two-item example", () => {
  // catalog rows e0 = (1,0), e1 = (0,1), e2 = (0.6,0.8); teacher items t1 = e0 (exact 0), t2 = (0,1) not exact
  const catalog = Float32Array.of(1, 0, 0, 1, 0.6, 0.8);
  const q: RemapQuery = {
    teacherRows: Float32Array.of(1, 0, 0, 1),
    exact: [0, -1],
    context: Float32Array.of(0, 1),
    excluded: [1],
  };
  const s = remapScoresDense(q, catalog, 2, { lambda: 1 });
  // c0: 1·(1+1) + (1/√2)·0 + 0 = 2; c1 excluded; c2: 1·0.6 + (1/√2)·0.8 + 0.8
  assertAlmostEquals(s[0], 2, 1e-6);
  assertEquals(s[1], -Infinity);
  assertAlmostEquals(s[2], 0.6 + 0.8 / Math.SQRT2 + 0.8, 1e-6);
});

function randomCase(seed: number, nc: number, dim: number, nq: number) {
  const prng = createPrng(seed);
  const rows = (n: number) =>
    normalizeRows(Float32Array.from({ length: n * dim }, () => prng.normal()), dim);
  const catalog = rows(nc);
  const queries: RemapQuery[] = Array.from({ length: nq }, (_, i) => {
    const K = 1 + prng.int(20);
    const exact = Array.from({ length: K }, () => (prng.float() < 0.5 ? prng.int(nc) : -1));
    const teacherRows = rows(K);
    exact.forEach((c, k) =>
      c >= 0 && teacherRows.set(catalog.subarray(c * dim, (c + 1) * dim), k * dim)
    );
    const excluded = i % 2 === 0 ? [exact.find((c) => c >= 0) ?? 0, prng.int(nc)] : [];
    return { teacherRows, exact, context: rows(1), excluded };
  });
  return { catalog, queries };
}

Deno.test("remapCandidates (batched top-k) equals the dense reference's top N_r", async () => {
  for (const [nc, nR] of [[300, 100], [90, 100], [500, 7]] as const) {
    const dim = 24;
    const { catalog, queries } = randomCase(nc + nR, nc, dim, 9);
    const got = await remapCandidates(queries, catalog, dim, similarityTopkRef, { nR, lambda: 1 });
    queries.forEach((q, i) => {
      const s = remapScoresDense(q, catalog, dim, { lambda: 1 });
      const order = Array.from(s.keys()).filter((c) => s[c] > -Infinity)
        .sort((a, b) => Math.fround(s[b]) - Math.fround(s[a]) || a - b).slice(0, nR);
      assertEquals(Array.from(got[i].indices), order, `nc ${nc} query ${i}`);
      // the batched path's f32 scores vs the f64 dense reference: a dim-term dot (the twin sums in f64,
      // a GPU kernel in f32) and the f32 bonus merge, at the size of the score (+1 for the bonus)
      got[i].indices.forEach((c, j) =>
        assertAlmostEquals(got[i].scores[j], s[c], f32SumTol(dim + 4, 1 + Math.abs(s[c])))
      );
      for (const c of q.excluded) assert(!got[i].indices.includes(c), "excluded item returned");
    });
  }
});

Deno.test("remapCandidates: N_r beyond the kernel's k falls back to the dense path", async () => {
  const dim = 8;
  const { catalog, queries } = randomCase(5, 400, dim, 3);
  const got = await remapCandidates(queries, catalog, dim, () => {
    throw new Error("top-k must not run for k > 128");
  }, { nR: 200 });
  assertEquals(got[0].indices.length, 200);
});

Deno.test("chooseTopk: cpu mode takes the CPU twin and says so", async () => {
  const t = await chooseTopk("cpu", { nq: 1, nc: 1, dim: 1 });
  assertEquals(t.path, "cpu");
  assert(t.reason.includes("cpu"));
});
