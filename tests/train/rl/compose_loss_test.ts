import { assertAlmostEquals, assertEquals, assertThrows } from "../../_assert.ts";
import { ALGO_RECIPES, rlAlgoConfig } from "../../../lib/train/rl/algo_config.ts";
import {
  composeLoss,
  rolloutAdvantages,
  type ScoredRollouts,
} from "../../../lib/train/rl/compose_loss.ts";
import { itemSegments, newlineCounts } from "../../../lib/train/rl/item_segments.ts";
import { policyLossAndGrad } from "../../../lib/train/rl/policy_loss.ts";

Deno.test("rlAlgoConfig: defaults by algo, strict keys, reward only for rank-grpo", () => {
  const g = rlAlgoConfig({ algo: "grpo" });
  assertEquals([g.level, g.advantage, g.eps_low, g.eps_high, g.reward], [
    "token",
    "sequence",
    0.2,
    0.26,
    null,
  ]);
  const s = rlAlgoConfig({ algo: "gspo" });
  assertEquals([s.level, s.eps_low, s.eps_high], ["sequence", 3e-4, 4e-4]);
  const r = rlAlgoConfig({ algo: "rank-grpo" });
  assertEquals([r.level, r.advantage, r.eps_low, r.eps_high], ["item", "rank", 0.06, 0.08]);
  assertEquals(r.reward, { kind: "exp_inf" });
  assertEquals([r.beta, r.loss_norm, r.mu, r.n, r.std_eps], [1e-3, "token", 1, 20, 1e-4]);
  assertEquals(r.shaping, {
    overflow: true,
    early_eos: true,
    exact_eos: true,
    overflow_penalty: -0.1,
    early_eos_penalty: -0.1,
    exact_eos_reward: 0.1,
  });
  const custom = rlAlgoConfig({
    algo: "rank-grpo",
    reward: "exp:2",
    eps_low: 0.1,
    loss_norm: "rank",
    shaping: { exact_eos: false },
  });
  assertEquals([custom.reward, custom.eps_low, custom.eps_high], [
    { kind: "exp", gamma: 2 },
    0.1,
    0.08,
  ]);
  assertEquals([custom.shaping.exact_eos, custom.shaping.overflow], [false, true]);
  assertThrows(() => rlAlgoConfig({ algo: "rank-grpo", epsilon: 0.2 }), "epsilon");
  assertThrows(
    () => rlAlgoConfig({ algo: "grpo", reward: "log" }),
    "reward: reward applies to rank-grpo",
  );
  assertThrows(() => rlAlgoConfig({ algo: "rank-grpo", reward: "exp:-1" }), "reward");
  assertThrows(() => rlAlgoConfig({ algo: "ppo" }), "algo: expected grpo, gspo or rank-grpo");
  assertThrows(() => rlAlgoConfig({ algo: "grpo", shaping: { overflw: true } }), "overflw");
});

// vocab: 0 "Heat (1995)", 1 "\n", 2 <eos>, 3 <pad>. One prompt, G = 2, N = 2.
// Row 0: "H\nH<eos>" (2 items, exact N), hits [1, 0]. Row 1: "H<eos>" (1 item, early EOS), hits [0, 0].
function batch(): ScoredRollouts & { mask: Uint8Array } {
  const dims = { b: 2, t: 4 };
  const ids = Int32Array.of(0, 1, 0, 2, 0, 2, 3, 3);
  const mask = Uint8Array.of(1, 1, 1, 1, 1, 1, 0, 0);
  const segments = itemSegments(ids, mask, {
    dims,
    newlines: newlineCounts(["Heat (1995)", "\n", "<eos>", "<pad>"]),
    eosId: 2,
    n: 2,
  });
  return { dims, groupSize: 2, hits: Uint8Array.of(1, 0, 0, 0), segments, mask };
}
const A = 0.5 / (Math.SQRT1_2 + 1e-4); // (1 − 0.5) / (unbiased std of [1, 0] + 1e-4)
const close = (got: ArrayLike<number>, want: number[]) =>
  want.forEach((w, i) => assertAlmostEquals(got[i], w, 1e-14, `index ${i}`));

Deno.test("rolloutAdvantages: rank-grpo, by hand (per-rank advantages, EOS shaping)", () => {
  const adv = rolloutAdvantages(rlAlgoConfig({ algo: "rank-grpo", n: 2 }), batch());
  assertEquals(Array.from(adv.rewards), [1, 0, 0, 0]);
  // row 0: item 0 → A, item 1 → 0 (rank 2 has zero variance), EOS 0 + 0.1 (exactly N items)
  // row 1: item 0 → −A, EOS 0 − 0.1 (early stop), padding 0
  close(adv.tokenAdvantages, [A, A, 0, 0.1, -A, -0.1, 0, 0]);
  assertEquals([adv.zeroStdFraction, adv.earlyEosRows, adv.exactEosRows], [0.5, 1, 1]);
  assertEquals(Array.from(adv.hitRateByRank), [0.5, 0]);
});

Deno.test("rolloutAdvantages: grpo/gspo, by hand (sequence DCG advantage on every token)", () => {
  for (const algo of ["grpo", "gspo"] as const) {
    const adv = rolloutAdvantages(rlAlgoConfig({ algo, n: 2 }), batch());
    assertEquals(Array.from(adv.rewards), [1, 0]);
    close(adv.tokenAdvantages, [A, A, A, A + 0.1, -A, -A - 0.1, 0, 0]);
    assertEquals(adv.zeroStdFraction, 0);
  }
});

Deno.test("composeLoss: μ = 1 on-policy loss = −Σ c_t A_t + β·KL, no clipping, ratio 1", () => {
  const b = batch();
  const logpNew = Float32Array.of(-0.5, -0.1, -2, -0.05, -1, -0.2, 0, 0);
  const logpRef = Float32Array.of(-0.6, -0.1, -1.5, -0.05, -1.2, -0.2, 0, 0);
  for (const algo of ["grpo", "gspo", "rank-grpo"] as const) {
    const config = rlAlgoConfig({ algo, n: 2 });
    const { tokenAdvantages } = rolloutAdvantages(config, b);
    const r = composeLoss(config, { ...b, tokenAdvantages, logpNew, logpOld: null, logpRef });
    let want = 0;
    for (let i = 0; i < 8; i++) {
      if (b.mask[i] === 0) continue;
      const d = logpRef[i] - logpNew[i];
      want += (-tokenAdvantages[i] + 1e-3 * (Math.exp(d) - d - 1)) / 6;
    }
    assertAlmostEquals(r.loss, want, 1e-12, algo);
    assertEquals([r.stats.meanRatio, r.stats.clipLowFraction, r.stats.clipHighFraction], [1, 0, 0]);
    const same = composeLoss(config, {
      ...b,
      tokenAdvantages,
      logpNew,
      logpOld: logpNew.slice(),
      logpRef,
    });
    assertEquals([same.loss, same.grad], [r.loss, r.grad]);
    const direct = policyLossAndGrad({
      dims: b.dims,
      logpNew,
      logpOld: null,
      logpRef,
      advantages: tokenAdvantages,
      segIds: b.segments.segIds,
      mask: b.mask,
    }, config);
    assertEquals(direct.grad, r.grad);
  }
});

Deno.test("composeLoss: μ > 1 needs logpOld; shape mismatches name the field", () => {
  const b = batch();
  const lp = new Float64Array(8);
  assertThrows(
    () =>
      composeLoss(rlAlgoConfig({ algo: "rank-grpo", n: 2, mu: 2 }), {
        ...b,
        tokenAdvantages: lp,
        logpNew: lp,
        logpOld: null,
        logpRef: lp,
      }),
    "logpOld",
  );
  assertThrows(() => rolloutAdvantages(rlAlgoConfig({ algo: "rank-grpo" }), b), "segments.n");
  assertThrows(
    () => rolloutAdvantages(rlAlgoConfig({ algo: "grpo", n: 2 }), { ...b, groupSize: 3 }),
    "groupSize",
  );
});

Deno.test("ALGO_RECIPES: grpo and gspo differ in ratio level and clip only; rank-grpo in reward and advantage", () => {
  const { grpo, gspo, "rank-grpo": rank } = ALGO_RECIPES;
  assertEquals([grpo.rewards === gspo.rewards, grpo.advantages === gspo.advantages], [true, true]);
  assertEquals([grpo.level, gspo.level, rank.level], ["token", "sequence", "item"]);
  assertEquals([rank.rewards === grpo.rewards, rank.advantages === grpo.advantages], [
    false,
    false,
  ]);
  // what rolloutAdvantages composes is the recipe's: rank-grpo's per-rank returns, grpo's DCG@N
  const hits = Uint8Array.of(1, 0, 0, 1);
  assertEquals(Array.from(rank.rewards(hits, { b: 2, n: 2, reward: { kind: "exp_inf" } })), [
    1,
    0,
    0,
    1,
  ]);
  assertAlmostEquals(grpo.rewards(hits, { b: 2, n: 2, reward: null })[1], 1 / Math.log2(3), 1e-15);
});
