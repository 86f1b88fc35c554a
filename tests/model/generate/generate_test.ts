// generate: cached batched decoding equals uncached recomputation and single-prompt runs; seeding, greedy,
// top-p, log-probs, EOS, maxNewTokens, n samples, and a stable tfjs tensor count.
// Log-prob tolerance: cached and full passes differ by float32 rounding of the decoder's chain
// (decoderChainLength) on the logits, plus the V-term log-sum-exp (tests/_assert.ts).
import {
  assert,
  assertAllClose,
  assertEquals,
  type CloseTolerance,
  EPS32,
  f32SumTol,
  maxAbs,
} from "../../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../lib/model/backend.ts";
import { presetConfig } from "../../../lib/model/config.ts";
import { forward } from "../../../lib/model/decoder.ts";
import { disposeWeights, initWeights } from "../../../lib/model/weights.ts";
import {
  type Completion,
  decodeWeightTensors,
  disposeDecodeWeights,
  generate,
  prepareDecodeWeights,
} from "../../../lib/model/generate/mod.ts";
import { decoderChainLength } from "../_fixtures.ts";

const config = { ...presetConfig("builtin-small"), vocab_size: 96, num_hidden_layers: 2 };
const PROMPTS = [[1, 7, 42, 3, 19], [5, 33], [8, 40, 2, 2, 17, 60, 61, 11], [9]];

/** log_softmax of a full uncached forward over prompt ++ completion, at every completion position. */
async function recompute(
  weights: Record<string, tf.Tensor>,
  prompt: readonly number[],
  completion: readonly number[],
): Promise<
  { argmax: number[]; logprob: number[]; tempered: (T: number) => number[]; tol: CloseTolerance }
> {
  const ids = [...prompt, ...completion];
  const logits = forward(weights, config, [ids]).logits; // (1, T, V)
  const logp = tf.logSoftmax(logits);
  const [data, logitData] = [await logp.data(), await logits.data()];
  tf.dispose([logits, logp]);
  const V = config.vocab_size, argmax: number[] = [], logprob: number[] = [];
  const rowAt = (j: number) => data.subarray((prompt.length - 1 + j) * V, (prompt.length + j) * V);
  // log softmax(logits / T)[token]: log_softmax is shift-invariant, so log p / T gives the same result
  const tempered = (T: number) =>
    completion.map((tok, j) => {
      const scaled = Array.from(rowAt(j), (x) => x / T);
      const m = Math.max(...scaled);
      return scaled[tok] - m - Math.log(scaled.reduce((s, x) => s + Math.exp(x - m), 0));
    });
  completion.forEach((tok, j) => {
    const row = rowAt(j);
    let best = 0;
    for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
    argmax.push(best);
    logprob.push(row[tok]);
  });
  // the logits' chain error (absolute, scaled to max|logit|) passes into log p unchanged; the V-term
  // log-sum-exp and the subtraction round at the size of log p itself
  const n = decoderChainLength(config, { S: ids.length, rows: ids.length }).logits;
  const tol = {
    atol: f32SumTol(n, maxAbs(logitData)) + f32SumTol(config.vocab_size + 4, maxAbs(logprob)),
    rtol: 4 * EPS32,
  };
  return { argmax, logprob, tempered, tol };
}

const tokens = (cs: Completion[]) => cs.map((c) => c.tokenIds);

for (const [backend, engine] of [["cpu", "tfjs"], ["wasm", "tfjs"], ["cpu", "arrays"]] as const) {
  Deno.test(`generate (${backend}, ${engine}): greedy batch = uncached recomputation = each prompt alone`, async () => {
    await useBackend(backend);
    const weights = initWeights(config, { seed: 3 });
    const opts = { maxNewTokens: 12, temperature: 0, eosIds: [], engine };
    const { completions, timing } = await generate({ weights, config }, PROMPTS, opts);
    assertEquals(completions.length, PROMPTS.length);
    assertEquals(timing.newTokens, 12 * PROMPTS.length);
    for (const [p, c] of completions.entries()) {
      assertEquals(c.promptIndex, p);
      assertEquals(c.finishReason, "length");
      const ref = await recompute(weights, PROMPTS[p], c.tokenIds);
      assertEquals(c.tokenIds, ref.argmax, `prompt ${p}: cached greedy tokens`);
      assertAllClose(c.logprobs, ref.logprob, ref.tol, `prompt ${p} logprobs`);
      assertEquals(c.samplingLogprobs.every((x) => x === 0), true);
      const alone = await generate({ weights, config }, [PROMPTS[p]], opts);
      assertEquals(alone.completions[0].tokenIds, c.tokenIds, `prompt ${p} alone`);
    }
    disposeWeights(weights);
    await useBackend("cpu");
  });
}

Deno.test("generate: sampled log-probs equal log_softmax of a full recomputation", async () => {
  await useBackend("cpu");
  const weights = initWeights(config, { seed: 4 });
  const { completions } = await generate({ weights, config }, PROMPTS.slice(0, 3), {
    maxNewTokens: 10,
    temperature: 0.7,
    n: 2,
    seed: 11,
    eosIds: [],
  });
  for (const c of completions) {
    const ref = await recompute(weights, PROMPTS[c.promptIndex], c.tokenIds);
    const what = `prompt ${c.promptIndex} sample ${c.sampleIndex}`;
    assertAllClose(c.logprobs, ref.logprob, ref.tol, what);
    // logits / 0.7: the logits' error grows by 1/0.7 (< 2)
    const temperedTol = { atol: 2 * (ref.tol.atol as number), rtol: ref.tol.rtol };
    assertAllClose(c.samplingLogprobs, ref.tempered(0.7), temperedTol, `sampling logprobs ${what}`);
    assert(
      c.samplingLogprobs.some((q, j) => Math.abs(q - c.logprobs[j]) > 1e-3),
      "T=0.7 changed nothing",
    );
  }
  disposeWeights(weights);
});

Deno.test("generate: the array engine = the tfjs engine (sampled, n > 1, EOS drops rows mid-batch)", async () => {
  await useBackend("cpu");
  const weights = initWeights(config, { seed: 9 });
  const dw = prepareDecodeWeights(weights, config);
  const opts = { maxNewTokens: 14, temperature: 1, n: 3, seed: 4, eosIds: [5, 17, 30, 61] };
  const [t, a] = [
    await generate(dw, PROMPTS, { ...opts, engine: "tfjs" }),
    await generate(dw, PROMPTS, { ...opts, engine: "arrays" }),
  ];
  assertEquals(tokens(a.completions), tokens(t.completions));
  assert(
    t.completions.some((c) => c.finishReason === "eos"),
    "no row stopped early: EOS ids too rare",
  );
  assert(t.completions.some((c) => c.finishReason === "length"), "every row stopped early");
  const n = decoderChainLength(config, { S: 8 + 14, rows: 1 }).logits;
  for (const [i, c] of a.completions.entries()) {
    const want = t.completions[i].logprobs;
    // both engines round the decoder chain (n terms) at the logits' scale, which |log p| + log V bounds
    const scale = maxAbs(want) + Math.log(config.vocab_size);
    const tol = { atol: 2 * f32SumTol(n, scale) + f32SumTol(config.vocab_size + 4, maxAbs(want)) };
    assertAllClose(c.logprobs, want, tol, `completion ${i}`);
  }
  disposeDecodeWeights(dw);
  disposeWeights(weights);
});

Deno.test("generate: seeding — same seed same output, other seed differs, T=0 ignores the seed", async () => {
  await useBackend("cpu");
  const weights = initWeights(config, { seed: 5 });
  const dw = prepareDecodeWeights(weights, config);
  const run = (seed: number, temperature: number, topP = 1) =>
    generate(dw, PROMPTS, { maxNewTokens: 10, temperature, topP, seed, n: 2, eosIds: [] })
      .then((r) => tokens(r.completions));
  const a = await run(1, 1), b = await run(1, 1), c = await run(2, 1);
  assertEquals(a, b);
  assert(JSON.stringify(a) !== JSON.stringify(c), "seeds 1 and 2 gave identical samples");
  // the n samples of one prompt differ from each other (own sub-streams)
  assert(JSON.stringify(a[0]) !== JSON.stringify(a[1]), "two samples of prompt 0 are identical");
  const g1 = await run(1, 0), g2 = await run(99, 0);
  assertEquals(g1, g2);
  assertEquals(g1[0], g1[1]); // greedy: every sample of a prompt is the same
  assertEquals(await run(123, 1, 1e-6), g1); // top-p → 0 keeps only the argmax
  // a row's samples do not depend on what else is in the batch
  const solo = await generate(dw, [PROMPTS[2]], {
    promptKeys: [2],
    maxNewTokens: 10,
    temperature: 1,
    seed: 1,
    n: 2,
    eosIds: [],
  });
  assertEquals(tokens(solo.completions), a.slice(4, 6), "prompt 2 alone");
  disposeDecodeWeights(dw);
  disposeWeights(weights);
});

Deno.test("generate: EOS stops only its row, maxNewTokens caps the others", async () => {
  await useBackend("cpu");
  const weights = initWeights(config, { seed: 6 });
  const free = await generate({ weights, config }, PROMPTS, {
    maxNewTokens: 9,
    temperature: 1,
    seed: 3,
    eosIds: [],
  });
  const first = free.completions[1].tokenIds;
  const eosId = first[4]; // make the 5th token of prompt 1 an end-of-sequence token
  const stopped = await generate({ weights, config }, PROMPTS, {
    maxNewTokens: 9,
    temperature: 1,
    seed: 3,
    eosIds: [eosId],
  });
  for (const [p, c] of stopped.completions.entries()) {
    const want = free.completions[p].tokenIds;
    const cut = want.indexOf(eosId);
    const expect = cut < 0 ? want : want.slice(0, cut + 1);
    assertEquals(c.tokenIds, expect, `prompt ${p}`);
    assertEquals(c.finishReason, cut < 0 ? "length" : "eos");
    assertEquals(c.logprobs.length, c.tokenIds.length);
    assert(c.tokenIds.length <= 9);
  }
  assertEquals(stopped.completions[1].tokenIds.length <= 5, true);
  const none = await generate({ weights, config }, PROMPTS, { maxNewTokens: 0 });
  assertEquals(tokens(none.completions), PROMPTS.map(() => []));
  disposeWeights(weights);
});

Deno.test("memory: tensor count is unchanged by generate calls (plain, n > 1, early EOS)", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const weights = initWeights(config, { seed: 7 });
    const dw = prepareDecodeWeights(weights, config);
    const once = async () => {
      await generate({ weights, config }, PROMPTS, { maxNewTokens: 6, temperature: 0 });
      await generate(dw, PROMPTS, { maxNewTokens: 6, n: 3, seed: 2, eosIds: [1, 2, 3, 4, 5] });
    };
    await once(); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await once();
    assertEquals(tf.memory().numTensors, before, backend);
    disposeDecodeWeights(dw);
    assertEquals(tf.memory().numTensors, before - decodeWeightTensors(dw).length);
    disposeWeights(weights);
  }
  await useBackend("cpu");
});

Deno.test("generate: rejects bad options naming the field", async () => {
  await useBackend("cpu");
  const weights = initWeights(config, { seed: 8 });
  const dw = prepareDecodeWeights(weights, config);
  const bad = async (opts: Parameters<typeof generate>[2], prompts = PROMPTS, part = "") => {
    let msg = "";
    await generate(dw, prompts, opts).catch((e: Error) => (msg = e.message));
    assert(msg.includes(part), `expected an error with "${part}", got "${msg}"`);
  };
  await bad({ maxNewTokens: 2, temperature: -1 }, PROMPTS, "temperature");
  await bad({ maxNewTokens: 2, topP: 0 }, PROMPTS, "topP");
  await bad({ maxNewTokens: 2, n: 0 }, PROMPTS, "n: expected");
  await bad({ maxNewTokens: 2 }, [[1], []], "prompts[1]");
  await bad({ maxNewTokens: 2000 }, PROMPTS, "max_position_embeddings");
  await bad({ maxNewTokens: 2 }, [[1, 500]], "inputIds[0][1]");
  disposeDecodeWeights(dw);
  disposeWeights(weights);
});
