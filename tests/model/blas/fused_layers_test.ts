// Parity of the fused cpu-blas layer ops (causal attention core, RMSNorm, SwiGLU gate, RoPE), the fast Sum
// kernel, strided sgemm and the polynomial exp with the stock tfjs cpu compositions / Math.exp.
// Tolerances are float32 error bounds of each computation (tests/_assert.ts: n·EPS32 per accumulation
// length n, scaled to the values' magnitude), not figures seen on one CPU: OpenBLAS picks a different
// kernel per CPU (tests/bench/openblas_coretypes.sh runs these under each). Each family also shows that
// its bound still rejects a real bug.
import {
  assert,
  assertAllClose,
  assertThrows,
  type CloseTolerance,
  EPS32,
  f32SumTol,
  f32Tolerance,
  maxAbs,
} from "../../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { BLAS_BACKEND_NAME, registerBlasBackend } from "../../../lib/model/blas/blas_backend.ts";
import { fastExp } from "../../../lib/model/blas/fast_exp.ts";
import { fusedCausalAttention } from "../../../lib/model/blas/fused_causal_attention.ts";
import { fusedRmsNorm } from "../../../lib/model/blas/fused_rmsnorm.ts";
import { fusedRope } from "../../../lib/model/blas/fused_rope.ts";
import { fusedSiluMul } from "../../../lib/model/blas/fused_swiglu.ts";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { causalMask } from "../../../lib/model/attention.ts";
import { seededFloats } from "../../_seeded.ts";

const blasState = openBlasAvailable();
const skip = blasState.ok ? "" : ` (skipped: ${blasState.reason})`;
if (blasState.ok) registerBlasBackend(openBlas({ threads: 2 }));

/** `xs` with element `at` (default: the largest |x|) scaled by 1 + rel: a bug the bound must catch. */
function perturbed(xs: ArrayLike<number>, rel: number, at = -1): Float32Array {
  const out = Float32Array.from(xs);
  const m = maxAbs(out), i = at >= 0 ? at : out.findIndex((x) => Math.abs(x) === m);
  out[i] *= 1 + rel;
  return out;
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
    const up = tf.tensor(seededFloats(y.size, 99), y.shape);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), up)))(xs);
    return [y, ...grads].map((t) => new Float32Array(t.dataSync()));
  });
}

/** The worst |f(x) − Math.exp(x)| / Math.exp(x) over 200,001 points of [−745, 709] (normal results). */
function worstExpError(f: (x: number) => number): number {
  let worst = 0;
  for (let i = 0; i <= 200_000; i++) {
    const x = -745 + (1454 * i) / 200_000, want = Math.exp(x);
    if (want > 1e-300 && Number.isFinite(want)) {
      worst = Math.max(worst, Math.abs(f(x) - want) / want);
    }
  }
  return worst;
}

/**
 * fastExp's bound: after range reduction |r| ≤ ln2/2, the degree-7 Taylor polynomial leaves
 * (ln2/2)^8/8! ≈ 5.1e-9 relative; Horner in float64 and the exact 2^k add ~1e-15. 2e-8 is that bound with
 * room for the reduction's rounding, and still 3× below float32's half-ulp (EPS32/2 ≈ 6e-8), so the
 * fused kernels' results stay float32-exact. A degree-6 polynomial (one term dropped) errs by
 * (ln2/2)^7/7! ≈ 1.2e-7 and must fail it.
 */
const FAST_EXP_REL = 2e-8;

Deno.test("fastExp matches Math.exp to its polynomial bound and its special cases exactly", () => {
  assert(FAST_EXP_REL < EPS32 / 2, "the bound is below float32 rounding");
  const worst = worstExpError(fastExp);
  assert(worst < FAST_EXP_REL, `worst relative error ${worst}`);
  for (const x of [-Infinity, Infinity, NaN, -800, 800, 709.79, -745.2, 0, -0]) {
    assert(
      Object.is(fastExp(x), Math.exp(x)),
      `fastExp(${x}) = ${fastExp(x)}, Math.exp ${Math.exp(x)}`,
    );
  }
  assert(fastExp(709.7) > 1e308 && Number.isFinite(fastExp(709.7)), "largest finite range");
  assert(
    fastExp(-740) > 0 && Math.abs(fastExp(-740) / Math.exp(-740) - 1) < 1e-6,
    "subnormal range",
  );
});

Deno.test("fastExp's bound rejects a degree-6 polynomial (the r^7 term dropped)", () => {
  // fastExp's algorithm with one Taylor term fewer (normal range only)
  const degree6 = (x: number) => {
    const k = Math.floor(x * Math.LOG2E + 0.5), r = x - k * Math.LN2;
    return (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r / 720)))))) *
      2 ** k;
  };
  const worst = worstExpError(degree6);
  assert(worst > 2 * FAST_EXP_REL, `degree 6 errs by ${worst}, the bound is ${FAST_EXP_REL}`);
});

Deno.test({
  name: `openblas: sgemm with row strides (lda/ldb/ldc) equals a plain loop${skip}`,
  ignore: !blasState.ok,
  fn: () => {
    const blas = openBlas({ threads: 1 });
    const m = 3, n = 4, k = 5, lda = 7, ldb = 6, ldc = 9;
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = seededFloats(((transA ? k : m) - 1) * lda + (transA ? m : k), 1);
      const b = seededFloats(((transB ? n : k) - 1) * ldb + (transB ? k : n), 2);
      const c = seededFloats((m - 1) * ldc + n, 3), want = c.slice();
      // componentwise float32 bound (k products + alpha, beta, the add: k + 3 roundings) on
      // |alpha|·Σ|a·b| + |beta|·|c| of each entry; 0 on the entries between rows, which sgemm must not touch
      const atol = new Float64Array(want.length);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0, abs = 0;
          for (let p = 0; p < k; p++) {
            const ab = (transA ? a[p * lda + i] : a[i * lda + p]) *
              (transB ? b[j * ldb + p] : b[p * ldb + j]);
            s += ab;
            abs += Math.abs(ab);
          }
          want[i * ldc + j] = 0.5 * s + 2 * c[i * ldc + j];
          atol[i * ldc + j] = f32SumTol(k + 3, 0.5 * abs + 2 * Math.abs(c[i * ldc + j]));
        }
      }
      blas.sgemm(a, b, c, { m, n, k, transA, transB, lda, ldb, ldc, alpha: 0.5, beta: 2 });
      assertAllClose(c, want, { atol }, `transA=${transA} transB=${transB}`);
    }
    blas.close();
  },
});

/** One attention case: batch, KV heads, query groups, new positions, cached positions, head dim. */
interface AttentionCase {
  B: number;
  nkv: number;
  g: number;
  T: number;
  past: number;
  hd: number;
}

/** Seeded q (B, nkv, g·T, hd), k, v (B, nkv, S, hd): q and k in [−3, 3), v in [−1, 1). */
function attentionInputs(c: AttentionCase, seed: number) {
  const S = c.past + c.T;
  return [
    {
      values: seededFloats(c.B * c.nkv * c.g * c.T * c.hd, seed).map((x) => 3 * x),
      shape: [c.B, c.nkv, c.g * c.T, c.hd],
    },
    {
      values: seededFloats(c.B * c.nkv * S * c.hd, seed + 1).map((x) => 3 * x),
      shape: [c.B, c.nkv, S, c.hd],
    },
    { values: seededFloats(c.B * c.nkv * S * c.hd, seed + 2), shape: [c.B, c.nkv, S, c.hd] },
  ];
}

/** ctx, dq, dk, dv of the stock composition softmax(scale·q·kᵀ + mask)·v on tfjs cpu. */
function stockAttention(
  c: AttentionCase,
  data: { values: Float32Array; shape: number[] }[],
  mask: () => tf.Tensor = () => causalMask(c.past, c.T, c.g),
): Promise<Float32Array[]> {
  const scale = 1 / Math.sqrt(c.hd);
  return valueAndGrads(
    "cpu",
    data,
    (q, k, v) =>
      tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask())), v),
  );
}

/**
 * Bounds of ctx, dq, dk, dv (first-order float32 error propagation; both sides round, in different
 * orders): the scores scale·q·kᵀ are hd-term dots whose |terms| add to ≤ σ = scale·max(|q|·|k|ᵀ), so they
 * differ by ≤ hd·EPS32·σ, which exp turns into ≤ 2·hd·EPS32·σ relative in the probabilities (numerator
 * and normaliser); then the S-term softmax sum and the products over S keys (ctx, dq) or R = g·T rows
 * (dk, dv), and the hd-term dP = dctx·vᵀ. One length n = 2·hd·σ + hd + 2S + R covers every output, scaled
 * to each array's magnitude (f32Tolerance).
 */
function attentionTolerances(
  c: AttentionCase,
  data: { values: Float32Array }[],
  want: Float32Array[],
): CloseTolerance[] {
  const S = c.past + c.T, R = c.g * c.T, [q, k] = [data[0].values, data[1].values];
  let sigma = 0;
  for (let o = 0; o < c.B * c.nkv; o++) {
    for (let r = 0; r < R; r++) {
      for (let j = 0; j < S; j++) {
        let abs = 0;
        for (let d = 0; d < c.hd; d++) {
          abs += Math.abs(q[(o * R + r) * c.hd + d] * k[(o * S + j) * c.hd + d]);
        }
        sigma = Math.max(sigma, abs / Math.sqrt(c.hd));
      }
    }
  }
  const n = 2 * c.hd * sigma + c.hd + 2 * S + R;
  return want.map((w) => f32Tolerance(n, maxAbs(w)));
}

/** The fused op's ctx, dq, dk, dv with query blocks of `block` rows. */
function fusedAttention(
  c: AttentionCase,
  data: { values: Float32Array; shape: number[] }[],
  block: number,
): Promise<Float32Array[]> {
  const { T, past } = c, scale = 1 / Math.sqrt(c.hd);
  return valueAndGrads(
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
}

/** The largest attention case: 70 positions, two query groups, blocks of 64 (a partial second block). */
const LONG: AttentionCase = { B: 1, nkv: 2, g: 2, T: 70, past: 0, hd: 8 };

Deno.test({
  name: `fusedCausalAttention equals matMul/softmax(+mask)/matMul on cpu, with gradients${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    // several query blocks (block 3 < T), cached keys, grouped heads, a partial last block
    for (
      const [c, block, seed] of [
        [{ B: 2, nkv: 2, g: 2, T: 7, past: 0, hd: 4 }, 3, 1],
        [{ B: 1, nkv: 1, g: 3, T: 5, past: 4, hd: 6 }, 2, 2],
        [{ B: 2, nkv: 1, g: 1, T: 1, past: 6, hd: 4 }, 64, 3],
        [LONG, 64, 4],
      ] as [AttentionCase, number, number][]
    ) {
      const data = attentionInputs(c, seed);
      const want = await stockAttention(c, data);
      const got = await fusedAttention(c, data, block);
      const tol = attentionTolerances(c, data, want);
      ["ctx", "dq", "dk", "dv"].forEach((w, i) =>
        assertAllClose(got[i], want[i], tol[i], `B=${c.B} g=${c.g} T=${c.T} past=${c.past} ${w}`)
      );
    }
  },
});

Deno.test({
  name:
    `fusedCausalAttention's bounds reject a leaked mask element, an off-by-one mask and a 1e-3 error${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    const c = LONG, S = c.past + c.T, data = attentionInputs(c, 4);
    const got = await fusedAttention(c, data, 64);
    const tol = attentionTolerances(c, data, await stockAttention(c, data));
    // position 40 of group 1 also sees key 41 (one mask element dropped)
    const leak = await stockAttention(c, data, () => {
      const m = causalMask(c.past, c.T, c.g).arraySync();
      m[c.T + 40][41] = 0;
      return tf.tensor2d(m);
    });
    assertThrows(() => assertAllClose(got[0], leak[0], tol[0], "leaked key: ctx"), "the bound");
    assertThrows(() => assertAllClose(got[2], leak[2], tol[2], "leaked key: dk"), "the bound");
    // every position sees one key ahead (past + t + 1 instead of past + t)
    const ahead = await stockAttention(
      c,
      data,
      () => causalMask(c.past + 1, c.T, c.g).slice([0, 0], [c.g * c.T, S]),
    );
    ["ctx", "dq", "dk", "dv"].forEach((w, i) =>
      assertThrows(() => assertAllClose(got[i], ahead[i], tol[i], `off by one: ${w}`), "the bound")
    );
    // one output off by 1e-3 relative (the largest of each array)
    ["ctx", "dq", "dk", "dv"].forEach((w, i) =>
      assertThrows(
        () => assertAllClose(perturbed(got[i], 1e-3), got[i], tol[i], `1e-3 error: ${w}`),
        "the bound",
      )
    );
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
    assert(msg.includes("fused_causal_attention.ts"), `expected a layout error, got "${msg}"`);
    tf.dispose([q, k]);
  },
});

Deno.test("fusedRmsNorm equals x·rsqrt(mean(x²) + eps)·w with gradients (x and w)", async () => {
  for (const [rows, D, eps, seed] of [[5, 7, 1e-6, 1], [3, 128, 1e-5, 2], [1, 1, 0.1, 3]]) {
    const data = [
      { values: seededFloats(rows * D, seed).map((x) => 4 * x), shape: [rows, D] },
      { values: seededFloats(D, seed + 1).map((x) => 1 + x), shape: [D] },
    ];
    const want = await valueAndGrads(
      "cpu",
      data,
      (x, w) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w),
    );
    const got = await valueAndGrads("cpu", data, (x, w) => fusedRmsNorm(x, w, eps));
    // y: the D-term mean of squares and a few roundings; dx also sums the D terms of x·w·dy and dw
    // sums over the rows: n = 2D + rows + 8 covers all three. dx = r·w·dy − r³·x·mean(x·w·dy) (r the
    // row's rsqrt) can cancel far below its terms, so its absolute part is scaled to those (|dy| ≤ 1)
    const n = 2 * D + rows + 8, [x, w] = [data[0].values, data[1].values];
    let dxTerms = 0;
    for (let b = 0; b < rows; b++) {
      const row = x.subarray(b * D, (b + 1) * D);
      const r = 1 / Math.sqrt(row.reduce((a, v) => a + v * v, 0) / D + eps);
      const xw = row.reduce((a, v, i) => a + Math.abs(v * w[i]), 0) / D;
      row.forEach((
        v,
        i,
      ) => (dxTerms = Math.max(dxTerms, r * Math.abs(w[i]) + r ** 3 * Math.abs(v) * xw)));
    }
    const scales = [maxAbs(want[0]), Math.max(dxTerms, maxAbs(want[1])), maxAbs(want[2])];
    ["y", "dx", "dw"].forEach((what, i) =>
      assertAllClose(got[i], want[i], f32Tolerance(n, scales[i]), `rows=${rows} D=${D} ${what}`)
    );
  }
});

Deno.test("fusedSiluMul equals gate·sigmoid(gate)·up with gradients, incl. saturated gates", async () => {
  const n = 3 * 11;
  const gate = seededFloats(n, 5).map((x, i) => (i === 0 ? -120 : i === 1 ? 95 : 9 * x));
  const data = [{ values: gate, shape: [3, 11] }, { values: seededFloats(n, 6), shape: [3, 11] }];
  const want = await valueAndGrads("cpu", data, (g, u) => tf.mul(tf.mul(g, tf.sigmoid(g)), u));
  const got = await valueAndGrads("cpu", data, (g, u) => fusedSiluMul(g, u));
  // elementwise: no accumulation, ~8 float32 roundings (exp, 1 + e, the divide, the products; the
  // gradient g·σ(1 − σ) + σ may cancel near g ≈ −1.28, hence the absolute part)
  ["h", "dgate", "dup"].forEach((w, i) =>
    assertAllClose(got[i], want[i], f32Tolerance(8, maxAbs(want[i])), w)
  );
});

Deno.test("fusedRope equals x·cos + rotate_half(x)·sin with its gradient", async () => {
  const [B, H, T, hd] = [2, 3, 4, 6];
  const cos = tf.tensor4d(seededFloats(B * T * hd, 7), [B, 1, T, hd]);
  const sin = tf.tensor4d(seededFloats(B * T * hd, 8), [B, 1, T, hd]);
  const data = [{ values: seededFloats(B * H * T * hd, 9), shape: [B, H, T, hd] }];
  const want = await valueAndGrads("cpu", data, (x) => {
    const [x1, x2] = tf.split(x, 2, 3);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
  });
  const got = await valueAndGrads("cpu", data, (x) => fusedRope(x as tf.Tensor4D, cos, sin));
  // elementwise: x·cos + rotate_half(x)·sin is two products and one add (3 roundings; the add can
  // cancel, so the absolute part is scaled to the largest |term| ≤ 2·max|x|)
  ["y", "dx"].forEach((w, i) => assertAllClose(got[i], want[i], f32Tolerance(3, 2), w));
  tf.dispose([cos, sin]);
});

Deno.test({
  name: `cpu-blas Sum kernel equals stock cpu over leading, trailing and other axes${skip}`,
  ignore: !blasState.ok,
  fn: async () => {
    const shape = [3, 4, 5], x = seededFloats(60, 11);
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
        assert(got.shape === want.shape, `axis [${axis}] keepDims=${keepDims}: shape ${got.shape}`);
        // sums of at most 60 terms in [−1, 1): n·EPS32 of the summed magnitude (≤ n)
        const n = 60 / got.values.length;
        assertAllClose(
          got.values,
          want.values,
          { atol: f32SumTol(n, n) },
          `axis [${axis}] keepDims=${keepDims}`,
        );
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
            tf.tensor(seededFloats(size, 12), shape),
            tf.tensor(idx, idxShape, "int32"),
          );
          return { shape: y.shape.join(","), values: Array.from(y.dataSync()) };
        });
      };
      const want = await run("cpu"), got = await run(BLAS_BACKEND_NAME);
      assert(got.shape === want.shape, `[${shape}] gather shape ${got.shape} vs ${want.shape}`);
      assert(got.values.every((v, i) => v === want.values[i]), `[${shape}] gather values`);
    }
  },
});
