// Remap's top-k (queries × catalog embeddings → top N_r per query) at the Reddit-v2 catalog size
// (7,404 items) and at 1M synthetic items, CPU twin always, WebGPU kernel when a hardware adapter exists.
// queries/s = queries per iteration ÷ time per iteration (the bench names say how many).
import { similarityTopkRef } from "../../kernels/similarity_topk_ref.ts";
import { createSimilarityTopk } from "../../kernels/similarity_topk.ts";
import { acquireGpu, gpuAvailable } from "../../lib/gpu/device.ts";

const DIM = 512; // the hashed TF-IDF default
const K = 120; // N_r = 100 plus room for exact and excluded items, as remapCandidates fetches

/** Unit rows from a xorshift stream (fast enough to fill 1M × 512). */
function unitRows(n: number, dim: number, seed: number): Float32Array {
  const m = new Float32Array(n * dim); // (n, d)
  let x = seed >>> 0 || 1;
  for (let i = 0; i < m.length; i++) {
    x ^= x << 13, x ^= x >>> 17, x ^= x << 5;
    m[i] = (x >>> 0) / 4294967296 - 0.5;
  }
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += m[r * dim + j] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) m[r * dim + j] *= inv;
  }
  return m;
}

const small = unitRows(7404, DIM, 1);
const smallQ = unitRows(64, DIM, 2);
const big = unitRows(1_000_000, DIM, 3);
const bigQ = unitRows(4, DIM, 4);

Deno.bench({
  name: "remap top-k CPU: 64 queries × 7,404 items, d 512, k 120",
  group: "7.4k",
  baseline: true,
  fn: () => {
    similarityTopkRef({ queries: smallQ, catalog: small, dim: DIM }, { k: K });
  },
});

Deno.bench({
  name: "remap top-k CPU: 4 queries × 1,000,000 items, d 512, k 120",
  group: "1M",
  baseline: true,
  n: 3,
  warmup: 1,
  fn: () => {
    similarityTopkRef({ queries: bigQ, catalog: big, dim: DIM }, { k: K });
  },
});

const probe = await gpuAvailable({ timeoutMs: 3000 });
const hardware = probe.available && probe.info !== null && !probe.info.isSoftware;
const why = probe.available ? `software adapter ${probe.reason}` : `no adapter: ${probe.reason}`;
if (!hardware) console.log(`distill_bench: GPU benches skipped (${why})`);
const gpu = hardware ? await acquireGpu() : null;
const kernel = gpu === null ? null : await createSimilarityTopk(gpu);
const residentSmall = kernel?.withCatalog(small, { dim: DIM });
const residentBig = kernel?.withCatalog(big, { dim: DIM });

Deno.bench({
  name: `remap top-k GPU (resident catalog): 64 queries × 7,404 items${
    hardware ? "" : ` (skipped: ${why})`
  }`,
  group: "7.4k",
  ignore: !hardware,
  fn: async () => {
    await residentSmall!.run(smallQ, { k: K });
  },
});

Deno.bench({
  name: `remap top-k GPU (resident catalog): 4 queries × 1,000,000 items${
    hardware ? "" : ` (skipped: ${why})`
  }`,
  group: "1M",
  ignore: !hardware,
  fn: async () => {
    await residentBig!.run(bigQ, { k: K });
  },
});
