// Remap similarity top-k bench (k = 100): CPU twin always, WebGPU kernel when an adapter answers.
// 7,404 items (the Reddit-v2 catalog size) at d = 256 and 1M synthetic items at d = 128 (f32: 512 MB).
// Run: npx -y deno@2.9.6 bench --allow-read --allow-env tests/bench/topk_bench.ts
// Prints the median queries/s per case at exit (deno bench itself shows mean and percentiles).

import { acquireGpu, choosePath, gpuAvailable } from "../../lib/gpu/device.ts";
import { createSimilarityTopk, type ResidentCatalog } from "../../kernels/similarity_topk.ts";
import { similarityTopkRef } from "../../kernels/similarity_topk_ref.ts";
import { randomRows } from "../kernels/_fixtures.ts";

const K = 100;
const CASES = [
  { name: "7.4k items, d=256, 64 queries", nc: 7404, dim: 256, nq: 64, n: 10 },
  { name: "1M items, d=128, 16 queries", nc: 1_000_000, dim: 128, nq: 16, n: 3 },
] as const;

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
const topk = gpu === null ? null : await createSimilarityTopk(gpu);
console.log(
  `topk bench: GPU ${
    probe.available ? gpu!.info.description + ` (${gpu!.info.backend})` : "skipped: " + probe.reason
  }`,
);

const resident: ResidentCatalog[] = [];
for (const c of CASES) {
  const catalog = randomRows(c.nc, c.dim, 17);
  const queries = randomRows(c.nq, c.dim, 29);
  Deno.bench({
    name: `cpu ${c.name}`,
    group: c.name,
    baseline: true,
    n: c.n,
    warmup: 1,
    fn: timed(`cpu ${c.name}`, () => similarityTopkRef({ queries, catalog, dim: c.dim }, { k: K })),
  });
  if (topk !== null) {
    const res = topk.withCatalog(catalog, { dim: c.dim });
    resident.push(res);
    Deno.bench({
      name: `gpu ${c.name} (resident catalog)`,
      group: c.name,
      n: c.n,
      warmup: 1,
      fn: timed(`gpu ${c.name}`, () => res.run(queries, { k: K })),
    });
  }
}

globalThis.addEventListener("unload", () => {
  for (const c of CASES) {
    const cpu = timings.get(`cpu ${c.name}`), g = timings.get(`gpu ${c.name}`);
    if (cpu === undefined) continue;
    const cpuMs = median(cpu);
    let line = `topk ${c.name}: cpu median ${cpuMs.toFixed(1)} ms = ${
      (c.nq / cpuMs * 1000).toFixed(0)
    } q/s`;
    if (g !== undefined) {
      const gMs = median(g);
      const choice = choosePath({
        device: gpu,
        estimatedCpuMs: cpuMs,
        estimatedGpuMs: gMs,
        submitCostMs: 0,
      });
      line += `; gpu median ${gMs.toFixed(1)} ms = ${
        (c.nq / gMs * 1000).toFixed(0)
      } q/s; choosePath: ${choice.path}`;
    }
    console.log(line);
  }
  for (const r of resident) r.dispose();
  gpu?.dispose();
});
