// The embedding scatter-add gradient: equals the V×N one-hot formulation (cpu, wasm; JS and device
// segment sums; webgpu when an adapter exists), scales to a 150k vocab without V×N scratch, tied heads.
// Tolerances: each gradient entry is a float32 sum over the positions of one id, so two evaluations
// differ by ≤ count·EPS32·Σ|terms| (tests/_assert.ts), computed per entry; absent ids must be exactly 0.
import {
  assert,
  assertAllClose,
  assertEquals,
  f32SumTol,
  f32Tolerance,
  maxAbs,
} from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, useBackend } from "../../lib/model/backend.ts";
import { openBlasAvailable } from "../../lib/model/blas/openblas.ts";
import {
  embeddingGrad,
  embedTokens,
  type SegmentSumMode,
  segmentSumRows,
  tokenSegments,
} from "../../lib/model/embedding.ts";
import { seededUniform } from "../_seeded.ts";

/**
 * Per-entry bound of the (V, D) embedding gradient of dy (N, D) at ids: f32SumTol(count_v + 1,
 * Σ_{n: ids[n] = v} |dy[n, d]|), 0 for ids that do not occur.
 */
function segmentTolerance(
  dy: ArrayLike<number>,
  ids: Int32Array,
  V: number,
  D: number,
): Float64Array {
  const abs = new Float64Array(V * D), count = new Int32Array(V);
  ids.forEach((id, n) => {
    count[id]++;
    for (let j = 0; j < D; j++) abs[id * D + j] += Math.abs(dy[n * D + j]);
  });
  return abs.map((a, i) => f32SumTol(count[Math.floor(i / D)] + 1, a));
}

/** Seeded ids in [0, V) with many repeats: half drawn from the first `hot` ids. */
function idsWithRepeats(n: number, V: number, seed: number, hot = 7): Int32Array {
  const next = seededUniform(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * (next() < 0.5 ? hot : V)));
}

/** The old formulation: (V, N) one-hot built in JS, matMul'd with dy (N, D) → (V, D). */
function oneHotGrad(dy: tf.Tensor2D, ids: Int32Array, V: number): tf.Tensor2D {
  const N = ids.length;
  const oneHot = new Float32Array(V * N); // (V, N)
  ids.forEach((id, n) => (oneHot[id * N + n] = 1));
  return tf.tidy(() => tf.matMul(tf.tensor2d(oneHot, [V, N]), dy));
}

/** Gradient of sum(embedTokens(table, ids) * up) w.r.t. table. */
function lookupGrad(
  table: tf.Tensor2D,
  ids: Int32Array,
  up: tf.Tensor,
  segmentSum: SegmentSumMode,
): tf.Tensor {
  return tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(embedTokens(t as tf.Tensor2D, ids, { segmentSum }), up))
  )(table);
}

Deno.test("tokenSegments / segmentSumRows: hand-computed", () => {
  const seg = tokenSegments(Int32Array.from([9, 2, 9, 9, 0]));
  assertEquals(seg.unique, Int32Array.from([9, 2, 0]));
  assertEquals(seg.segment, Int32Array.from([0, 1, 0, 0, 2]));
  const dy = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40, 5, 50]); // (5, 2)
  assertEquals(segmentSumRows(dy, seg, 2), Float32Array.from([8, 80, 2, 20, 5, 50]));
  // float64 accumulation: 1 + 2^-24 + 2^-24 rounds once (float32 steps would each round back to 1)
  const tiny = Float32Array.from([1, 2 ** -24, 2 ** -24]);
  const one = tokenSegments(Int32Array.from([3, 3, 3]));
  assertEquals(segmentSumRows(tiny, one, 1)[0], Math.fround(1 + 2 ** -23));
  assert(segmentSumRows(new Float32Array(0), tokenSegments(new Int32Array(0)), 4).length === 0);
});

const blas = openBlasAvailable();

/** Gradient vs the one-hot formulation on ids with repeats, each segment-sum mode, on `backend`. */
async function checkAgainstOneHot(backend: BackendName): Promise<void> {
  await useBackend(backend);
  const V = 97, D = 16, N = 300;
  const ids = idsWithRepeats(N, V, 11);
  assert(tokenSegments(ids).unique.length < N / 2, "the ids repeat");
  const table = tf.randomNormal([V, D], 0, 1, "float32", 5) as tf.Tensor2D;
  const up = tf.randomNormal([N, D], 0, 1, "float32", 6) as tf.Tensor2D;
  const oneHot = oneHotGrad(up, ids, V);
  const reference = await oneHot.data();
  const atol = segmentTolerance(await up.data(), ids, V, D);
  const count = tf.memory().numTensors;
  for (const mode of ["js", "device", "auto"] as const) {
    const g = lookupGrad(table, ids, up, mode);
    assertAllClose(await g.data(), reference, { atol }, `${backend} ${mode}`);
    g.dispose();
  }
  assertEquals(tf.memory().numTensors, count, `${backend}: no tensor leaks`);
  const absent = new Set(Array.from({ length: V }, (_, v) => v));
  ids.forEach((id) => absent.delete(id));
  assert(absent.size > 0, "some ids are absent");
  const grad = embeddingGrad(up, ids, { vocab: V });
  const g = await grad.data();
  for (const v of absent) {
    assert(g.slice(v * D, (v + 1) * D).every((x) => x === 0), `row ${v} zero`);
  }
  const empty = embeddingGrad(tf.zeros([0, D]) as tf.Tensor2D, new Int32Array(0), { vocab: V });
  assertEquals(empty.shape, [V, D]);
  assert((await empty.data()).every((x) => x === 0));
  tf.dispose([table, up, empty, oneHot, grad]);
  await useBackend("cpu");
}

Deno.test("embedding grad = one-hot formulation on ids with repeats (cpu, wasm; js and device sums)", async () => {
  await checkAgainstOneHot("cpu");
  await checkAgainstOneHot("wasm");
});

Deno.test({
  name: `embedding grad = one-hot formulation on cpu-blas${
    blas.ok ? "" : ` (skipped: ${blas.reason})`
  }`,
  ignore: !blas.ok,
  fn: () => checkAgainstOneHot("cpu-blas"),
});

Deno.test("embedding grad: tied table (LM head shares it) gets both gradients summed (cpu, wasm)", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const V = 41, D = 8, N = 24;
    const ids = idsWithRepeats(N, V, 3);
    const table = tf.randomNormal([V, D], 0, 0.5, "float32", 8) as tf.Tensor2D;
    const up = tf.randomNormal([N, V], 0, 1, "float32", 9);
    const oneHot = new Float32Array(N * V); // (N, V): lookup as a matmul, stock gradients
    ids.forEach((id, n) => (oneHot[n * V + id] = 1));
    const head = (h: tf.Tensor, t: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(tf.tanh(h), t as tf.Tensor2D, false, true), up)); // (N, V) logits
    const mine = tf.grad((t: tf.Tensor) => head(embedTokens(t as tf.Tensor2D, ids), t))(table);
    const ref = tf.grad((t: tf.Tensor) => head(tf.matMul(tf.tensor2d(oneHot, [N, V]), t), t))(
      table,
    );
    const frozen = table.clone(); // made outside the tape: no gradient flows through the lookup
    const headOnly = tf.grad((t: tf.Tensor) => head(tf.gather(frozen, Array.from(ids)), t))(table);
    const [a, b, c] = await Promise.all([mine.data(), ref.data(), headOnly.data()]);
    // the lookup's segment sums (≤ N terms) plus the head's tanh(h)ᵀ·up over N rows and D-term logits
    assertAllClose(a, b, f32Tolerance(2 * N + D + 4, maxAbs(b)), `${backend} tied grad`);
    let lookupPart = 0;
    a.forEach((x, i) => (lookupPart = Math.max(lookupPart, Math.abs(x - c[i]))));
    assert(lookupPart > 1e-2, `${backend}: the lookup's gradient contributes (${lookupPart})`);
    tf.dispose([table, up, mine, ref, headOnly, frozen]);
  }
  await useBackend("cpu");
});

Deno.test("embedding grad: vocab 150k × d 64, N = 512 — without V×N scratch, timed (cpu, wasm)", async () => {
  const V = 150_000, D = 64, N = 512;
  const ids = idsWithRepeats(N, V, 21, 50);
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const table = tf.randomNormal([V, D], 0, 1, "float32", 1) as tf.Tensor2D;
    const up = tf.randomNormal([N, D], 0, 1, "float32", 2) as tf.Tensor2D;
    const times: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      const g = lookupGrad(table, ids, up, "auto");
      await g.data();
      times.push(performance.now() - t0);
      g.dispose();
    }
    const before = tf.memory().numBytes;
    const peak = (await tf.profile(() => lookupGrad(table, ids, up, "auto").dispose())).peakBytes -
      before;
    const median = times.sort((a, b) => a - b)[1];
    console.log(
      `${backend}: forward+backward median ${median.toFixed(0)} ms, peak extra ` +
        `${(peak / 2 ** 20).toFixed(1)} MiB (V×N floats would be ${
          (V * N * 4 / 2 ** 20).toFixed(0)
        })`,
    );
    assert(peak < 2 * V * D * 4, `${backend}: peak ${peak} B: more than the (V, D) gradient twice`);
    // spot-check the big case against a float64 JS reference on the touched rows
    const g = await lookupGrad(table, ids, up, "auto").data();
    const dy = await up.data();
    const want = new Float64Array(V * D);
    ids.forEach((id, n) => {
      for (let j = 0; j < D; j++) want[id * D + j] += dy[n * D + j];
    });
    const atol = segmentTolerance(dy, ids, V, D);
    for (const id of new Set(ids)) {
      const row = [id * D, (id + 1) * D];
      assertAllClose(
        g.slice(...row),
        want.slice(...row),
        { atol: atol.slice(...row) },
        `row ${id}`,
      );
    }
    tf.dispose([table, up]);
  }
  await useBackend("cpu");
});

const adapter = await (navigator as { gpu?: GPU }).gpu?.requestAdapter().catch(() => null);

Deno.test({
  name: adapter
    ? "embedding grad on webgpu (device sums) = cpu one-hot formulation"
    : "embedding grad on webgpu (skipped: no WebGPU adapter)",
  ignore: !adapter,
  fn: async () => {
    const V = 300, D = 12, N = 200;
    const ids = idsWithRepeats(N, V, 17);
    await useBackend("cpu");
    const tableData = await tf.randomNormal([V, D], 0, 1, "float32", 3).data();
    const upData = await tf.randomNormal([N, D], 0, 1, "float32", 4).data();
    const reference = await oneHotGrad(tf.tensor2d(upData, [N, D]), ids, V).data();
    await import("@tensorflow/tfjs-backend-webgpu");
    try {
      assert(await tf.setBackend("webgpu"), "tfjs webgpu backend starts");
      const table = tf.tensor2d(tableData, [V, D]);
      const up = tf.tensor2d(upData, [N, D]);
      const g = lookupGrad(table, ids, up, "auto");
      const atol = segmentTolerance(upData, ids, V, D);
      assertAllClose(await g.data(), reference, { atol }, "webgpu vs cpu");
      tf.dispose([table, up, g]);
    } finally {
      await useBackend("cpu");
      tf.removeBackend("webgpu");
    }
  },
});
