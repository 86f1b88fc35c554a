// Similarity top-k: CPU twin vs a brute-force sort (always), and GPU kernel vs CPU twin on the same
// seeded cases (skipped with the reason when no adapter answers within 5 s).

import { assert, assertEquals, assertThrows, f32SumTol } from "../_assert.ts";
import { acquireGpu, gpuAvailable } from "../../lib/gpu/device.ts";
import { createSimilarityTopk } from "../../kernels/similarity_topk.ts";
import { similarityTopkRef, type TopkResult } from "../../kernels/similarity_topk_ref.ts";
import { bruteTopk, dotF32, randomRows } from "./_fixtures.ts";

/**
 * Score tolerance between GPU (f32 accumulation of dim products) and CPU twin (f64 accumulation, one f32
 * rounding): rows are L2-normalised, so Σ|q_j·c_j| ≤ |q|·|c| ≤ 1 and the two differ by at most
 * f32SumTol(dim + 1) (tests/_assert.ts) — an absolute bound, since 1 is the size of the summed terms
 * however small the score.
 */
function scoreTol(dim: number): number {
  return f32SumTol(dim + 1, 1);
}

interface Case {
  readonly name: string;
  readonly nq: number;
  readonly nc: number;
  readonly dim: number;
  readonly k: number;
  readonly seed: number;
  readonly kind?: "random" | "dupes" | "equal_rows" | "zero_queries";
  readonly gpu?: { rowsPerLane?: number; maxSegmentBytes?: number; maxCandidateBytes?: number };
}

const CASES: readonly Case[] = [
  { name: "size 1", nq: 1, nc: 1, dim: 1, k: 1, seed: 1 },
  {
    name: "nq, nc non-multiples of the workgroup; d=13; lanes of 100 rows",
    nq: 67,
    nc: 1029,
    dim: 13,
    k: 7,
    seed: 2,
    gpu: { rowsPerLane: 100 },
  },
  { name: "k = 1, d = 3", nq: 5, nc: 300, dim: 3, k: 1, seed: 3 },
  { name: "ties: duplicated catalog rows", nq: 9, nc: 200, dim: 10, k: 20, seed: 4, kind: "dupes" },
  { name: "k > nc pads with -1 / -Infinity", nq: 6, nc: 5, dim: 6, k: 9, seed: 5 },
  {
    name: "all-equal scores (identical rows)",
    nq: 4,
    nc: 130,
    dim: 5,
    k: 33,
    seed: 6,
    kind: "equal_rows",
  },
  {
    name: "all-equal scores (zero queries)",
    nq: 3,
    nc: 77,
    dim: 7,
    k: 10,
    seed: 7,
    kind: "zero_queries",
  },
  {
    name: "k = 100 over several lanes",
    nq: 70,
    nc: 3001,
    dim: 33,
    k: 100,
    seed: 8,
    gpu: { rowsPerLane: 256 },
  },
  {
    name: "catalog segments and query batches",
    nq: 40,
    nc: 2000,
    dim: 20,
    k: 16,
    seed: 9,
    gpu: { rowsPerLane: 128, maxSegmentBytes: 300 * 20 * 4, maxCandidateBytes: 16 * 16 * 4 * 10 },
  },
  // would have caught the silent 65535-loop-iteration cut-off of llvmpipe with long lanes
  {
    name: "long lanes at d = 64, k = 100 (loop budget)",
    nq: 8,
    nc: 4000,
    dim: 64,
    k: 100,
    seed: 11,
  },
  { name: "k = 128 (the maximum)", nq: 3, nc: 500, dim: 8, k: 128, seed: 10, kind: "dupes" },
];

function makeInputs(c: Case): { queries: Float32Array; catalog: Float32Array } {
  const queries = c.kind === "zero_queries"
    ? new Float32Array(c.nq * c.dim)
    : randomRows(c.nq, c.dim, c.seed * 7919);
  let catalog: Float32Array;
  if (c.kind === "dupes") {
    const distinct = Math.max(1, Math.floor(c.nc / 4));
    const base = randomRows(distinct, c.dim, c.seed * 104729);
    catalog = new Float32Array(c.nc * c.dim);
    for (let r = 0; r < c.nc; r++) {
      const src = (r * 7) % distinct; // every distinct row appears ~4 times, scattered
      catalog.set(base.subarray(src * c.dim, (src + 1) * c.dim), r * c.dim);
    }
  } else if (c.kind === "equal_rows") {
    const one = randomRows(1, c.dim, c.seed);
    catalog = new Float32Array(c.nc * c.dim);
    for (let r = 0; r < c.nc; r++) catalog.set(one, r * c.dim);
  } else {
    catalog = randomRows(c.nc, c.dim, c.seed * 104729);
  }
  return { queries, catalog };
}

for (const c of CASES) {
  Deno.test(`similarityTopkRef = brute-force sort: ${c.name}`, () => {
    const { queries, catalog } = makeInputs(c);
    const got = similarityTopkRef({ queries, catalog, dim: c.dim }, { k: c.k });
    const want = bruteTopk(queries, catalog, { dim: c.dim, k: c.k });
    assertEquals(got, want);
  });
}

Deno.test("similarityTopkRef: hand-computed example and padding", () => {
  // catalog rows: (0,1) (1,0) (0.6,0.8) (1,0); query (1,0): scores 0, 1, 0.6, 1
  const r = similarityTopkRef(
    {
      queries: new Float32Array([1, 0]),
      catalog: new Float32Array([0, 1, 1, 0, 0.6, 0.8, 1, 0]),
      dim: 2,
    },
    { k: 6 },
  );
  assertEquals(r.valid, 4);
  assertEquals([...r.indices], [1, 3, 2, 0, -1, -1]);
  assertEquals([...r.scores], [1, 1, Math.fround(0.6), 0, -Infinity, -Infinity]);
});

Deno.test("similarityTopkRef: empty catalog gives only padding; NaN rows are never returned", () => {
  const empty = similarityTopkRef(
    { queries: new Float32Array([1, 0]), catalog: new Float32Array(0), dim: 2 },
    { k: 2 },
  );
  assertEquals(empty.valid, 0);
  assertEquals([...empty.indices], [-1, -1]);
  const nan = similarityTopkRef(
    { queries: new Float32Array([1]), catalog: new Float32Array([NaN, 0.5]), dim: 1 },
    { k: 2 },
  );
  assertEquals([...nan.indices], [1, -1]);
});

Deno.test("similarityTopkRef: rejects bad k and shapes, naming the field", () => {
  const queries = new Float32Array(4), catalog = new Float32Array(4);
  assertThrows(() => similarityTopkRef({ queries, catalog, dim: 2 }, { k: 0 }), "k=0");
  assertThrows(() => similarityTopkRef({ queries, catalog, dim: 2 }, { k: 129 }), "k=129");
  assertThrows(() => similarityTopkRef({ queries, catalog, dim: 3 }, { k: 1 }), "queries.length=4");
  assertThrows(
    () => similarityTopkRef({ queries: new Float32Array(3), catalog, dim: 3 }, { k: 1 }),
    "catalog.length=4",
  );
});

/**
 * GPU vs CPU twin: same valid count and padding, scores within scoreTol, and indices equal except
 * where the two scores tie within scoreTol (then the GPU's own order must follow the tie-break).
 */
function assertParity(
  gpu: TopkResult,
  cpu: TopkResult,
  inputs: { queries: Float32Array; catalog: Float32Array; dim: number },
  label: string,
): void {
  assertEquals([gpu.nq, gpu.k, gpu.valid], [cpu.nq, cpu.k, cpu.valid], `${label}: shape`);
  const { k } = cpu, tol = scoreTol(inputs.dim);
  for (let q = 0; q < cpu.nq; q++) {
    const seen = new Set<number>();
    for (let t = 0; t < k; t++) {
      const at = `${label}: query ${q} slot ${t}`;
      const gi = gpu.indices[q * k + t], ci = cpu.indices[q * k + t];
      const gs = gpu.scores[q * k + t], cs = cpu.scores[q * k + t];
      if (t >= cpu.valid) {
        assertEquals([gi, gs], [-1, -Infinity], `${at}: padding`);
        continue;
      }
      assert(Math.abs(gs - cs) <= tol, `${at}: score gpu ${gs} vs cpu ${cs}`);
      assert(!seen.has(gi), `${at}: index ${gi} repeated`);
      seen.add(gi);
      if (gi !== ci) {
        const exact = dotF32(inputs.queries, inputs.catalog, inputs.dim, q, gi);
        assert(
          Math.abs(exact - cs) <= tol,
          `${at}: index gpu ${gi} vs cpu ${ci}, not a tie (${exact} vs ${cs})`,
        );
      }
      if (t > 0) {
        const ps = gpu.scores[q * k + t - 1], pi = gpu.indices[q * k + t - 1];
        assert(ps > gs || (ps === gs && pi < gi), `${at}: GPU order breaks the tie rule`);
      }
    }
  }
}

Deno.test("top-k parity check rejects a 1e-3 score error, a swapped non-tie and a dropped candidate", () => {
  const c = CASES[1], { queries, catalog } = makeInputs(c);
  const inputs = { queries, catalog, dim: c.dim };
  const cpu = similarityTopkRef(inputs, { k: c.k });
  const copy = () => ({ ...cpu, indices: cpu.indices.slice(), scores: cpu.scores.slice() });
  assertParity(copy(), cpu, inputs, "itself");
  const off = copy();
  off.scores[3] *= 1 + 1e-3;
  assertThrows(() => assertParity(off, cpu, inputs, "1e-3 score error"), "score gpu");
  const swapped = copy(); // slots 0 and 1 of query 0 exchanged, scores kept in order
  [swapped.indices[0], swapped.indices[1]] = [swapped.indices[1], swapped.indices[0]];
  assert(cpu.scores[0] - cpu.scores[1] > scoreTol(c.dim), "slots 0 and 1 do not tie");
  assertThrows(() => assertParity(swapped, cpu, inputs, "swapped"), "not a tie");
  const dropped = copy(); // the best candidate of query 0 missing: everything moves up one slot
  dropped.indices.copyWithin(0, 1, c.k);
  dropped.scores.copyWithin(0, 1, c.k);
  assertThrows(() => assertParity(dropped, cpu, inputs, "dropped"), "score gpu");
});

const probe = await gpuAvailable({ timeoutMs: 5000 });
const skip = probe.available ? "" : ` (skipped: no WebGPU adapter: ${probe.reason})`;
if (!probe.available) {
  console.log(`tests/kernels/similarity_topk_test.ts: GPU tests skipped: ${probe.reason}`);
}

Deno.test({
  name: `similarity_topk.wgsl = CPU twin on every case${skip}`,
  ignore: !probe.available,
  async fn(t) {
    const gpu = await acquireGpu({ timeoutMs: 5000 });
    const topk = await createSimilarityTopk(gpu);
    try {
      console.log(
        `adapter: ${gpu.info.description}, backend ${gpu.info.backend} (${gpu.info.backendSource})`,
      );
      for (const c of CASES) {
        await t.step(c.name, async () => {
          const { queries, catalog } = makeInputs(c);
          const inputs = { queries, catalog, dim: c.dim };
          const resident = topk.withCatalog(catalog, { dim: c.dim, ...c.gpu });
          const g = await resident.run(queries, { k: c.k }).finally(() => resident.dispose());
          const cpu = similarityTopkRef(inputs, { k: c.k });
          assertParity(g, cpu, inputs, c.name);
        });
      }
      await t.step("run() (upload, run, free) = CPU twin", async () => {
        const c = CASES[3];
        const { queries, catalog } = makeInputs(c);
        const inputs = { queries, catalog, dim: c.dim };
        assertParity(
          await topk.run(inputs, { k: c.k }),
          similarityTopkRef(inputs, { k: c.k }),
          inputs,
          "run",
        );
      });
      await t.step("resident catalog answers repeated queries identically", async () => {
        const c = CASES[1];
        const { queries, catalog } = makeInputs(c);
        const resident = topk.withCatalog(catalog, { dim: c.dim, ...c.gpu });
        try {
          const a = await resident.run(queries, { k: c.k });
          const b = await resident.run(queries, { k: c.k });
          assertEquals(a, b);
          assertParity(a, similarityTopkRef({ queries, catalog, dim: c.dim }, { k: c.k }), {
            queries,
            catalog,
            dim: c.dim,
          }, "resident");
        } finally {
          resident.dispose();
        }
      });
    } finally {
      gpu.dispose();
    }
  },
});
