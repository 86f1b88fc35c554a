// OpenBLAS sgemm through FFI against a plain-loop reference on odd sizes, all transpose combinations,
// alpha/beta and offset views; the kernels of elementwise.ts / transpose.ts against plain loops.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { broadcastBinary, softmaxRows, splitValues } from "../../../lib/model/blas/elementwise.ts";
import { transposeValues } from "../../../lib/model/blas/transpose.ts";
import { assertClose, assertThrowsWith } from "../test_utils.ts";

const blasState = openBlasAvailable();
const skip = blasState.ok ? "" : ` (skipped: ${blasState.reason})`;

/** Seeded values in [-1, 1) (LCG, so tests need no global randomness). */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** C = alpha·op(A)·op(B) + beta·C0 by plain loops in float64. */
function refGemm(
  a: Float32Array,
  b: Float32Array,
  c0: Float32Array,
  d: {
    m: number;
    n: number;
    k: number;
    transA: boolean;
    transB: boolean;
    alpha: number;
    beta: number;
  },
): Float32Array {
  const out = new Float32Array(d.m * d.n);
  for (let i = 0; i < d.m; i++) {
    for (let j = 0; j < d.n; j++) {
      let s = 0;
      for (let p = 0; p < d.k; p++) {
        const av = d.transA ? a[p * d.m + i] : a[i * d.k + p];
        const bv = d.transB ? b[j * d.k + p] : b[p * d.n + j];
        s += av * bv;
      }
      out[i * d.n + j] = d.alpha * s + d.beta * c0[i * d.n + j];
    }
  }
  return out;
}

Deno.test({
  name:
    `openblas: sgemm equals a plain loop on odd sizes, every transpose, alpha/beta, views${skip}`,
  ignore: !blasState.ok,
  fn: () => {
    const blas = openBlas({ threads: 2 });
    try {
      for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 1, 33], [65, 129, 31], [2, 300, 1]]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const alpha = transA ? 0.5 : 1, beta = transB ? 0.25 : 0;
            const a = seeded(m * k + 3, m + 1), b = seeded(k * n + 5, n + 2);
            const c0 = seeded(m * n, k + 3);
            const c = c0.slice();
            // offset views: the wrapper must pass the view's start, not its buffer's
            blas.sgemm(a.subarray(3), b.subarray(5), c, { m, n, k, transA, transB, alpha, beta });
            const want = refGemm(a.subarray(3), b.subarray(5), c0, {
              m,
              n,
              k,
              transA,
              transB,
              alpha,
              beta,
            });
            assertClose(c, want, 1e-5 * k + 1e-6, `m=${m} n=${n} k=${k} tA=${transA} tB=${transB}`);
          }
        }
      }
      const c = Float32Array.of(9, 9);
      blas.sgemm(new Float32Array(0), new Float32Array(0), c, { m: 1, n: 2, k: 0 });
      assertEquals([...c], [0, 0]); // k = 0: C = beta·C with beta 0
      assertThrowsWith(
        () => blas.sgemm(new Float32Array(5), new Float32Array(6), c, { m: 2, n: 3, k: 3 }),
        "openblas.ts",
        "A ≥ 6",
      );
    } finally {
      blas.close();
    }
  },
});

Deno.test({
  name: `openblas: threads option is applied and bad values are rejected${skip}`,
  ignore: !blasState.ok,
  fn: () => {
    const one = openBlas({ threads: 1 });
    assertEquals(one.threads, 1);
    one.close();
    assertThrowsWith(() => openBlas({ threads: 0 }), "threads=0", "positive integer");
  },
});

Deno.test("openblas: a missing library fails naming the apt package", () => {
  assertThrowsWith(
    () => openBlas({ path: "/nonexistent/libopenblas.so.0" }),
    "/nonexistent/libopenblas.so.0",
    "apt-get install libopenblas0-pthread",
  );
});

Deno.test("transposeValues: every permutation of a (2, 3, 4, 5) array equals index arithmetic", () => {
  const shape = [2, 3, 4, 5], x = seeded(120, 7);
  const perms = [[0, 1, 2, 3], [0, 2, 1, 3], [3, 2, 1, 0], [1, 0, 3, 2], [2, 3, 0, 1], [
    0,
    1,
    3,
    2,
  ]];
  const flat = (c: number[], s: number[]) => ((c[0] * s[1] + c[1]) * s[2] + c[2]) * s[3] + c[3];
  for (const perm of perms) {
    const os = perm.map((p) => shape[p]); // output shape
    const want = new Float32Array(120);
    for (let i = 0; i < 120; i++) {
      const o = [Math.floor(i / (os[1] * os[2] * os[3])), 0, 0, 0]; // output coordinates
      o[1] = Math.floor(i / (os[2] * os[3])) % os[1];
      o[2] = Math.floor(i / os[3]) % os[2];
      o[3] = i % os[3];
      const src = [0, 0, 0, 0];
      perm.forEach((p, d) => (src[p] = o[d])); // output dim d is input dim perm[d]
      want[i] = x[flat(src, shape)];
    }
    assertEquals([...transposeValues(x, shape, perm)], [...want], `perm ${perm}`);
  }
  assertEquals([...transposeValues(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], [1, 0])], [
    1,
    4,
    2,
    5,
    3,
    6,
  ]);
  assertThrowsWith(() => transposeValues(x, shape, [0, 0, 1, 2]), "not a permutation");
});

Deno.test("broadcastBinary / softmaxRows / splitValues equal plain loops", () => {
  const a = seeded(3 * 1 * 5, 1), b = seeded(4 * 1, 2);
  const { shape, values } = broadcastBinary("sub", a, [3, 1, 5], b, [4, 1]); // (3, 4, 5)
  assertEquals(shape, [3, 4, 5]);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) {
      for (let k = 0; k < 5; k++) {
        assertEquals(values[(i * 4 + j) * 5 + k], Math.fround(a[i * 5 + k] - b[j]));
      }
    }
  }
  assertEquals([
    ...broadcastBinary("div", Float32Array.of(6), [], Float32Array.of(2, 3), [2]).values,
  ], [
    3,
    2,
  ]);
  assertThrowsWith(() => broadcastBinary("add", a, [3, 5], b, [4]), "do not broadcast");
  const sm = softmaxRows(Float32Array.of(1, 2, 3, 1000, 1000, -1000), 3);
  const e = [Math.exp(-2), Math.exp(-1), 1], z = e[0] + e[1] + e[2];
  assertClose(sm, [e[0] / z, e[1] / z, e[2] / z, 0.5, 0.5, 0], 1e-7, "softmax");
  const parts = splitValues(Float32Array.from({ length: 12 }, (_, i) => i), [2, 3, 2], {
    axis: 1,
    sizes: [1, 2],
  });
  assertEquals(parts.map((p) => [...p]), [[0, 1, 6, 7], [2, 3, 4, 5, 8, 9, 10, 11]]);
});
