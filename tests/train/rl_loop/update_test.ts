// The update's pieces on tiny inputs: packSequences by hand, closedFormLoss's gradient = the closed form,
// training-forward log-probs = the generator's log-probs of the same tokens (alignment), rlStep tensor count,
// completion-row logits = all-position logits (log-probs, entropies, gradients; cpu, wasm, cpu-blas).
// Parity tolerances: float32 rounding of the decoder's chain (decoderChainLength, n·EPS32; tests/_assert.ts).
import * as tf from "@tensorflow/tfjs";
import { type BackendName, useBackend } from "../../../lib/model/backend.ts";
import { openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { generate } from "../../../lib/model/generate/generate.ts";
import { adamwInit, disposeAdamW } from "../../../lib/train/optim/adamw.ts";
import { rlAlgoConfig } from "../../../lib/train/rl/algo_config.ts";
import {
  completionLogprobs,
  frozenLogprobs,
  packSequences,
  pickedLogSoftmax,
  toCompletionLayout,
} from "../../../lib/train/rl_loop/policy_logprobs.ts";
import { closedFormLoss } from "../../../lib/train/rl_loop/cpu_objective.ts";
import { rlStep } from "../../../lib/train/rl_loop/rl_step.ts";
import {
  assert,
  assertAllClose,
  assertAlmostEquals,
  assertClose,
  assertEquals,
  f32SumTol,
  f32Tolerance,
  maxAbs,
} from "../../_assert.ts";
import { decoderChainLength } from "../../model/_fixtures.ts";
import { handScoredBatch } from "./fixture.ts";
import { tinyModelConfig, tinyWeights } from "../../_tiny_model.ts";
import { resetComputePaths, setComputePaths } from "../../../lib/model/compute_paths.ts";

Deno.test("packSequences: rows = prompt ++ completion[:-1], right-padded; positions by hand", () => {
  // 1 prompt [1, 2], G = 2 completions [7, 3] and [5] (padded)
  const p = packSequences([[1, 2]], {
    tokenIds: Int32Array.of(7, 3, 5, 0),
    mask: Uint8Array.of(1, 1, 1, 0),
    dims: { b: 2, t: 2 },
    groupSize: 2,
  }, { padId: 0, vocabSize: 8 });
  assertEquals(p.length, 3);
  assertEquals(p.inputIds, [[1, 2, 7], [1, 2, 0]]);
  assertEquals(Array.from(p.positions), [1, 2, 4, -1]); // row 0: positions 1,2; row 1: 3 + 1
  assertEquals(Array.from(p.rows), [1, 2, 4]); // the logit rows needed, in (B, T) order
  assertEquals(Array.from(p.targets), [7, 3, 5]);
  assertEquals(Array.from(p.rowOf), [0, 1, 2, -1]);
});

Deno.test("closedFormLoss: value and gradient are the given closed form, scattered to positions", async () => {
  await useBackend("wasm");
  const x = tf.tensor1d([0.5, -1, 2, 7]); // (B·L) = 4; completion (B, T) = (1, 2) at positions 2, 0
  const positions = Int32Array.of(2, 0);
  const g = tf.grad((t: tf.Tensor) =>
    closedFormLoss(t as tf.Tensor1D, positions, (lp) => {
      assertEquals(Array.from(lp), [2, 0.5]);
      return {
        loss: 3 * lp[0] - lp[1],
        grad: Float64Array.of(3, -1),
        stats: {} as never,
      };
    })
  )(x);
  assertEquals(Array.from(g.dataSync()), [-1, 0, 3, 0]);
  tf.dispose([x, g]);
});

Deno.test("training-forward log-probs equal the generator's log-probs of the sampled tokens", async () => {
  await useBackend("wasm");
  const config = tinyModelConfig({ vocab_size: 64, hidden_size: 32, intermediate_size: 64 });
  const weights = tinyWeights(config, 3);
  const prompts = [[1, 5, 9], [2, 7]];
  const { completions } = await generate({ weights, config }, prompts, {
    maxNewTokens: 6,
    temperature: 1,
    n: 2,
    seed: 11,
    eosIds: [63],
  });
  const t = Math.max(...completions.map((c) => c.tokenIds.length));
  const tokenIds = new Int32Array(4 * t), mask = new Uint8Array(4 * t);
  completions.forEach((c, r) =>
    c.tokenIds.forEach((id, j) => {
      tokenIds[r * t + j] = id;
      mask[r * t + j] = 1;
    })
  );
  const dims = { b: 4, t };
  const packed = packSequences(prompts, { tokenIds, mask, dims, groupSize: 2 }, {
    padId: 0,
    vocabSize: 64,
  });
  const logp = await frozenLogprobs(weights, config, packed);
  // cached decoding vs one full forward: the chain's rounding on the logits plus the V-term
  // log-sum-exp, at the size of log p (|log p| ≤ ~log V for this near-uniform initial model)
  const chain = decoderChainLength(config, { S: 3 + t, rows: 4 * (3 + t) }).logits;
  completions.forEach((c, r) =>
    c.logprobs.forEach((lp, j) => {
      const tol = f32SumTol(chain + config.vocab_size + 4, Math.max(1, Math.abs(lp)));
      assertAlmostEquals(logp[r * t + j], lp, tol, `(${r},${j})`);
    })
  );

  // one rlStep on these rollouts leaves the tensor count unchanged and moves the weights
  const params = Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, tf.variable(w)]));
  const optimizer = adamwInit(params);
  const hits = new Uint8Array(4 * 20);
  hits[0] = 1; // rollout 0 hits at rank 1 → non-zero advantages
  const batch = handScoredBatch(tokenIds, mask, dims, hits);
  const before = tf.memory().numTensors;
  const w0 = Array.from(params["model.norm.weight"].dataSync());
  for (let i = 0; i < 2; i++) {
    const out = await rlStep(params, config, { optimizer, batch, packed, refLogp: logp }, {
      algo: rlAlgoConfig({ algo: "rank-grpo" }),
      lr: 1e-2,
      beta1: 0.9,
      beta2: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1,
    });
    assert(Number.isFinite(out.loss) && out.gradNorms[0] > 0, `step ${i}: ${out.loss}`);
    assertEquals(tf.memory().numTensors, before, `tensor count after rlStep ${i + 1}`);
  }
  assert(
    Array.from(params["model.norm.weight"].dataSync()).some((v, i) => v !== w0[i]),
    "weights moved",
  );
  disposeAdamW(optimizer);
  tf.dispose([...Object.values(params), ...Object.values(weights)]);
});

const blas = openBlasAvailable();

/** Completion-row log-probs/entropies and the update's gradients = the all-positions path on `backend`. */
async function checkRowsParity(backend: BackendName): Promise<void> {
  await useBackend(backend);
  const config = tinyModelConfig({
    vocab_size: 48,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
  });
  const weights = tinyWeights(config, 9);
  const params = Object.fromEntries(
    Object.entries(weights).map(([k, w]) => [k, tf.variable(w, true, `rows_${backend}_${k}`)]),
  );
  const names = Object.keys(params).sort();
  // 2 prompts × G = 2 completions of lengths 4, 2, 3, 1 (T = 4)
  const dims = { b: 4, t: 4 };
  const tokenIds = Int32Array.of(5, 9, 11, 3, 7, 7, 0, 0, 40, 2, 1, 0, 30, 0, 0, 0);
  const mask = Uint8Array.of(1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0);
  const packed = packSequences([[1, 4, 6], [2, 8, 10, 12, 14]], {
    tokenIds,
    mask,
    dims,
    groupSize: 2,
  }, { padId: 0, vocabSize: 48 });
  const gradWeights = Float64Array.from({ length: 16 }, (_, i) => (i % 5) - 2); // dLoss/dlogπ (B, T)
  const run = (flag: "0" | "1") => {
    setComputePaths({ fullLogits: flag === "1" });
    let logp: Float64Array = new Float64Array(0), entropy: Float64Array = new Float64Array(0);
    const { value, grads } = tf.variableGrads(() => {
      const out = completionLogprobs(params, config, packed);
      entropy = toCompletionLayout(out.entropy!.dataSync(), out.index);
      return closedFormLoss(out.logp, out.index, (lp) => {
        logp = lp.slice();
        let loss = 0;
        lp.forEach((x, i) => (loss += gradWeights[i] * x * mask[i]));
        return { loss, grad: gradWeights.map((g, i) => g * mask[i]), stats: {} as never };
      });
    }, names.map((n) => params[n]));
    const g = names.map((n) => grads[params[n].name].dataSync().slice());
    tf.dispose([value, ...Object.values(grads)]);
    return { logp, entropy, g };
  };
  try {
    const before = tf.memory().numTensors;
    const rows = run("0"), full = run("1");
    assertEquals(tf.memory().numTensors, before, `${backend}: no leaks`);
    // the same decoder over other row sets: its chain (S ≤ 9 positions, 4 rows) plus the V-term
    // log-softmax/entropy, at the size of the values
    const chain = decoderChainLength(config, { S: 9, rows: 36 });
    const n = chain.logits + config.vocab_size + 4;
    assertAllClose(rows.logp, full.logp, f32Tolerance(n, maxAbs(full.logp)), `${backend} logp`);
    const entropyTol = f32Tolerance(n, maxAbs(full.entropy));
    assertAllClose(rows.entropy, full.entropy, entropyTol, `${backend} entropy`);
    assert(rows.logp.some((x, i) => mask[i] !== 0 && x < 0), "real log-probs");
    names.forEach((n, i) => {
      const tol = f32Tolerance(chain.grads, maxAbs(full.g[i]));
      assertAllClose(rows.g[i], full.g[i], tol, `${backend} grad ${n}`);
      assert(full.g[i].some((x) => x !== 0), `${backend}: ${n} gets a gradient`);
    });
    setComputePaths({ fullLogits: false });
    const frozen = await frozenLogprobs(weights, config, packed);
    assertAllClose(
      frozen,
      rows.logp,
      f32Tolerance(n, maxAbs(rows.logp)),
      `${backend} frozenLogprobs`,
    );
  } finally {
    resetComputePaths();
    tf.dispose([...Object.values(params), ...Object.values(weights)]);
  }
}

Deno.test("completionLogprobs on completion rows only = on all positions: log-probs, entropies, gradients (cpu, wasm)", async () => {
  await checkRowsParity("cpu");
  await checkRowsParity("wasm");
});

Deno.test({
  name: `completionLogprobs on completion rows only = on all positions on cpu-blas${
    blas.ok ? "" : ` (skipped: ${blas.reason})`
  }`,
  ignore: !blas.ok,
  fn: () => checkRowsParity("cpu-blas"),
});

Deno.test("pickedLogSoftmax: log-prob and entropy by hand; gradient dy₀·(pick − softmax), entropy column ignored", async () => {
  await useBackend("cpu");
  const x = tf.tensor2d([[0, 0, 0, 0], [Math.log(2), 0, 0, Math.log(3)]]); // (2, 4)
  const pick = Float32Array.of(0, 1, 0, 0, 0, 0, 0, 1); // token 1, then token 3
  const out = pickedLogSoftmax(x, pick, { entropy: true });
  const p1 = [2 / 7, 1 / 7, 1 / 7, 3 / 7];
  const h1 = -p1.reduce((s, p) => s + p * Math.log(p), 0);
  // float32 values of size ≤ 1.4 against float64 hand values: a few roundings (≤ 1e-6 absolute)
  assertClose(await out.data(), [-Math.log(4), Math.log(4), Math.log(3 / 7), h1], 1e-6, "values");
  const up = tf.tensor2d([[2, 100], [-1, 100]]); // the entropy column's upstream gradient is ignored
  const g = tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(pickedLogSoftmax(t as tf.Tensor2D, pick, { entropy: true }), up))
  )(x);
  const want = [
    ...[0, 1, 0, 0].map((o) => 2 * (o - 0.25)),
    ...[0, 0, 0, 1].map((o, j) => -1 * (o - p1[j])),
  ];
  assertClose(await g.data(), want, 1e-6, "gradient");
  tf.dispose([x, out, up, g]);
});
