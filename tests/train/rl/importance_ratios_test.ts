import { assertAlmostEquals, assertEquals } from "../../_assert.ts";
import {
  binMeans,
  rankLogRatios,
  ratioBins,
  sequenceLogRatios,
  tokenLogRatios,
} from "../../../lib/train/rl/importance_ratios.ts";

const close = (got: ArrayLike<number>, want: number[], tol = 1e-15) =>
  want.forEach((w, i) => assertAlmostEquals(got[i], w, tol, `index ${i}`));

Deno.test("tokenLogRatios: new − old on the mask, 0 on padding; null old gives exact zeros", () => {
  const dims = { b: 1, t: 3 };
  const mask = Uint8Array.of(1, 1, 0);
  close(tokenLogRatios(Float64Array.of(-1, -2, -3), Float64Array.of(-1.5, -2, 5), { dims, mask }), [
    0.5,
    0,
    0,
  ]);
  assertEquals(
    tokenLogRatios(Float32Array.of(-1, -2, -3), null, { dims, mask }),
    new Float64Array(3),
  );
  const lp = Float32Array.of(-0.1, -7.25, -3.3);
  assertEquals(tokenLogRatios(lp, lp.slice(), { dims, mask }), new Float64Array(3));
});

Deno.test("sequenceLogRatios: masked mean per row; an empty row gives 0", () => {
  const lr = Float64Array.of(0.2, 0.4, 9, 1, 1, 1);
  close(sequenceLogRatios(lr, Uint8Array.of(1, 1, 0, 0, 0, 0), { b: 2, t: 3 }), [0.3, 0]);
});

Deno.test("rankLogRatios: mean per item, one shared overflow bin, padding 0", () => {
  // N = 2: items 0, 1, then items 2 and 3 pooled in overflow bin 2; last token padding
  const segIds = Int32Array.of(0, 0, 1, 2, 3, 3, -1);
  const lr = Float64Array.of(0.1, 0.3, -0.2, 1, 2, 3, 42);
  close(rankLogRatios(lr, segIds, { dims: { b: 1, t: 7 }, n: 2 }), [0.2, 0.2, -0.2, 2, 2, 2, 0]);
});

Deno.test("rankLogRatios: one-token items keep their own log-ratio; rows are separate", () => {
  const segIds = Int32Array.of(0, 1, 2, 0, 0, 0);
  const lr = Float64Array.of(0.1, 0.2, 0.3, 0.6, 0.3, 0);
  close(rankLogRatios(lr, segIds, { dims: { b: 2, t: 3 }, n: 20 }), [0.1, 0.2, 0.3, 0.3, 0.3, 0.3]);
});

Deno.test("ratioBins and binMeans: levels and counts", () => {
  const segIds = Int32Array.of(0, 0, 1, 5, -1);
  const opts = { dims: { b: 1, t: 5 }, n: 2 };
  assertEquals(ratioBins("token", segIds, opts), {
    bins: Int32Array.of(0, 1, 2, 3, -1),
    numBins: 5,
  });
  assertEquals(ratioBins("sequence", segIds, opts), {
    bins: Int32Array.of(0, 0, 0, 0, -1),
    numBins: 1,
  });
  const item = ratioBins("item", segIds, opts);
  assertEquals(item, { bins: Int32Array.of(0, 0, 1, 2, -1), numBins: 3 });
  const m = binMeans(Float64Array.of(1, 3, 5, 7, 100), item, opts.dims);
  assertEquals(m.counts, Int32Array.of(2, 1, 1));
  assertEquals(m.means, Float64Array.of(2, 5, 7));
});
