// Group advantages: CPU twin vs lib/train/rl groupAdvantages (always), and the WGSL kernel vs the twin
// on seeded cases (skipped with the reason when no adapter answers within 5 s).

import { assert, assertEquals, assertThrows, f32SumTol } from "../_assert.ts";
import { acquireGpu, gpuAvailable } from "../../lib/gpu/device.ts";
import { groupAdvantages } from "../../lib/train/rl/group_advantages.ts";
import { createGroupAdvantages } from "../../kernels/group_advantages.ts";
import { type GroupAdvantagesF32, groupAdvantagesRef } from "../../kernels/group_advantages_ref.ts";
import { seededUniform } from "../_seeded.ts";

/**
 * Bounds GPU (f32) vs twin (f64 rounded to f32) for one group of G rewards in [0, 1] (tests/_assert.ts):
 * the mean sums G terms ≤ 1: f32SumTol(G + 1); each deviation r − mean then errs by ≤ dev =
 * f32SumTol(G + 2); the variance sums G squares, and since max|r − mean| ≤ √G·std, the std errs by
 * ≤ (1 + √G)·dev plus WGSL's sqrt (≤ 2.5 ulp, counted as 4·EPS32); an advantage (r − mean)/(std + eps)
 * errs by (dev + |A|·δstd)/(std + eps) plus the add and WGSL's 2.5-ulp divide (4·EPS32·|A|). Absolute
 * in the rewards' unit, as the deviations cancel to tiny values.
 */
function groupBounds(G: number, std: number, stdEps: number) {
  const dev = f32SumTol(G + 2, 1), dStd = (1 + Math.sqrt(G)) * dev + f32SumTol(4, std);
  return {
    mean: f32SumTol(G + 1, 1),
    std: dStd,
    advantage: (a: number) =>
      (dev + Math.abs(a) * dStd) / (std + stdEps) + f32SumTol(4, Math.abs(a)),
  };
}

interface Case {
  readonly name: string;
  readonly p: number;
  readonly g: number;
  readonly n: number;
  readonly seed: number;
  /** "binary": rewards in {0, 1} (many zero-variance groups); "graded": uniform [0, 1). */
  readonly kind: "binary" | "graded" | "constant";
}

const CASES: readonly Case[] = [
  { name: "size 1 (P = G = N = 1)", p: 1, g: 1, n: 1, seed: 1, kind: "graded" },
  { name: "G = 1: every group zero-variance", p: 3, g: 1, n: 20, seed: 2, kind: "graded" },
  { name: "8 prompts × 8, N = 20, graded", p: 8, g: 8, n: 20, seed: 3, kind: "graded" },
  { name: "binary hits: many zero-std groups", p: 9, g: 4, n: 20, seed: 4, kind: "binary" },
  { name: "N = 70 (> workgroup, not a multiple)", p: 5, g: 3, n: 70, seed: 5, kind: "graded" },
  { name: "G = 2, P = 101", p: 101, g: 2, n: 7, seed: 6, kind: "binary" },
  { name: "all rewards equal", p: 2, g: 6, n: 5, seed: 7, kind: "constant" },
];

function makeRewards(c: Case): Float32Array {
  const u = seededUniform(c.seed * 7919);
  const r = new Float32Array(c.p * c.g * c.n); // (P·G, N)
  for (let i = 0; i < r.length; i++) {
    r[i] = c.kind === "constant" ? 0.25 : c.kind === "binary" ? (u() < 0.3 ? 1 : 0) : u();
  }
  return r;
}

Deno.test("groupAdvantagesRef = groupAdvantages (lib/train/rl) rounded to f32", () => {
  for (const c of CASES) {
    const rewards = makeRewards(c);
    const got = groupAdvantagesRef(rewards, { g: c.g, n: c.n });
    const want = groupAdvantages(rewards, { g: c.g, n: c.n });
    assertEquals(got.advantages, Float32Array.from(want.advantages), c.name);
    assertEquals(got.mean, Float32Array.from(want.mean), c.name);
    assertEquals(got.std, Float32Array.from(want.std), c.name);
    assertEquals(got.zeroStdFraction, want.zeroStdFraction, c.name);
    assertEquals(got.zeroStdGroups, Math.round(want.zeroStdFraction * c.p * c.n), c.name);
  }
});

Deno.test("groupAdvantagesRef: hand-computed example, G = 1, shape errors", () => {
  // one prompt, G = 2, N = 2: rank 1 rewards (1, 0): mean 0.5, std √0.5; rank 2 ties
  const r = groupAdvantagesRef(Float32Array.of(1, 0, 0, 0), { g: 2, n: 2 });
  const a = Math.fround(0.5 / (Math.SQRT1_2 + 1e-4));
  assertEquals([...r.advantages], [a, 0, -a, 0]);
  assertEquals([...r.mean], [0.5, 0]);
  assertEquals(r.zeroStdGroups, 1);
  const one = groupAdvantagesRef(Float32Array.of(3, 4), { g: 1, n: 2 });
  assertEquals([...one.advantages], [0, 0]);
  assertEquals(one.zeroStdFraction, 1);
  assertThrows(() => groupAdvantagesRef(new Float32Array(5), { g: 2, n: 2 }), "rewards.length=5");
  assertThrows(() => groupAdvantagesRef(new Float32Array(4), { g: 0, n: 2 }), "g=0");
});

function assertParity(
  gpu: GroupAdvantagesF32,
  cpu: GroupAdvantagesF32,
  dims: { g: number; n: number; stdEps?: number },
  label: string,
): void {
  assertEquals(gpu.zeroStdGroups, cpu.zeroStdGroups, `${label}: zero-std groups`);
  assertEquals(gpu.zeroStdFraction, cpu.zeroStdFraction, `${label}: zero-std fraction`);
  assertEquals(gpu.advantages.length, cpu.advantages.length, `${label}: length`);
  const { g: G, n: N, stdEps = 1e-4 } = dims;
  for (let i = 0; i < cpu.advantages.length; i++) {
    const g = gpu.advantages[i], c = cpu.advantages[i];
    const group = Math.floor(i / (N * G)) * N + (i % N); // (prompt, rank) of row-major (P·G, N)
    const tol = groupBounds(G, cpu.std[group], stdEps).advantage(c);
    if (c === 0) assert(g === 0, `${label}: advantage ${i}: gpu ${g}, expected exactly 0`);
    assert(Math.abs(g - c) <= tol, `${label}: advantage ${i}: gpu ${g} vs cpu ${c}`);
  }
  for (let i = 0; i < cpu.mean.length; i++) {
    const b = groupBounds(G, cpu.std[i], stdEps);
    assert(Math.abs(gpu.mean[i] - cpu.mean[i]) <= b.mean, `${label}: mean ${i}`);
    if (cpu.std[i] === 0) assert(gpu.std[i] === 0, `${label}: std ${i} expected exactly 0`);
    assert(Math.abs(gpu.std[i] - cpu.std[i]) <= b.std, `${label}: std ${i}`);
  }
}

Deno.test("group-advantage parity check rejects a biased std, a 1e-3 error and a shifted mean", () => {
  const c = CASES[2], dims = { g: c.g, n: c.n }, cpu = groupAdvantagesRef(makeRewards(c), dims);
  const copy = () => ({
    ...cpu,
    advantages: cpu.advantages.slice(),
    mean: cpu.mean.slice(),
    std: cpu.std.slice(),
  });
  assertParity(copy(), cpu, dims, "itself");
  // dividing by G instead of G − 1 (the biased std) in every group
  const biased = copy(), shrink = Math.sqrt((c.g - 1) / c.g);
  biased.advantages.forEach((a, i) => {
    const s = cpu.std[Math.floor(i / (c.n * c.g)) * c.n + (i % c.n)];
    biased.advantages[i] = a * (s + 1e-4) / (s * shrink + 1e-4);
  });
  biased.std.forEach((s, i) => (biased.std[i] = s * shrink));
  assertThrows(() => assertParity(biased, cpu, dims, "biased std"), "advantage");
  const off = copy(), at = off.advantages.findIndex((a) => Math.abs(a) > 0.5);
  off.advantages[at] *= 1 + 1e-3;
  assertThrows(() => assertParity(off, cpu, dims, "1e-3 error"), `advantage ${at}`);
  const shifted = copy();
  shifted.mean[5] += 1e-4; // one group's mean off by 1e-4 of the reward scale
  assertThrows(() => assertParity(shifted, cpu, dims, "shifted mean"), "mean 5");
});

const probe = await gpuAvailable({ timeoutMs: 5000 });
const skip = probe.available ? "" : ` (skipped: no WebGPU adapter: ${probe.reason})`;
if (!probe.available) {
  console.log(`tests/kernels/group_advantages_test.ts: GPU tests skipped: ${probe.reason}`);
}

Deno.test({
  name: `group_advantages.wgsl = CPU twin on every case${skip}`,
  ignore: !probe.available,
  async fn(t) {
    const gpu = await acquireGpu({ timeoutMs: 5000 });
    try {
      const ga = await createGroupAdvantages(gpu);
      for (const c of CASES) {
        await t.step(c.name, async () => {
          const rewards = makeRewards(c);
          const dims = { g: c.g, n: c.n };
          assertParity(
            await ga.run(rewards, dims),
            groupAdvantagesRef(rewards, dims),
            dims,
            c.name,
          );
        });
      }
      await t.step("stdEps option and empty input", async () => {
        const rewards = makeRewards(CASES[2]);
        const dims = { g: 8, n: 20 };
        assertParity(
          await ga.run(rewards, dims, { stdEps: 0.5 }),
          groupAdvantagesRef(rewards, dims, { stdEps: 0.5 }),
          { ...dims, stdEps: 0.5 },
          "stdEps 0.5",
        );
        const empty = await ga.run(new Float32Array(0), dims);
        assertEquals([empty.advantages.length, empty.zeroStdGroups], [0, 0]);
      });
    } finally {
      gpu.dispose();
    }
  },
});
