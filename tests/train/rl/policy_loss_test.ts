import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../_assert.ts";
import { createPrng, type Prng } from "../../../lib/data/prng.ts";
import { ALGO_RECIPES, RL_ALGOS } from "../../../lib/train/rl/algo_config.ts";
import { itemSegments, newlineCounts } from "../../../lib/train/rl/item_segments.ts";
import {
  type LossNorm,
  normalisationWeights,
  policyLossAndGrad,
  type PolicyLossConfig,
  type PolicyLossInputs,
} from "../../../lib/train/rl/policy_loss.ts";

const ITEM: PolicyLossConfig = {
  level: "item",
  eps_low: 0.06,
  eps_high: 0.08,
  beta: 0,
  loss_norm: "rank",
  n: 2,
};

Deno.test("policyLossAndGrad: rank normalisation by hand = paper Eq. 6–7 (on-policy)", () => {
  // B = 1, N = 2: item 0 = 2 tokens (A = a0), item 1 = 1 token (A = a1), one padding token.
  const a0 = 0.7;
  const a1 = -1.2;
  const r = policyLossAndGrad({
    dims: { b: 1, t: 4 },
    logpNew: Float64Array.of(-1, -2, -0.5, 0),
    logpOld: null,
    logpRef: null,
    advantages: Float64Array.of(a0, a0, a1, 9),
    segIds: Int32Array.of(0, 0, 1, -1),
    mask: Uint8Array.of(1, 1, 1, 0),
  }, ITEM);
  // J = (1/N)·Σ_k w_k A_k with w = 1; ∇ per token of item k = A_k / (N·|y_k|); loss = −J
  assertAlmostEquals(r.loss, -(a0 + a1) / 2, 1e-15);
  const want = [-a0 / 4, -a0 / 4, -a1 / 2, 0];
  want.forEach((g, i) => assertAlmostEquals(r.grad[i], g, 1e-15, `grad ${i}`));
  assertEquals(r.stats.tokens, 3);
});

Deno.test("policyLossAndGrad: token normalisation with KL, by hand", () => {
  // token level, w = e^{0.1} on token 0 (inside 1 + 0.26), 1 on token 1; β = 0.5, ref − logp = ln 2, 0
  const lw = 0.1;
  const r = policyLossAndGrad({
    dims: { b: 1, t: 2 },
    logpNew: Float64Array.of(-1, -2),
    logpOld: Float64Array.of(-1 - lw, -2),
    logpRef: Float64Array.of(-1 + Math.LN2, -2),
    advantages: Float64Array.of(2, -1),
    segIds: Int32Array.of(0, 0),
    mask: Uint8Array.of(1, 1),
  }, { ...ITEM, level: "token", eps_low: 0.2, eps_high: 0.26, beta: 0.5, loss_norm: "token" });
  const w = Math.exp(lw);
  const kl0 = 2 - Math.LN2 - 1;
  assertAlmostEquals(r.loss, (-w * 2 + 0.5 * kl0 + 1) / 2, 1e-15);
  assertAlmostEquals(r.grad[0], (-w * 2 + 0.5 * (1 - 2)) / 2, 1e-15);
  assertAlmostEquals(r.grad[1], 1 / 2, 1e-15);
  assertAlmostEquals(r.stats.meanKl, kl0 / 2, 1e-15);
  assertAlmostEquals(r.stats.meanRatio, (w + 1) / 2, 1e-15);
});

Deno.test("normalisationWeights: rank slots B·N; empty items keep their slot; overflow bin pooled", () => {
  // B = 2, N = 2. Row 0: item 0 (2 tokens), overflow items 2, 3 (1 token each). Row 1: item 1 only.
  const c = normalisationWeights(Int32Array.of(0, 0, 2, 3, 1, -1, -1, -1), {
    dims: { b: 2, t: 4 },
    n: 2,
    loss_norm: "rank",
    tokens: 5,
  });
  assertEquals(Array.from(c), [1 / 8, 1 / 8, 1 / 8, 1 / 8, 1 / 4, 0, 0, 0]);
  const t = normalisationWeights(Int32Array.of(0, -1), {
    dims: { b: 1, t: 2 },
    n: 2,
    loss_norm: "token",
    tokens: 1,
  });
  assertEquals(Array.from(t), [1, 0]);
});

Deno.test("policyLossAndGrad: μ = 1 is exact — old = new gives ratio 1 and no clipping", () => {
  const prng = createPrng(11);
  const { inputs } = randomBatch(prng, 3e-4);
  for (const algo of RL_ALGOS) {
    const recipe = ALGO_RECIPES[algo];
    const config = { ...recipe, beta: 1e-3, loss_norm: "token" as LossNorm, n: 3 };
    const lp = Float32Array.from(inputs.logpNew); // what a model would hand over
    const a = policyLossAndGrad({ ...inputs, logpNew: lp, logpOld: lp.slice() }, config);
    const b = policyLossAndGrad({ ...inputs, logpNew: lp, logpOld: null }, config);
    assertEquals(a.loss, b.loss);
    assertEquals(a.grad, b.grad);
    assertEquals(a.stats.meanRatio, 1);
    assertEquals([a.stats.clipLowFraction, a.stats.clipHighFraction], [0, 0]);
  }
});

Deno.test("policyLossAndGrad: errors name the field", () => {
  const { inputs } = randomBatch(createPrng(3), 0.1);
  assertThrows(
    () => policyLossAndGrad({ ...inputs, logpRef: null }, { ...ITEM, n: 3, beta: 1e-3 }),
    "logpRef",
  );
  assertThrows(
    () => policyLossAndGrad({ ...inputs, mask: new Uint8Array(3) }, { ...ITEM, n: 3 }),
    "mask: expected",
  );
});

// vocab: 0 title text, 1 "\n", 2 "\n\n", 3 <eos>
const NL = newlineCounts(["Heat (1995)", "\n", "\n\n", "<eos>"]);

/** B = 4 rows (2 prompts × G = 2), T = 12, N = 3; random lengths, newlines, EOS, padding. */
function randomBatch(prng: Prng, oldScale: number): { inputs: PolicyLossInputs } {
  const dims = { b: 4, t: 12 };
  const size = dims.b * dims.t;
  const ids = new Int32Array(size);
  const mask = new Uint8Array(size);
  for (let r = 0; r < dims.b; r++) {
    const len = 4 + prng.int(dims.t - 3);
    for (let c = 0; c < len; c++) {
      const u = prng.float();
      ids[r * dims.t + c] = u < 0.25 ? 1 : u < 0.3 ? 2 : 0;
      mask[r * dims.t + c] = 1;
    }
    if (prng.float() < 0.7) ids[r * dims.t + len - 1] = 3;
  }
  const segments = itemSegments(ids, mask, { dims, newlines: NL, eosId: 3, n: 3 });
  const logpNew = new Float64Array(size);
  const logpOld = new Float64Array(size);
  const logpRef = new Float64Array(size);
  const advantages = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    logpNew[i] = -(0.05 + 3 * prng.float());
    logpOld[i] = logpNew[i] + oldScale * prng.normal();
    logpRef[i] = logpNew[i] + 0.3 * prng.normal();
    advantages[i] = prng.float() < 0.15 ? 0 : prng.normal();
  }
  return {
    inputs: { dims, logpNew, logpOld, logpRef, advantages, segIds: segments.segIds, mask },
  };
}

Deno.test("policyLossAndGrad: closed-form gradient = central finite differences (all algos, both norms)", () => {
  const h = 1e-6;
  let checked = 0;
  let skipped = 0;
  for (const algo of RL_ALGOS) {
    let clipped = 0;
    for (const loss_norm of ["token", "rank"] as const) {
      for (const seed of [1, 2, 3, 4]) {
        const prng = createPrng(1000 * seed + algo.length);
        // GSPO's ε is 3e-4: alternate seeds near and far from its clip range.
        const scale = algo === "gspo"
          ? (seed % 2 === 0 ? 2e-4 : 0.02)
          : algo === "grpo"
          ? 0.25
          : 0.1;
        const { inputs } = randomBatch(prng, scale);
        const config: PolicyLossConfig = { ...ALGO_RECIPES[algo], beta: 0.05, loss_norm, n: 3 };
        const at = (x: Float64Array) => policyLossAndGrad({ ...inputs, logpNew: x }, config);
        const base = at(inputs.logpNew as Float64Array);
        clipped += base.stats.clipFraction > 0 ? 1 : 0;
        for (let i = 0; i < inputs.logpNew.length; i++) {
          const plus = Float64Array.from(inputs.logpNew);
          const minus = Float64Array.from(inputs.logpNew);
          plus[i] += h;
          minus[i] -= h;
          const fp = at(plus);
          const fm = at(minus);
          if (fp.stats.clipFraction !== fm.stats.clipFraction) {
            skipped++; // a clip boundary lies within ±h: the loss has a kink there
            continue;
          }
          const fd = (fp.loss - fm.loss) / (2 * h);
          const tol = 1e-7 * (1 + Math.abs(fd));
          assertAlmostEquals(
            base.grad[i],
            fd,
            tol,
            `${algo}/${loss_norm}/seed ${seed} token ${i}:`,
          );
          if (inputs.mask[i] === 0) assertEquals(base.grad[i], 0);
          checked++;
        }
      }
    }
    assert(
      clipped >= 4,
      `${algo}: the clipped branch should occur in several runs, got ${clipped}/8`,
    );
  }
  assert(skipped <= 2, `too many tokens near a clip boundary: ${skipped}`);
  assert(checked >= 500, `checked ${checked}`);
});
