import { assertAlmostEquals, assertEquals } from "../../_assert.ts";
import { clippedObjective, k3Kl } from "../../../lib/train/rl/clipped_objective.ts";

Deno.test("clippedObjective: the four regions and the mask, by hand", () => {
  // ε_low = 0.2, ε_high = 0.3; w = 1.5 / 0.5 / 1.1 / 1.5 / 0.5; A = +1 / −1 / +2 / −1 / +1; last masked
  const w = [1.5, 0.5, 1.1, 1.5, 0.5, 2];
  const a = Float64Array.of(1, -1, 2, -1, 1, 1);
  const r = clippedObjective(Float64Array.from(w, Math.log), a, {
    mask: Uint8Array.of(1, 1, 1, 1, 1, 0),
    eps_low: 0.2,
    eps_high: 0.3,
  });
  const want = [-1.3, 0.8, -2.2, 1.5, -0.5, 0]; // −min(wA, clip(w)A)
  const wantGrad = [0, 0, -2.2, 1.5, -0.5, 0]; // −wA unless the clip is active
  want.forEach((v, i) => assertAlmostEquals(r.loss[i], v, 1e-12, `loss ${i}`));
  wantGrad.forEach((v, i) => assertAlmostEquals(r.dLogWeight[i], v, 1e-12, `grad ${i}`));
  assertEquals(r.clippedHigh, Uint8Array.of(1, 0, 0, 0, 0, 0));
  assertEquals(r.clippedLow, Uint8Array.of(0, 1, 0, 0, 0, 0));
});

Deno.test("clippedObjective: ratio 1 (μ = 1) is never clipped, even with ε ≈ 0", () => {
  const r = clippedObjective(new Float64Array(3), Float64Array.of(1, -1, 0), {
    mask: Uint8Array.of(1, 1, 1),
    eps_low: 1e-12,
    eps_high: 1e-12,
  });
  assertEquals(Array.from(r.loss), [-1, 1, -0]);
  assertEquals(Array.from(r.dLogWeight), [-1, 1, -0]);
  assertEquals(r.clippedLow, new Uint8Array(3));
  assertEquals(r.clippedHigh, new Uint8Array(3));
  assertEquals(r.ratio, Float64Array.of(1, 1, 1));
});

Deno.test("k3Kl: value and derivative by hand; 0 when logp = ref and on padding", () => {
  const r = k3Kl(
    Float64Array.of(-1, -2, -3),
    Float64Array.of(-1 + Math.LN2, -2, 0),
    Uint8Array.of(1, 1, 0),
  );
  assertAlmostEquals(r.kl[0], 2 - Math.LN2 - 1, 1e-15);
  assertAlmostEquals(r.dLogp[0], 1 - 2, 1e-15);
  assertEquals([r.kl[1], r.dLogp[1], r.kl[2], r.dLogp[2]], [0, 0, 0, 0]);
});
