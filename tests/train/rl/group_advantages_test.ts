import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../_assert.ts";
import { parseList } from "../../../lib/catalog/parse_list.ts";
import { alignedHits } from "../../../lib/reward/aligned_hits.ts";
import { rankReturnsBatch } from "../../../lib/reward/rank_rewards.ts";
import { groupAdvantages, sequenceAdvantages } from "../../../lib/train/rl/group_advantages.ts";

Deno.test("groupAdvantages: per-rank unbiased std + 1e-4; zero-variance rank gives exactly 0", () => {
  // one prompt, G = 3, N = 2; rank 1 rewards [1, 0, 0], rank 2 all 0.5
  const r = groupAdvantages(Float64Array.of(1, 0.5, 0, 0.5, 0, 0.5), { g: 3, n: 2 });
  const std = Math.sqrt(1 / 3); // ((2/3)² + 2·(1/3)²) / (3 − 1)
  assertAlmostEquals(r.std[0], std, 1e-15);
  assertAlmostEquals(r.advantages[0], (2 / 3) / (std + 1e-4), 1e-14);
  assertAlmostEquals(r.advantages[2], (-1 / 3) / (std + 1e-4), 1e-14);
  assertEquals([r.advantages[1], r.advantages[3], r.advantages[5]], [0, 0, 0]);
  assertEquals(r.std[1], 0);
  assertEquals(r.zeroStdFraction, 0.5);
});

Deno.test("groupAdvantages: equal rewards that do not average exactly still give 0", () => {
  const r = groupAdvantages(Float64Array.of(0.1, 0.1, 0.1), { g: 3, n: 1 });
  assertEquals(r.advantages, new Float64Array(3));
  assertEquals(r.zeroStdFraction, 1);
});

Deno.test("groupAdvantages: G = 1 gives 0 (torch: NaN std), never NaN", () => {
  const r = groupAdvantages(Float64Array.of(1, 0, 0.3, 1), { g: 1, n: 2 });
  assertEquals(r.advantages, new Float64Array(4));
  assertEquals(r.zeroStdFraction, 1);
  assert(r.std.every((s) => s === 0));
});

Deno.test("groupAdvantages: groups are G consecutive rows per prompt", () => {
  // two prompts, G = 2, N = 1: prompt 0 rewards [1, 0], prompt 1 [0, 0]
  const r = groupAdvantages(Float64Array.of(1, 0, 0, 0), { g: 2, n: 1 });
  const a = 0.5 / (Math.SQRT1_2 + 1e-4);
  assertAlmostEquals(r.advantages[0], a, 1e-14);
  assertAlmostEquals(r.advantages[1], -a, 1e-14);
  assertEquals([r.advantages[2], r.advantages[3]], [0, 0]);
  assertEquals(Array.from(r.mean), [0.5, 0]);
  assertEquals(r.zeroStdFraction, 0.5);
});

Deno.test("groupAdvantages: shape errors name the argument", () => {
  assertThrows(() => groupAdvantages(new Float64Array(5), { g: 2, n: 2 }), "rewards");
  assertThrows(() => groupAdvantages(new Float64Array(4), { g: 0, n: 2 }), "dims");
});

Deno.test("sequenceAdvantages: one advantage per rollout, normalised over the group", () => {
  const r = sequenceAdvantages(Float64Array.of(2, 0, 1, 1), { g: 2 });
  const a = 1 / (Math.SQRT2 + 1e-4);
  assertAlmostEquals(r.advantages[0], a, 1e-14);
  assertAlmostEquals(r.advantages[1], -a, 1e-14);
  assertEquals([r.advantages[2], r.advantages[3]], [0, 0]);
});

Deno.test("per-rank log rewards → advantages, by hand (G = 2, N = 2)", () => {
  // hits [1, 0] and [0, 1]: log returns r = [1, 0] and [d2, d2] with d2 = 1/log2(3)
  const rewards = rankReturnsBatch(Uint8Array.of(1, 0, 0, 1), 2, { kind: "log" });
  const d2 = 1 / Math.log2(3);
  assertEquals(Array.from(rewards), [1, 0, d2, d2]);
  const r = groupAdvantages(rewards, { g: 2, n: 2 });
  const a1 = ((1 - d2) / 2) / ((1 - d2) / Math.SQRT2 + 1e-4);
  const a2 = (d2 / 2) / (d2 / Math.SQRT2 + 1e-4);
  assertAlmostEquals(r.advantages[0], a1, 1e-14);
  assertAlmostEquals(r.advantages[1], -a2, 1e-14);
  assertAlmostEquals(r.advantages[2], -a1, 1e-14);
  assertAlmostEquals(r.advantages[3], a2, 1e-14);
});

Deno.test("unparseable lines score 0 and a group of unparseable lists gets 0 advantage", () => {
  const ctx = {
    seenTitles: [],
    groundTruth: [["Alien", "1979"]] as [string, string][],
    catalog: { has: () => true },
  };
  const n = 3;
  const texts = ["garbage line\nanother one", "no list here"];
  const hits = new Uint8Array(texts.length * n);
  texts.forEach((t, i) =>
    alignedHits(parseList(t).items, ctx, { n, out: hits.subarray(i * n, (i + 1) * n) })
  );
  const rewards = rankReturnsBatch(hits, n, { kind: "exp_inf" });
  assertEquals(rewards, new Float64Array(6));
  const r = groupAdvantages(rewards, { g: 2, n });
  assertEquals(r.advantages, new Float64Array(6));
  assertEquals(r.zeroStdFraction, 1);
  // A dropped line does not take a rank: the authors' parser moves the next item up.
  const mixed = alignedHits(parseList("not a movie\nAlien (1979)").items, ctx, { n });
  assertEquals(Array.from(mixed), [1, 0, 0]);
});
