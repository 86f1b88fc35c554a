// Tests of Adjust: the analytic gradient against finite differences, L-BFGS convergence (monotone loss,
// small final gradient), the fitted scores favouring the ground truth, and applyAdjust.
import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { createPrng } from "../../lib/data/prng.ts";
import {
  adjustObjective,
  type AdjustRow,
  applyAdjust,
  fitAdjust,
} from "../../lib/distill/adjust.ts";

function rowsFor(seed: number, nItems: number, nRows: number): AdjustRow[] {
  const prng = createPrng(seed);
  return Array.from({ length: nRows }, () => {
    const n = 5 + prng.int(6);
    const pool = Array.from({ length: nItems }, (_, i) => i).sort(() => prng.float() - 0.5);
    const candidates = Int32Array.from(pool.slice(0, n));
    const scores = Float64Array.from({ length: n }, () => prng.normal());
    // item 0 is "popular" among positives whenever it is a candidate
    const positives = [...candidates].flatMap((c, j) => (c === 0 || prng.float() < 0.1 ? [j] : []));
    return { candidates, scores, positives };
  });
}

Deno.test("adjustObjective: gradient matches central finite differences", () => {
  const nItems = 12;
  const rows = rowsFor(3, nItems, 20);
  const prng = createPrng(9);
  const theta = Float64Array.from(
    { length: 2 * nItems },
    (_, i) => (i < nItems ? 1 : 0) + 0.3 * prng.normal(),
  );
  for (const reduction of ["sum", "mean"] as const) {
    const { grad } = adjustObjective(theta, rows, nItems, { reduction });
    for (let i = 0; i < theta.length; i++) {
      const h = 1e-5;
      const p = Float64Array.from(theta), m = Float64Array.from(theta);
      p[i] += h, m[i] -= h;
      const fd = (adjustObjective(p, rows, nItems, { reduction }).loss -
        adjustObjective(m, rows, nItems, { reduction }).loss) / (2 * h);
      assertAlmostEquals(grad[i], fd, 1e-6 * Math.max(1, Math.abs(fd)), `${reduction} θ[${i}]`);
    }
  }
});

Deno.test("fitAdjust: L-BFGS converges (monotone loss, max|∇| < tol) and lifts the favoured item", () => {
  const nItems = 30;
  const rows = rowsFor(5, nItems, 200);
  const fit = fitAdjust(rows, nItems, { tol: 1e-7 });
  assert(fit.converged, `not converged: max|∇| ${fit.gradMax}`);
  assert(fit.gradMax < 1e-7);
  for (let i = 1; i < fit.losses.length; i++) {
    assert(fit.losses[i] <= fit.losses[i - 1] + 1e-12, `loss rose at iteration ${i}`);
  }
  assert(fit.losses[fit.losses.length - 1] < fit.losses[0] - 0.1);
  const maxOtherB = Math.max(...Array.from(fit.b.slice(1)));
  assert(fit.b[0] > maxOtherB, "the always-positive item gets the largest bias");
});

Deno.test("fitAdjust: without positives the optimum is w = 1, b = 0; applyAdjust is w·s + b", () => {
  const fit = fitAdjust([{
    candidates: Int32Array.of(0, 1),
    scores: Float64Array.of(1, 2),
    positives: [],
  }], 2);
  assertEquals(Array.from(fit.w), [1, 1]);
  assertEquals(Array.from(fit.b), [0, 0]);
  assertEquals(fit.iterations, 0);
  const s = applyAdjust(
    { w: Float64Array.of(2, 0.5), b: Float64Array.of(0, 1) },
    Int32Array.of(1, 0),
    Float64Array.of(4, 3),
  );
  assertEquals(Array.from(s), [3, 6]);
});
