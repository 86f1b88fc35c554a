// Parity of the fused cpu-blas layer ops (causal attention core, RMSNorm, SwiGLU gate, RoPE), the fast Sum
// kernel, strided sgemm and the polynomial exp with the stock tfjs cpu compositions / Math.exp.
import { ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { BLAS_BACKEND_NAME, registerBlasBackend } from "../../../lib/model/blas/blas_backend.ts";
import { fastExp } from "../../../lib/model/blas/fast_exp.ts";
import { fusedCausalAttention } from "../../../lib/model/blas/fused_causal_attention.ts";
import { fusedRmsNorm } from "../../../lib/model/blas/fused_rmsnorm.ts";
import { fusedRope } from "../../../lib/model/blas/fused_rope.ts";
import { fusedSiluMul } from "../../../lib/model/blas/fused_swiglu.ts";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { causalMask } from "../../../lib/model/attention.ts";

const blasState = openBlasAvailable();
const skip = blasState.ok ? "" : ` (skipped: ${blasState.reason})`;
if (blasState.ok) registerBlasBackend(openBlas({ threads: 2 }));

/** Seeded values in [-1, 1) (LCG). */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Assert |a − b| ≤ tol·(|b| + 1e-2·max|b|) elementwise (relative, with a floor for tiny entries). */
function assertRelClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  ok(a.length === b.length, `${what}: length ${a.length} != ${b.length}`);
  let maxAbs = 0;
  for (let i = 0; i < b.length; i++) maxAbs = Math.max(maxAbs, Math.abs(b[i]));
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + 1e-2 * maxAbs + 1e-30);
    if (Number.isNaN(d) || d > worst) [worst, at] = [Number.isNaN(d) ? Infinity : d, i];
  }
  ok(
    worst <= tol,
    `${what}: worst relative diff ${worst} > ${tol} at ${at} (${a[at]} vs ${b[at]})`,
  );
}

/**
 * Value and input gradients of sum(f(...xs)·up) for inputs built from `data` on `backend`
 * (values copied out, tensors disposed).
 */
async function valueAndGrads(
  backend: string,
  data: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = data.map((d) => tf.tensor(d.values, d.shape));
    const y = f(...xs);
    const up = tf.tensor(seeded(y.size, 99), y.shape);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), up)))(xs);
    return [y, ...grads].map((t) => new Float32Array(t.dataSync()));
  });
}

Deno.test("fastExp matches Math.exp to 1e-8 relative and its special cases exactly", () => {
  let worst = 0;
  for (let i = 0; i <= 200_000; i++) {
    const x = -745 + (1454 * i) / 200_000, want = Math.exp(x);
    if (want > 1e-300 && Number.isFinite(want)) {
      worst = Math.max(worst, Math.abs(fastExp(x) - want) / want);
    }
  }
  ok(worst < 2e-8, `worst relative error ${worst}`);
  for (const x of [-Infinity, Infinity, NaN, -800, 800, 709.79, -745.2, 0, -0]) {
    ok(
      Object.is(fastExp(x), Math.exp(x)),
      `fastExp(${x}) = ${fastExp(x)}, Math.exp ${Math.exp(x)}`,
    );
  }
  ok(fastExp(709.7) > 1e308 && Number.isFinite(fastExp(709.7)), "largest finite range");
  ok(fastExp(-740) > 0 && Math.abs(fastExp(-740) / Math.exp(-740) - 1) < 1e-6, "subnormal range");
});

Deno.test({
  name: `openblas: sgemm with row strides (lda/ldb/ldc) equals a plain loop${skip}`,
  ignore: !blasState.ok,
  fn: () => {
    const blas = openBlas({ threads: 1 });
    const m = 3, n = 4, k = 5, lda = 7, ldb = 6, ldc = 9;
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = seeded(((transA ? k : m) - 1) * lda + (transA ? m : k), 1);
      const b = seeded(((transB ? n : k) - 1) * ldb + (transB ? k : n), 2);
      const c = seeded((m - 1) * ldc + n, 3), want = c.slice();
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) {
            s += (transA ? a[p * lda + i] : a[i * lda + p]) *
              (transB ? b[j * ldb + p] : b[p * ldb + j]);
          }
          want[i * ldc + j] = 0.5 * s + 2 * c[i * ldc + j];
        }
      }
      blas.sgemm(a, b, c, { m, n, k, transA, transB, lda, ldb, ldc, alpha: 0.5, beta: 2 });
      assertRelClose(c, want, 1e-5, `transA=${transA} transB=${transB}`);
    }
    blas.close();
  },
});

Deno.test({
  name: `fusedCausalAttention equals matMul/softmax(+mask)/matMul on cpu, with gradients${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    // several query blocks (block 3 < T), cached keys, grouped heads, a partial last block
    for (
      const [B, nkv, g, T, past, hd, block, seed] of [
        [2, 2, 2, 7, 0, 4, 3, 1],
        [1, 1, 3, 5, 4, 6, 2, 2],
        [2, 1, 1, 1, 6, 4, 64, 3],
        [1, 2, 2, 70, 0, 8, 64, 4],
      ]
    ) {
      const S = past + T, scale = 1 / Math.sqrt(hd);
      const data = [
        {
          values: seeded(B * nkv * g * T * hd, seed).map((x) => 3 * x),
          shape: [B, nkv, g * T, hd],
        },
        { values: seeded(B * nkv * S * hd, seed + 1).map((x) => 3 * x), shape: [B, nkv, S, hd] },
        { values: seeded(B * nkv * S * hd, seed + 2), shape: [B, nkv, S, hd] },
      ];
      const want = await valueAndGrads("cpu", data, (q, k, v) =>
        tf.matMul(
          tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), causalMask(past, T, g))),
          v,
        ));
      const got = await valueAndGrads(
        BLAS_BACKEND_NAME,
        data,
        (q, k, v) =>
          fusedCausalAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, {
            T,
            past,
            scale,
            block,
          }),
      );
      ["ctx", "dq", "dk", "dv"].forEach((w, i) =>
        assertRelClose(got[i], want[i], 5e-5, `B=${B} g=${g} T=${T} past=${past} ${w}`)
      );
    }
  },
});

Deno.test({
  name: `fusedCausalAttention rejects k/v that do not fit the layout${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    await tf.setBackend(BLAS_BACKEND_NAME);
    const q = tf.zeros([1, 1, 4, 2]) as tf.Tensor4D, k = tf.zeros([1, 1, 3, 2]) as tf.Tensor4D;
    let msg = "";
    try {
      fusedCausalAttention(q, k, k, { T: 4, past: 0, scale: 1 });
    } catch (e) {
      msg = (e as Error).message;
    }
    ok(msg.includes("fused_causal_attention.ts"), `expected a layout error, got "${msg}"`);
    tf.dispose([q, k]);
  },
});

Deno.test("fusedRmsNorm equals x·rsqrt(mean(x²) + eps)·w with gradients (x and w)", async () => {
  for (const [rows, D, eps, seed] of [[5, 7, 1e-6, 1], [3, 128, 1e-5, 2], [1, 1, 0.1, 3]]) {
    const data = [
      { values: seeded(rows * D, seed).map((x) => 4 * x), shape: [rows, D] },
      { values: seeded(D, seed + 1).map((x) => 1 + x), shape: [D] },
    ];
    const want = await valueAndGrads(
      "cpu",
      data,
      (x, w) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w),
    );
    const got = await valueAndGrads("cpu", data, (x, w) => fusedRmsNorm(x, w, eps));
    ["y", "dx", "dw"].forEach((w, i) =>
      assertRelClose(got[i], want[i], 1e-5, `rows=${rows} D=${D} ${w}`)
    );
  }
});

Deno.test("fusedSiluMul equals gate·sigmoid(gate)·up with gradients, incl. saturated gates", async () => {
  const n = 3 * 11;
  const gate = seeded(n, 5).map((x, i) => (i === 0 ? -120 : i === 1 ? 95 : 9 * x));
  const data = [{ values: gate, shape: [3, 11] }, { values: seeded(n, 6), shape: [3, 11] }];
  const want = await valueAndGrads("cpu", data, (g, u) => tf.mul(tf.mul(g, tf.sigmoid(g)), u));
  const got = await valueAndGrads("cpu", data, (g, u) => fusedSiluMul(g, u));
  ["h", "dgate", "dup"].forEach((w, i) => assertRelClose(got[i], want[i], 1e-5, w));
});

Deno.test("fusedRope equals x·cos + rotate_half(x)·sin with its gradient", async () => {
  const [B, H, T, hd] = [2, 3, 4, 6];
  const cos = tf.tensor4d(seeded(B * T * hd, 7), [B, 1, T, hd]);
  const sin = tf.tensor4d(seeded(B * T * hd, 8), [B, 1, T, hd]);
  const data = [{ values: seeded(B * H * T * hd, 9), shape: [B, H, T, hd] }];
  const want = await valueAndGrads("cpu", data, (x) => {
    const [x1, x2] = tf.split(x, 2, 3);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
  });
  const got = await valueAndGrads("cpu", data, (x) => fusedRope(x as tf.Tensor4D, cos, sin));
  ["y", "dx"].forEach((w, i) => assertRelClose(got[i], want[i], 1e-6, w));
  tf.dispose([cos, sin]);
});

Deno.test({
  name: `cpu-blas Sum kernel equals stock cpu over leading, trailing and other axes${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    const shape = [3, 4, 5], x = seeded(60, 11);
    for (const axis of [[0], [0, 1], [2], [1, 2], [1], [0, 2], [0, 1, 2]]) {
      for (const keepDims of [false, true]) {
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          return tf.tidy(() => {
            const y = tf.sum(tf.tensor3d(x, shape as [number, number, number]), axis, keepDims);
            return { shape: y.shape.join(","), values: new Float32Array(y.dataSync()) };
          });
        };
        const want = await run("cpu"), got = await run(BLAS_BACKEND_NAME);
        ok(got.shape === want.shape, `axis [${axis}] keepDims=${keepDims}: shape ${got.shape}`);
        assertRelClose(got.values, want.values, 1e-6, `axis [${axis}] keepDims=${keepDims}`);
      }
    }
  },
});

Deno.test({
  name: `cpu-blas GatherV2 rows equal stock cpu (2D, 3D, 2D indices)${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    for (
      const [shape, idx, idxShape] of [
        [[5, 3], [4, 0, 4, 2], [4]],
        [[4, 2, 3], [3, 1], [2]],
        [[6, 2], [5, 0, 1, 1, 2, 3], [2, 3]],
      ] as [number[], number[], number[]][]
    ) {
      const size = shape.reduce((p, d) => p * d, 1);
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const y = tf.gather(
            tf.tensor(seeded(size, 12), shape),
            tf.tensor(idx, idxShape, "int32"),
          );
          return { shape: y.shape.join(","), values: Array.from(y.dataSync()) };
        });
      };
      const want = await run("cpu"), got = await run(BLAS_BACKEND_NAME);
      ok(got.shape === want.shape, `[${shape}] gather shape ${got.shape} vs ${want.shape}`);
      ok(got.values.every((v, i) => v === want.values[i]), `[${shape}] gather values`);
    }
  },
});
