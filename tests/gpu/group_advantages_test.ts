// Group advantages: CPU twin vs lib/train/rl groupAdvantages (always), and the WGSL kernel vs the twin
// on seeded cases (skipped with the reason when no adapter answers within 5 s).

import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { acquireGpu, gpuAvailable } from "../../lib/gpu/device.ts";
import { groupAdvantages } from "../../lib/train/rl/group_advantages.ts";
import { createGroupAdvantages } from "../../kernels/group_advantages.ts";
import { type GroupAdvantagesF32, groupAdvantagesRef } from "../../kernels/group_advantages_ref.ts";
import { seededUniform } from "./_fixtures.ts";

/** Tolerances GPU (f32) vs twin (f64 rounded to f32): advantages are O(1) after normalisation. */
const ADV_ABS = 1e-5;
const MEAN_STD_REL = 1e-5;

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

function assertParity(gpu: GroupAdvantagesF32, cpu: GroupAdvantagesF32, label: string): void {
  assertEquals(gpu.zeroStdGroups, cpu.zeroStdGroups, `${label}: zero-std groups`);
  assertEquals(gpu.zeroStdFraction, cpu.zeroStdFraction, `${label}: zero-std fraction`);
  assertEquals(gpu.advantages.length, cpu.advantages.length, `${label}: length`);
  for (let i = 0; i < cpu.advantages.length; i++) {
    const g = gpu.advantages[i], c = cpu.advantages[i];
    if (c === 0) assert(g === 0, `${label}: advantage ${i}: gpu ${g}, expected exactly 0`);
    assert(Math.abs(g - c) <= ADV_ABS, `${label}: advantage ${i}: gpu ${g} vs cpu ${c}`);
  }
  for (let i = 0; i < cpu.mean.length; i++) {
    const tol = (x: number) => MEAN_STD_REL * Math.max(1, Math.abs(x));
    assert(Math.abs(gpu.mean[i] - cpu.mean[i]) <= tol(cpu.mean[i]), `${label}: mean ${i}`);
    if (cpu.std[i] === 0) assert(gpu.std[i] === 0, `${label}: std ${i} expected exactly 0`);
    assert(Math.abs(gpu.std[i] - cpu.std[i]) <= tol(cpu.std[i]), `${label}: std ${i}`);
  }
}

const probe = await gpuAvailable({ timeoutMs: 5000 });
const skip = probe.available ? "" : ` (skipped: no WebGPU adapter: ${probe.reason})`;
if (!probe.available) {
  console.log(`tests/gpu/group_advantages_test.ts: GPU tests skipped: ${probe.reason}`);
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
          assertParity(await ga.run(rewards, dims), groupAdvantagesRef(rewards, dims), c.name);
        });
      }
      await t.step("stdEps option and empty input", async () => {
        const rewards = makeRewards(CASES[2]);
        const dims = { g: 8, n: 20 };
        assertParity(
          await ga.run(rewards, dims, { stdEps: 0.5 }),
          groupAdvantagesRef(rewards, dims, { stdEps: 0.5 }),
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
