// OpenBLAS sgemm through FFI against a plain-loop reference on odd sizes, all transpose combinations,
// alpha/beta and offset views; the kernels of elementwise.ts / transpose.ts against plain loops.
// Tolerances: float32's rounding bound of each computation (tests/_assert.ts), never a figure from one CPU.
import { assertAllClose, assertEquals, assertThrows, EPS32, f32SumTol } from "../../_assert.ts";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { broadcastBinary, softmaxRows, splitValues } from "../../../lib/model/blas/elementwise.ts";
import { transposeValues } from "../../../lib/model/blas/transpose.ts";
import { seededFloats } from "../../_seeded.ts";

const blasState = openBlasAvailable();
const skip = blasState.ok ? "" : ` (skipped: ${blasState.reason})`;

/**
 * C = alpha·op(A)·op(B) + beta·C0 by plain loops in float64, and each entry's float32 error bound:
 * sgemm rounds k products and sums, the alpha and beta products and the add, each within EPS32/2 of
 * |alpha|·Σ|a·b| + |beta·c0| (componentwise, Higham §3.5); f32SumTol(k + 3, that) doubles it for
 * kernels that fuse or reorder (FMA, blocked sums).
 */
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
): { want: Float32Array; atol: Float64Array } {
  const want = new Float32Array(d.m * d.n), atol = new Float64Array(d.m * d.n);
  for (let i = 0; i < d.m; i++) {
    for (let j = 0; j < d.n; j++) {
      let s = 0, abs = 0;
      for (let p = 0; p < d.k; p++) {
        const av = d.transA ? a[p * d.m + i] : a[i * d.k + p];
        const bv = d.transB ? b[j * d.k + p] : b[p * d.n + j];
        s += av * bv;
        abs += Math.abs(av * bv);
      }
      want[i * d.n + j] = d.alpha * s + d.beta * c0[i * d.n + j];
      atol[i * d.n + j] = f32SumTol(
        d.k + 3,
        Math.abs(d.alpha) * abs + Math.abs(d.beta * c0[i * d.n + j]),
      );
    }
  }
  return { want, atol };
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
            const a = seededFloats(m * k + 3, m + 1), b = seededFloats(k * n + 5, n + 2);
            const c0 = seededFloats(m * n, k + 3);
            const c = c0.slice();
            // offset views: the wrapper must pass the view's start, not its buffer's
            blas.sgemm(a.subarray(3), b.subarray(5), c, { m, n, k, transA, transB, alpha, beta });
            const { want, atol } = refGemm(a.subarray(3), b.subarray(5), c0, {
              m,
              n,
              k,
              transA,
              transB,
              alpha,
              beta,
            });
            assertAllClose(c, want, { atol }, `m=${m} n=${n} k=${k} tA=${transA} tB=${transB}`);
          }
        }
      }
      const c = Float32Array.of(9, 9);
      blas.sgemm(new Float32Array(0), new Float32Array(0), c, { m: 1, n: 2, k: 0 });
      assertEquals([...c], [0, 0]); // k = 0: C = beta·C with beta 0
      assertThrows(
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
  name:
    `openblas: the sgemm bound rejects a dropped product term and a 1e-3 error in one entry${skip}`,
  ignore: !blasState.ok,
  fn: () => {
    const blas = openBlas({ threads: 2 });
    try {
      const d = { m: 65, n: 129, k: 31, transA: false, transB: true, alpha: 1, beta: 0 };
      const a = seededFloats(d.m * d.k, 1),
        b = seededFloats(d.k * d.n, 2),
        c = new Float32Array(d.m * d.n);
      blas.sgemm(a, b, c, d);
      const { want, atol } = refGemm(a, b, c.slice().fill(0), d);
      assertAllClose(c, want, { atol }, "correct");
      // the loop stops one product early in row 7 (an off-by-one in the k loop of one tile)
      const short = c.slice();
      for (let j = 0; j < d.n; j++) {
        short[7 * d.n + j] -= a[7 * d.k + d.k - 1] * b[j * d.k + d.k - 1];
      }
      assertThrows(() => assertAllClose(short, want, { atol }, "dropped term"), "the bound");
      const off = c.slice();
      off[40 * d.n + 100] *= 1 + 1e-3; // an entry of typical size (|c| ~ 1)
      assertThrows(() => assertAllClose(off, want, { atol }, "1e-3 error"), "the bound");
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
    assertThrows(() => openBlas({ threads: 0 }), "threads=0", "positive integer");
  },
});

Deno.test("openblas: a missing library fails naming the apt package", () => {
  assertThrows(
    () => openBlas({ path: "/nonexistent/libopenblas.so.0" }),
    "/nonexistent/libopenblas.so.0",
    "apt-get install libopenblas0-pthread",
  );
});

Deno.test("transposeValues: every permutation of a (2, 3, 4, 5) array equals index arithmetic", () => {
  const shape = [2, 3, 4, 5], x = seededFloats(120, 7);
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
  assertThrows(() => transposeValues(x, shape, [0, 0, 1, 2]), "not a permutation");
});

Deno.test("broadcastBinary / softmaxRows / splitValues equal plain loops", () => {
  const a = seededFloats(3 * 1 * 5, 1), b = seededFloats(4 * 1, 2);
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
  assertThrows(() => broadcastBinary("add", a, [3, 5], b, [4]), "do not broadcast");
  const sm = softmaxRows(Float32Array.of(1, 2, 3, 1000, 1000, -1000), 3);
  const e = [Math.exp(-2), Math.exp(-1), 1], z = e[0] + e[1] + e[2];
  // two float32 roundings (the stored exp, the scaled result) and fastExp's 2e-8 bound, relative
  const softmaxTol = { atol: 0, rtol: EPS32 + 2e-8 };
  assertAllClose(sm, [e[0] / z, e[1] / z, e[2] / z, 0.5, 0.5, 0], softmaxTol, "softmax");
  const parts = splitValues(Float32Array.from({ length: 12 }, (_, i) => i), [2, 3, 2], {
    axis: 1,
    sizes: [1, 2],
  });
  assertEquals(parts.map((p) => [...p]), [[0, 1, 6, 7], [2, 3, 4, 5, 8, 9, 10, 11]]);
});
