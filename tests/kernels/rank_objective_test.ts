// Rank objective: CPU twin vs lib/train/rl policyLossAndGrad (always), and the two WGSL passes vs the
// twin on seeded cases × 3 ratio levels × 2 normalisations × β ∈ {0, 0.04} (skipped without an adapter).

import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertThrows,
  EPS32,
  f32SumTol,
  f32Tolerance,
} from "../_assert.ts";
import { acquireGpu, gpuAvailable } from "../../lib/gpu/device.ts";
import { rankLogRatios, tokenLogRatios } from "../../lib/train/rl/importance_ratios.ts";
import { policyLossAndGrad, type PolicyLossConfig } from "../../lib/train/rl/policy_loss.ts";
import { createRankObjective, finishRowStats } from "../../kernels/rank_objective.ts";
import {
  type RankObjective,
  type RankObjectiveInputs,
  rankObjectiveRef,
} from "../../kernels/rank_objective_ref.ts";
import { makeObjectiveInputs, type ObjectiveCase } from "./_rl_fixtures.ts";

/**
 * Accumulation lengths of the GPU (f32 throughout) vs the twin (f64 on the same f32 inputs, rounded to
 * f32), in units of EPS32 (tests/_assert.ts): the weight w = exp(mean log-ratio over L tokens: 1, the
 * longest item, or the row) errs by L·max|log-ratio| (the mean's rounding) plus WGSL exp's 3 + 2|x| ulp
 * and the twin's rounding; a token's loss and gradient add ~8 products/selects and the KL term
 * exp(d) − d − 1, whose rounding (3 + 2|d| ulp of exp, three terms ≤ e^|d|) is absolute at that
 * size; the loss and the stats sum a row's T tokens. tokenLoss and grad are ~1e-4 under rank
 * normalisation, so their bound is mixed: atol at the array's largest |value|.
 */
function objectiveLengths(inputs: RankObjectiveInputs, cfg: PolicyLossConfig) {
  const { b, t } = inputs.dims;
  let maxLr = 0, maxD = 0, L = cfg.level === "token" ? 1 : cfg.level === "sequence" ? t : 0;
  for (let r = 0; r < b; r++) {
    const items = new Map<number, number>();
    for (let i = r * t; i < (r + 1) * t; i++) {
      if (inputs.mask[i] === 0 || inputs.segIds[i] < 0) continue;
      if (inputs.logpOld) maxLr = Math.max(maxLr, Math.abs(inputs.logpNew[i] - inputs.logpOld[i]));
      if (inputs.logpRef) maxD = Math.max(maxD, Math.abs(inputs.logpRef[i] - inputs.logpNew[i]));
      items.set(inputs.segIds[i], (items.get(inputs.segIds[i]) ?? 0) + 1);
    }
    if (cfg.level === "item") L = Math.max(L, ...items.values());
  }
  const ratio = L * maxLr + 4 + 2 * maxLr; // + the twin's own rounding to f32 (½ ulp)
  const elem = ratio + 8 + (cfg.beta > 0 ? 3 * Math.exp(maxD) * (3 + 2 * maxD) : 0);
  return { ratio, elem, sum: t + elem };
}

const CASES: readonly ObjectiveCase[] = [
  { name: "size 1", b: 1, t: 1, n: 1, seed: 1 },
  { name: "B = 13, T = 131 (non-multiples of 64), N = 20", b: 13, t: 131, n: 20, seed: 2 },
  { name: "empty segments (items skipped)", b: 6, t: 90, n: 20, seed: 3, skipItems: 0.3 },
  { name: "overflow bin (items past N)", b: 5, t: 200, n: 4, seed: 4, advanceProb: 0.3 },
  { name: "masked padding and all-padding rows", b: 9, t: 70, n: 20, seed: 5, emptyRows: 0.3 },
  { name: "N = 70 > workgroup, T = 700", b: 4, t: 700, n: 70, seed: 6, advanceProb: 0.15 },
  { name: "μ = 1: logpOld = logpNew", b: 7, t: 64, n: 20, seed: 7, onPolicy: "copy" },
  { name: "μ = 1: logpOld = null", b: 3, t: 65, n: 20, seed: 8, onPolicy: "null" },
];

const CONFIGS: PolicyLossConfig[] = [];
for (const level of ["token", "sequence", "item"] as const) {
  for (const loss_norm of ["token", "rank"] as const) {
    for (const beta of [0, 0.04]) {
      CONFIGS.push({ level, loss_norm, beta, eps_low: 0.06, eps_high: 0.08, n: 0 });
    }
  }
}
const label = (c: PolicyLossConfig) => `${c.level}/${c.loss_norm}/β=${c.beta}`;

Deno.test("rankObjectiveRef = policyLossAndGrad on every case and config", () => {
  for (const c of CASES) {
    const inputs = makeObjectiveInputs(c);
    for (const base of CONFIGS) {
      const config = { ...base, n: c.n };
      const at = `${c.name} ${label(config)}`;
      const got = rankObjectiveRef(inputs, config);
      const want = policyLossAndGrad(inputs, config);
      assertEquals(got.loss, want.loss, at);
      assertEquals(got.grad, Float32Array.from(want.grad), at);
      assertEquals(got.stats, want.stats, at);
      assertEquals(got.clipLow, Math.round(want.stats.clipLowFraction * want.stats.tokens), at);
      assertEquals(got.clipHigh, Math.round(want.stats.clipHighFraction * want.stats.tokens), at);
      let sum = 0, abs = 0;
      for (const x of got.tokenLoss) sum += x, abs += Math.abs(x);
      assertAlmostEquals(sum, want.loss, 1e-6 * abs + 1e-12, `${at}: Σ tokenLoss`);
      if (config.level === "item") {
        // ratio = exp(item-bin mean log-ratio), from the lib's rankLogRatios
        const lossMask = inputs.mask.map((m, i) => (m !== 0 && inputs.segIds[i] >= 0 ? 1 : 0));
        const lr = tokenLogRatios(inputs.logpNew, inputs.logpOld, {
          dims: inputs.dims,
          mask: lossMask,
        });
        const lw = rankLogRatios(lr, inputs.segIds.map((s, i) => (lossMask[i] ? s : -1)), {
          dims: inputs.dims,
          n: c.n,
        });
        const ratio = Float32Array.from(lw, (v, i) => (lossMask[i] ? Math.exp(v) : 0));
        assertEquals(got.ratio, ratio, `${at}: ratio`);
      }
    }
  }
});

Deno.test("rankObjectiveRef: hand-computed item level, rank norm; validation errors", () => {
  // one row, N = 2: item 0 = tokens 0,1 (log-ratios 0.1, 0.3 → w = e^0.2 > 1.08, A = 1 → clipped high),
  // item 1 = token 2 (log-ratio 0, A = −1: w = 1, unclipped), token 3 padding.
  const inputs: RankObjectiveInputs = {
    dims: { b: 1, t: 4 },
    logpNew: Float32Array.of(-1, -1, -2, 5),
    logpOld: Float32Array.of(-1.1, -1.3, -2, 5),
    logpRef: null,
    advantages: Float32Array.of(1, 1, -1, 0),
    segIds: Int32Array.of(0, 0, 1, -1),
    mask: Int32Array.of(1, 1, 1, 0),
  };
  const r = rankObjectiveRef(inputs, {
    level: "item",
    loss_norm: "rank",
    beta: 0,
    eps_low: 0.06,
    eps_high: 0.08,
    n: 2,
  });
  // c = 1/(|bin|·B·N): item 0 tokens 1/4 each, item 1 token 1/2; ℓ = −1.08 (clipped), +1 (w·A = −1)
  assertAlmostEquals(r.loss, 0.25 * -1.08 * 2 + 0.5 * 1, 1e-6);
  assertEquals([r.clipLow, r.clipHigh], [0, 2]);
  // grad: item 0 clipped → 0; item 1: c·(−w·A)/1 = 0.5
  assertEquals([...r.grad], [0, 0, 0.5, 0]);
  assertEquals(r.ratio[2], 1);
  assertEquals(r.ratio[3], 0);
  assertThrows(
    () => rankObjectiveRef({ ...inputs, mask: Int32Array.of(1) }, { ...baseCfg(), n: 2 }),
    "mask.length=1",
  );
  assertThrows(
    () => rankObjectiveRef(inputs, { ...baseCfg(), beta: 0.1, n: 2 }),
    "logpRef",
  );
});

function baseCfg(): PolicyLossConfig {
  return { level: "item", loss_norm: "token", beta: 0, eps_low: 0.06, eps_high: 0.08, n: 20 };
}

Deno.test("finishRowStats sums the per-row partials", () => {
  const s = finishRowStats(Float32Array.of(-1, 1, 0, 0.5, 2, 1, 2, 0, 0.5, 0, 1, 0.5, 1, -1, 1, 0));
  assertEquals(s.loss, -0.5);
  assertEquals([s.clipLow, s.clipHigh, s.stats.tokens], [1, 1, 3]);
  assertAlmostEquals(s.stats.meanRatio, 1, 1e-12);
  assertAlmostEquals(s.stats.meanKl, 1 / 3, 1e-12);
});

/** Rows holding a token whose weight lies within f32 noise of a clip bound (the branch may flip). */
function boundaryRows(cpu: RankObjective, inputs: RankObjectiveInputs, cfg: PolicyLossConfig) {
  const rows = new Set<number>();
  const lo = 1 - cfg.eps_low, hi = 1 + cfg.eps_high;
  const noise = 2 * EPS32 * objectiveLengths(inputs, cfg).ratio * hi; // twice the ratio's bound
  cpu.ratio.forEach((w, i) => {
    if (w !== 0 && Math.min(Math.abs(w - lo), Math.abs(w - hi)) < noise) {
      rows.add(Math.floor(i / inputs.dims.t));
    }
  });
  return rows;
}

function assertArrayClose(
  gpu: Float32Array,
  cpu: Float32Array,
  skipRows: Set<number>,
  n: { t: number; elem: number },
  at: string,
): void {
  assertEquals(gpu.length, cpu.length, `${at}: length`);
  let scale = 0;
  for (const x of cpu) scale = Math.max(scale, Math.abs(x));
  const { atol, rtol } = f32Tolerance(n.elem, scale) as { atol: number; rtol: number };
  for (let i = 0; i < cpu.length; i++) {
    if (skipRows.has(Math.floor(i / n.t))) continue;
    const tol = atol + rtol * Math.abs(cpu[i]);
    if (cpu[i] === 0) assert(gpu[i] === 0 || Math.abs(gpu[i]) <= tol, `${at}[${i}]: ${gpu[i]}`);
    assert(Math.abs(gpu[i] - cpu[i]) <= tol, `${at}[${i}]: gpu ${gpu[i]} vs cpu ${cpu[i]}`);
  }
}

function assertParity(
  gpu: RankObjective,
  cpu: RankObjective,
  inputs: RankObjectiveInputs,
  cfg: PolicyLossConfig,
  at: string,
): void {
  const skipRows = boundaryRows(cpu, inputs, cfg);
  assert(skipRows.size <= Math.max(1, inputs.dims.b / 4), `${at}: ${skipRows.size} boundary rows`);
  if (skipRows.size > 0) console.log(`${at}: ${skipRows.size} row(s) at a clip bound not compared`);
  const t = inputs.dims.t, n = objectiveLengths(inputs, cfg);
  let abs = 0;
  for (const x of cpu.tokenLoss) abs += Math.abs(x);
  // a row at a clip bound may take the other branch: its loss term moves by up to ~1e-3 of Σ|ℓ|
  const lossTol = f32SumTol(n.sum, abs) + (skipRows.size > 0 ? 1e-3 * abs : 0);
  assert(Math.abs(gpu.loss - cpu.loss) <= lossTol, `${at}: loss gpu ${gpu.loss} vs ${cpu.loss}`);
  assertEquals(gpu.stats.tokens, cpu.stats.tokens, `${at}: tokens`);
  if (skipRows.size === 0) {
    assertEquals([gpu.clipLow, gpu.clipHigh], [cpu.clipLow, cpu.clipHigh], `${at}: clip counts`);
  }
  assertArrayClose(gpu.tokenLoss, cpu.tokenLoss, skipRows, { t, elem: n.elem }, `${at}: tokenLoss`);
  assertArrayClose(gpu.grad, cpu.grad, skipRows, { t, elem: n.elem }, `${at}: grad`);
  for (let i = 0; i < cpu.ratio.length; i++) {
    const c = cpu.ratio[i];
    assert(
      Math.abs(gpu.ratio[i] - c) <= f32SumTol(n.ratio, Math.abs(c)),
      `${at}: ratio[${i}] ${gpu.ratio[i]} vs ${c}`,
    );
  }
  // means over the tokens of terms ≤ 2 (weights ~1, KL ≪ 1, advantages in [−2, 2))
  const statTol = f32SumTol(n.sum, 2);
  assertAlmostEquals(gpu.stats.meanRatio, cpu.stats.meanRatio, statTol, `${at}: meanRatio`);
  assertAlmostEquals(gpu.stats.meanKl, cpu.stats.meanKl, statTol, `${at}: meanKl`);
  assertAlmostEquals(gpu.stats.meanAdvantage, cpu.stats.meanAdvantage, statTol, `${at}: meanAdv`);
}

Deno.test("rank-objective parity check rejects a dropped KL term, an unclipped weight and a 1e-3 error", () => {
  const c = CASES[1], inputs = makeObjectiveInputs(c);
  const config: PolicyLossConfig = { ...baseCfg(), loss_norm: "rank", beta: 0.04, n: c.n };
  const cpu = rankObjectiveRef(inputs, config);
  const copy = (r: RankObjective) => ({
    ...r,
    tokenLoss: r.tokenLoss.slice(),
    grad: r.grad.slice(),
    ratio: r.ratio.slice(),
  });
  assertParity(copy(cpu), cpu, inputs, config, "itself");
  // β forgotten: the KL term and its gradient missing
  const noKl = rankObjectiveRef(inputs, { ...config, beta: 0 });
  assertThrows(
    () => assertParity({ ...noKl, stats: cpu.stats }, cpu, inputs, config, "no KL"),
    "gpu",
  );
  // the clip ignored: PPO's min(w·A, clip(w)·A) replaced by w·A
  const unclipped = rankObjectiveRef(inputs, { ...config, eps_low: 10, eps_high: 10 });
  assertThrows(
    () => assertParity({ ...unclipped, stats: cpu.stats }, cpu, inputs, config, "no clip"),
    "gpu",
  );
  // a 1e-3 relative error on the largest gradient entry of a compared row (one the bound covers)
  const skipped = boundaryRows(cpu, inputs, config), off = copy(cpu);
  let at = -1;
  off.grad.forEach((g, i) => {
    const compared = !skipped.has(Math.floor(i / inputs.dims.t));
    if (compared && (at < 0 || Math.abs(g) > Math.abs(off.grad[at]))) at = i;
  });
  off.grad[at] *= 1 + 1e-3;
  assertThrows(() => assertParity(off, cpu, inputs, config, "1e-3 error"), `grad[${at}]`);
});

const probe = await gpuAvailable({ timeoutMs: 5000 });
const skip = probe.available ? "" : ` (skipped: no WebGPU adapter: ${probe.reason})`;
if (!probe.available) {
  console.log(`tests/kernels/rank_objective_test.ts: GPU tests skipped: ${probe.reason}`);
}

Deno.test({
  name: `rank_objective{_stats,}.wgsl = CPU twin on every case and config${skip}`,
  ignore: !probe.available,
  async fn(t) {
    const gpu = await acquireGpu({ timeoutMs: 5000 });
    try {
      const obj = await createRankObjective(gpu);
      for (const c of CASES) {
        await t.step(c.name, async () => {
          const inputs = makeObjectiveInputs(c);
          for (const base of CONFIGS) {
            const config = { ...base, n: c.n };
            const at = `${c.name} ${label(config)}`;
            const g = await obj.run(inputs, config);
            const cpu = rankObjectiveRef(inputs, config);
            assertParity(g, cpu, inputs, config, at);
            if (c.onPolicy !== undefined) {
              // μ = 1: every weight is exactly 1 on the GPU too, and nothing is clipped
              inputs.mask.forEach((m, i) => {
                if (m !== 0 && inputs.segIds[i] >= 0) assert(g.ratio[i] === 1, `${at}: w ≠ 1`);
              });
              assertEquals([g.clipLow, g.clipHigh], [0, 0], `${at}: clipped at μ = 1`);
            }
          }
        });
      }
      await t.step("B·T = 0 gives the empty result without a dispatch", async () => {
        const inputs = makeObjectiveInputs({ name: "empty", b: 0, t: 5, n: 3, seed: 9 });
        const g = await obj.run(inputs, { ...baseCfg(), n: 3 });
        assertEquals([g.loss, g.grad.length, g.stats.tokens], [0, 0, 0]);
      });
      await t.step("a config beyond the loop budget is refused with the reason", async () => {
        const inputs = makeObjectiveInputs({ name: "long", b: 1, t: 60000, n: 3, seed: 10 });
        let msg = "";
        await obj.run(inputs, { ...baseCfg(), level: "sequence", n: 3 }).catch((e) => {
          msg = (e as Error).message;
        });
        assert(msg.includes("LOOP_BUDGET"), `expected a LOOP_BUDGET error, got "${msg}"`);
      });
    } finally {
      gpu.dispose();
    }
  },
});

Deno.test({
  name:
    `tfjs webgpu (useBackend) on our device: kernels read tensor buffers; customGrad = twin${skip}`,
  ignore: !probe.available,
  async fn() {
    const tf = await import("@tensorflow/tfjs");
    const { rankObjectiveLoss, rankObjectiveOnTensors } = await import(
      "../../kernels/rank_objective_tfjs.ts"
    );
    const { useBackend, webgpuHandle } = await import("../../lib/model/backend.ts");
    const previous = tf.getBackend();
    try {
      await useBackend("webgpu");
      const gpu = webgpuHandle();
      assert(gpu !== null, 'webgpuHandle() after useBackend("webgpu")');
      const name = tf.getBackend();
      const obj = await createRankObjective(gpu);
      const c = CASES[1];
      const inputs = makeObjectiveInputs(c);
      const config: PolicyLossConfig = { ...baseCfg(), loss_norm: "rank", beta: 0.04, n: c.n };
      await obj.ready(c.n);
      const shape: [number, number] = [c.b, c.t];
      const ts = {
        logpNew: tf.tensor2d(inputs.logpNew, shape),
        logpOld: tf.tensor2d(inputs.logpOld!, shape),
        logpRef: tf.tensor2d(inputs.logpRef!, shape),
        advantages: tf.tensor2d(inputs.advantages, shape),
        segIds: tf.tensor2d(inputs.segIds, shape, "int32"),
        mask: tf.tensor2d(inputs.mask, shape, "int32"),
      };
      const cpu = rankObjectiveRef(inputs, config);
      const before = tf.memory().numTensors;
      const out = rankObjectiveOnTensors(obj, gpu, ts, config);
      assertEquals((await out.status.data())[0], 0, "status");
      const rows = finishRowStats((await out.rowStats.data()) as Float32Array);
      const gpuOut: RankObjective = {
        ...rows,
        tokenLoss: (await out.tokenLoss.data()) as Float32Array,
        grad: (await out.grad.data()) as Float32Array,
        ratio: cpu.ratio, // not returned on this path
      };
      assertParity(gpuOut, cpu, inputs, config, `tfjs ${name}`);
      for (const x of Object.values(out)) x.dispose();
      const lossAndGrad = tf.valueAndGrad((x: import("@tensorflow/tfjs").Tensor2D) =>
        rankObjectiveLoss(obj, gpu, { ...ts, logpNew: x }, config)
      );
      const { value, grad } = lossAndGrad(ts.logpNew);
      const abs = cpu.tokenLoss.reduce((s, x) => s + Math.abs(x), 0);
      const n = objectiveLengths(inputs, config);
      assertAlmostEquals(
        (await value.data())[0],
        cpu.loss,
        f32SumTol(n.sum, abs),
        "customGrad loss",
      );
      const grads = (await grad.data()) as Float32Array;
      assertArrayClose(grads, cpu.grad, new Set(), { t: c.t, elem: n.elem }, "customGrad");
      value.dispose();
      grad.dispose();
      assertEquals(tf.memory().numTensors, before, "tensor count after the tfjs path");
      for (const x of Object.values(ts)) x.dispose();
    } finally {
      if (previous !== undefined && previous !== tf.getBackend()) await tf.setBackend(previous);
    }
  },
});
