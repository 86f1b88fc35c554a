// The importance-ratio level as a config field of its own: hand-computed loss, gradient and clipping at
// token / sequence / rank level on one tiny off-policy batch; per-algo defaults unchanged.
import { assertAlmostEquals, assertEquals, assertThrows } from "../../_assert.ts";
import { rlAlgoConfig } from "../../../lib/train/rl/algo_config.ts";
import { policyLossAndGrad, type PolicyLossInputs } from "../../../lib/train/rl/policy_loss.ts";

// One rollout, 3 tokens: item 0 = tokens 0–1, item 1 = token 2. logπθ − logπθold = [0.1, 0.3, −0.2].
const INPUTS: PolicyLossInputs = {
  dims: { b: 1, t: 3 },
  logpNew: Float64Array.of(-0.9, -0.7, -1.2),
  logpOld: Float64Array.of(-1, -1, -1),
  logpRef: null,
  advantages: Float64Array.of(1, 1, -1),
  segIds: Int32Array.of(0, 0, 1),
  mask: Uint8Array.of(1, 1, 1),
};
const e = Math.exp;

Deno.test("ratio level: defaults per algo unchanged; `level` changes the level and nothing else", () => {
  const defaults = { grpo: "token", gspo: "sequence", "rank-grpo": "item" } as const;
  for (const algo of ["grpo", "gspo", "rank-grpo"] as const) {
    const base = rlAlgoConfig({ algo });
    assertEquals(base.level, defaults[algo]);
    for (const [name, level] of [["token", "token"], ["sequence", "sequence"], ["rank", "item"]]) {
      const over = rlAlgoConfig({ algo, ratio_level: name });
      assertEquals(over, { ...base, level }, `${algo} level ${name}`);
    }
  }
  assertThrows(() => rlAlgoConfig({ algo: "grpo", ratio_level: "item" }), "level: expected token");
});

Deno.test("ratio level: off-policy loss and gradient by hand (token norm, no clipping)", () => {
  // ε wide enough that nothing clips: ℓ_t = −w_t·A_t, c_t = 1/3, d loss/d logp_s = Σ_{t∈bin(s)} c·(−A_t w_t)/|bin|.
  const cfg = (level: string) =>
    rlAlgoConfig({ algo: "grpo", ratio_level: level, eps_low: 0.9, eps_high: 10, beta: 0, mu: 2 });
  const expected = {
    // w = e^{0.1}, e^{0.3}, e^{−0.2}
    token: {
      loss: -(e(0.1) + e(0.3) - e(-0.2)) / 3,
      grad: [-e(0.1) / 3, -e(0.3) / 3, e(-0.2) / 3],
    },
    // one weight e^{(0.1 + 0.3 − 0.2)/3} for the sequence; Σ A = 1
    sequence: {
      loss: -e(0.2 / 3) / 3,
      grad: [-e(0.2 / 3) / 9, -e(0.2 / 3) / 9, -e(0.2 / 3) / 9],
    },
    // item 0: e^{0.2} (mean of 0.1, 0.3) for two tokens with A = 1; item 1: e^{−0.2} with A = −1
    rank: {
      loss: -(2 * e(0.2) - e(-0.2)) / 3,
      grad: [-e(0.2) / 3, -e(0.2) / 3, e(-0.2) / 3],
    },
  };
  for (const [level, want] of Object.entries(expected)) {
    const got = policyLossAndGrad(INPUTS, cfg(level));
    assertAlmostEquals(got.loss, want.loss, 1e-12, `${level} loss`);
    want.grad.forEach((g, i) => assertAlmostEquals(got.grad[i], g, 1e-12, `${level} grad[${i}]`));
    assertEquals(got.stats.clipFraction, 0);
  }
});

Deno.test("ratio level: rank-grpo's ε 0.06/0.08 clips every token at token level, none at sequence", () => {
  const run = (level?: string) =>
    policyLossAndGrad(
      INPUTS,
      rlAlgoConfig({ algo: "rank-grpo", beta: 0, mu: 2, ...(level ? { ratio_level: level } : {}) }),
    );
  // token: e^{0.1} = 1.105 and e^{0.3} > 1.08 with A > 0 (high); e^{−0.2} = 0.819 < 0.94 with A < 0 (low)
  const token = run("token");
  assertAlmostEquals(token.stats.clipHighFraction, 2 / 3);
  assertAlmostEquals(token.stats.clipLowFraction, 1 / 3);
  assertAlmostEquals(token.loss, -(1.08 + 1.08 - 0.94) / 3, 1e-12); // clipped values, zero gradient
  assertEquals(Array.from(token.grad), [0, 0, 0]);
  // sequence: e^{0.0667} = 1.069 inside [0.94, 1.08]: nothing clips
  assertEquals(run("sequence").stats.clipFraction, 0);
  // rank (the default): item 0 e^{0.2} > 1.08 (high, A > 0), item 1 e^{−0.2} < 0.94 (low, A < 0)
  const rank = run();
  assertEquals(rank, run("rank"));
  assertAlmostEquals(rank.stats.clipHighFraction, 2 / 3);
  assertAlmostEquals(rank.stats.clipLowFraction, 1 / 3);
});
