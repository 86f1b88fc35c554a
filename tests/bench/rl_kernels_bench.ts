// RL kernels bench: per-rank group advantages and the rank objective (item level, rank norm, β = 1e-3),
// CPU twin vs WebGPU (one submit per call incl. upload and readback) at B = 64 (8 prompts × 8), T = 256,
// N = 20, plus B = 256, T = 1024 for the slope. Prints medians and the crossover estimate at exit.
// Run: npx -y deno@2.9.6 bench --allow-read --allow-env tests/bench/rl_kernels_bench.ts

import { acquireGpu, gpuAvailable, SOFTWARE_SUBMIT_MS } from "../../lib/gpu/device.ts";
import { policyLossAndGrad } from "../../lib/train/rl/policy_loss.ts";
import { createGroupAdvantages } from "../../kernels/group_advantages.ts";
import { groupAdvantagesRef } from "../../kernels/group_advantages_ref.ts";
import { createRankObjective } from "../../kernels/rank_objective.ts";
import { rankObjectiveRef } from "../../kernels/rank_objective_ref.ts";
import { seededUniform } from "../_seeded.ts";
import { makeObjectiveInputs } from "../kernels/_rl_fixtures.ts";

const N = 20;
const G = 8;
const SIZES = [{ p: 8, t: 256 }, { p: 32, t: 1024 }] as const; // B = P·G
const CONFIG = {
  level: "item",
  loss_norm: "rank",
  beta: 1e-3,
  eps_low: 0.06,
  eps_high: 0.08,
  n: N,
} as const;

// bench-only collector of per-call times (deno bench reports no median); read once at unload
const timings = new Map<string, number[]>(); // bench name -> ms per call
function timed(name: string, fn: () => unknown | Promise<unknown>) {
  return async () => {
    const t = performance.now();
    await fn();
    const list = timings.get(name) ?? [];
    list.push(performance.now() - t);
    timings.set(name, list);
  };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const probe = await gpuAvailable({ timeoutMs: 5000 });
const gpu = probe.available ? await acquireGpu({ timeoutMs: 5000 }) : null;
const ga = gpu === null ? null : await createGroupAdvantages(gpu);
const obj = gpu === null ? null : await createRankObjective(gpu);
console.log(
  `rl kernels bench: GPU ${
    gpu !== null ? `${gpu.info.description} (${gpu.info.backend})` : "skipped: " + probe.reason
  }`,
);

for (const { p, t } of SIZES) {
  const b = p * G;
  const tag = `B=${b} T=${t} N=${N}`;
  const u = seededUniform(31);
  const rewards = Float32Array.from({ length: b * N }, () => (u() < 0.3 ? 1 : 0) * u());
  const inputs = makeObjectiveInputs({ name: tag, b, t, n: N, seed: 3, emptyRows: 0 });
  const bench = (name: string, group: string, fn: () => unknown, baseline = false) =>
    Deno.bench({
      name: `${name} ${tag}`,
      group: `${group} ${tag}`,
      baseline,
      n: 30,
      warmup: 3,
      fn: timed(`${name} ${tag}`, fn),
    });
  bench(
    "cpu groupAdvantagesRef",
    "advantages",
    () => groupAdvantagesRef(rewards, { g: G, n: N }),
    true,
  );
  bench("cpu rankObjectiveRef", "objective", () => rankObjectiveRef(inputs, CONFIG), true);
  bench("cpu policyLossAndGrad", "objective", () => policyLossAndGrad(inputs, CONFIG));
  if (ga !== null && obj !== null) {
    bench("gpu groupAdvantages", "advantages", () => ga.run(rewards, { g: G, n: N }));
    bench("gpu rankObjective", "objective", () => obj.run(inputs, CONFIG));
  }
}

globalThis.addEventListener("unload", () => {
  const med = (k: string) => {
    const xs = timings.get(k);
    return xs === undefined ? null : median(xs);
  };
  for (const { p, t } of SIZES) {
    const tag = `B=${p * G} T=${t} N=${N}`;
    const line = [
      "cpu groupAdvantagesRef",
      "gpu groupAdvantages",
      "cpu rankObjectiveRef",
      "cpu policyLossAndGrad",
      "gpu rankObjective",
    ]
      .map((k) => [k, med(`${k} ${tag}`)] as const)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k} ${v!.toFixed(2)} ms`);
    console.log(`rl kernels ${tag}: ${line.join(", ")}`);
  }
  // crossover: CPU cost per token (lib function, the default path) vs the GPU's fixed submit cost
  const [s0, s1] = SIZES.map(({ p, t }) => `B=${p * G} T=${t} N=${N}`);
  const tok = SIZES.map(({ p, t }) => p * G * t);
  const c0 = med(`cpu policyLossAndGrad ${s0}`), c1 = med(`cpu policyLossAndGrad ${s1}`);
  const g0 = med(`gpu rankObjective ${s0}`), g1 = med(`gpu rankObjective ${s1}`);
  if (c0 !== null && c1 !== null) {
    const cpuPerTok = (c1 - c0) / (tok[1] - tok[0]);
    console.log(
      `crossover: CPU ${(cpuPerTok * 1e6).toFixed(1)} ns/token; at the ${SOFTWARE_SUBMIT_MS} ms ` +
        `submit floor alone the CPU path is cheaper below ~${
          Math.round(SOFTWARE_SUBMIT_MS / cpuPerTok)
        } tokens`,
    );
    if (g0 !== null && g1 !== null) {
      const gpuPerTok = (g1 - g0) / (tok[1] - tok[0]);
      const fixed = g0 - gpuPerTok * tok[0];
      const x = cpuPerTok > gpuPerTok ? Math.round(fixed / (cpuPerTok - gpuPerTok)) : Infinity;
      console.log(
        `measured GPU: ${fixed.toFixed(2)} ms fixed + ${(gpuPerTok * 1e6).toFixed(1)} ns/token → ` +
          (Number.isFinite(x) ? `GPU wins above ~${x} tokens` : "GPU never wins on this adapter"),
      );
    }
  }
  gpu?.dispose();
});
