// The update's pieces on tiny inputs: packSequences by hand, closedFormLoss's gradient = the closed form,
// training-forward log-probs = the generator's log-probs of the same tokens (alignment), rlStep tensor count.
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../../_assert.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { parseModelConfig, presetConfig } from "../../../lib/model/config.ts";
import { generate } from "../../../lib/model/generate/generate.ts";
import { initWeights } from "../../../lib/model/weights.ts";
import { adamwInit, disposeAdamW } from "../../../lib/train/optim/adamw.ts";
import { rlAlgoConfig } from "../../../lib/train/rl/algo_config.ts";
import { itemSegments } from "../../../lib/train/rl/item_segments.ts";
import { frozenLogprobs, packSequences } from "../../../lib/train/rl_loop/policy_logprobs.ts";
import { closedFormLoss, rlStep } from "../../../lib/train/rl_loop/rl_step.ts";
import type { RolloutBatch } from "../../../lib/train/rl_loop/rollouts.ts";

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
  assertEquals(p.pick[1 * 8 + 7], 1);
  assertEquals(p.pick[2 * 8 + 3], 1);
  assertEquals(p.pick[4 * 8 + 5], 1);
  assertEquals(p.pick.reduce((s, x) => s + x, 0), 3);
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
  const config = parseModelConfig({
    ...presetConfig("builtin-small"),
    vocab_size: 64,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
  });
  const weights = initWeights(config, { seed: 3 });
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
  completions.forEach((c, r) =>
    c.logprobs.forEach((lp, j) => assertAlmostEquals(logp[r * t + j], lp, 1e-4, `(${r},${j})`))
  );

  // one rlStep on these rollouts leaves the tensor count unchanged and moves the weights
  const params = Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, tf.variable(w)]));
  const optimizer = adamwInit(params);
  const hits = new Uint8Array(4 * 20);
  hits[0] = 1; // rollout 0 hits at rank 1 → non-zero advantages
  const newlines = new Int32Array(64);
  newlines[10] = 1;
  const batch = {
    dims,
    groupSize: 2,
    tokenIds,
    mask,
    scored: { hits },
    segments: itemSegments(tokenIds, mask, { dims, newlines, eosId: 63 }),
  } as unknown as RolloutBatch;
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
