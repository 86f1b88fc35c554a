// Item-level unlikelihood: negative candidates by hand (one-token items, shared prefixes, repeats, EOS),
// alignment with the loss rows, the closed-form gradient on cpu / wasm / cpu-blas, weight 0 = plain CE
// bit for bit, a tiny training run where α > 0 lowers the probability of repeating an item, and runSft's record.
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals } from "../../_assert.ts";
import { useBackend } from "../../../lib/model/backend.ts";
import { BLAS_BACKEND_NAME, registerBlasBackend } from "../../../lib/model/blas/blas_backend.ts";
import { openBlas, openBlasAvailable } from "../../../lib/model/blas/openblas.ts";
import { forwardRows } from "../../../lib/model/decoder.ts";
import { createPrng } from "../../../lib/data/prng.ts";
import { adamwInit, disposeAdamW } from "../../../lib/train/optim/adamw.ts";
import { readStepRows } from "../../../lib/train/run/metrics_log.ts";
import type { SftExample } from "../../../lib/train/sft/examples.ts";
import { lossRows, padBatch, weightedNll } from "../../../lib/train/sft/loss.ts";
import { decoderLoss, sftStep } from "../../../lib/train/sft/train_step.ts";
import { runSft } from "../../../lib/train/sft/trainer.ts";
import {
  batchNegatives,
  itemCloser,
  itemNegatives,
  unlikelihoodSum,
} from "../../../lib/train/sft/unlikelihood.ts";
import { smokeConfig, writeFixture } from "./fixture.ts";
import { tinyModelConfig, tinyVariables } from "../../_tiny_model.ts";

await tf.setBackend("cpu");

Deno.test("itemNegatives: one-token items (the token carries the newline), a repeat, EOS", () => {
  const closes = (id: number) => id >= 11; // 11 "A\n", 12 "B\n", 13 "C\n"; EOS 0
  assertEquals(itemNegatives([11, 12, 11, 13, 0], closes), [
    [], // first item: nothing listed yet
    [11], // B: A would repeat
    [12], // A again (the data repeats it): A is the target, so only B
    [11, 12],
    [11, 12, 13], // EOS: starting any listed item again
  ]);
});

Deno.test("itemNegatives: shared prefixes The Matrix / The Matrix Reloaded, both orders", () => {
  const [The, Matrix, Reloaded, Up, NL, EOS] = [1, 2, 3, 4, 9, 0];
  const closes = (id: number) => id === NL;
  assertEquals(
    itemNegatives([The, Matrix, NL, The, Matrix, Reloaded, NL, Up, NL, EOS], closes),
    [[], [], [], [], [], [NL], [], [The], [], [The, Up]],
  );
  // "The" and "Matrix" continue the copy but are the targets; "Reloaded" leaves it: NL was the copy
  assertEquals(
    itemNegatives([The, Matrix, Reloaded, NL, The, Matrix, NL, EOS], closes),
    [[], [], [], [], [], [], [Reloaded], [The]],
  );
});

Deno.test("itemNegatives: a whole repeated item gets no negatives; an unterminated last item before EOS", () => {
  const closes = (id: number) => id === 9;
  assertEquals(itemNegatives([1, 2, 9, 1, 2, 9, 0], closes), [[], [], [], [], [], [], [1]]);
  // "1 2\n" then "1" + EOS without a newline: at EOS, P = [1] matches, so 2 is the copy
  assertEquals(itemNegatives([1, 2, 9, 1, 0], closes), [[], [], [], [], [2]]);
  assertEquals(itemNegatives([], closes), []);
});

Deno.test("itemCloser: tokens whose text contains a newline", () => {
  const texts = ["<eos>", "The", ")\n", "\n", " Up", "a\nb"];
  const closes = itemCloser({ vocabSize: texts.length, decodeToken: (id) => texts[id] });
  assertEquals(texts.map((_, id) => closes(id)), [false, false, true, true, false, true]);
});

Deno.test("batchNegatives: aligned with lossRows across padded rows and prompts", () => {
  // prompt 7 7 | completion A \n B \n A(?) EOS  and  prompt 7 | A \n A \n EOS  (A=1, B=2, \n=9, EOS=0)
  const batch = padBatch([
    { ids: [7, 7, 1, 9, 2, 9, 0], promptLength: 2, where: "a" },
    { ids: [7, 1, 9, 1, 9, 0], promptLength: 1, where: "b" },
  ], 0);
  const sel = lossRows(batch);
  assertEquals([...sel.targets], [1, 9, 2, 9, 0, 1, 9, 1, 9, 0]);
  const neg = batchNegatives(batch, (id) => id === 9);
  assertEquals([...neg.rows], [2, 4, 9]); // B (A is a copy), EOS (A, B), second row's EOS (A)
  assertEquals(neg.candidates, [[1], [1, 2], [1]]);
  assertEquals([...neg.weights], [1, 1, 1]);
  neg.rows.forEach((m, r) => assert(!neg.candidates[r].includes(sel.targets[m])));
});

/** d/dlogits of Σ_r w_r Σ_c −log(1 − p_c): w_r Σ_c p_c/(1 − p_c)·(1[j = c] − p_j), and the value. */
function closedForm(
  logits: number[][],
  rows: number[],
  candidates: number[][],
  weights: number[],
): { value: number; grad: number[][] } {
  const grad = logits.map((row) => row.map(() => 0));
  let value = 0;
  rows.forEach((m, r) => {
    const z = logits[m];
    const mx = Math.max(...z);
    const e = z.map((x) => Math.exp(x - mx));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((x) => x / s);
    for (const c of candidates[r]) {
      value -= weights[r] * Math.log(1 - p[c]);
      const f = weights[r] * p[c] / (1 - p[c]);
      z.forEach((_, j) => (grad[m][j] += f * ((j === c ? 1 : 0) - p[j])));
    }
  });
  return { value, grad };
}

const blas = openBlasAvailable();
if (blas.ok) registerBlasBackend(openBlas({ threads: 1 }));

for (const backend of ["cpu", "wasm", BLAS_BACKEND_NAME] as const) {
  const skip = backend === BLAS_BACKEND_NAME && !blas.ok;
  Deno.test({
    name: `unlikelihoodSum: value and gradient equal the closed form on ${backend}` +
      (skip ? ` (skipped: ${blas.reason})` : ""),
    ignore: skip,
    fn: async () => {
      if (backend === BLAS_BACKEND_NAME) await tf.setBackend(BLAS_BACKEND_NAME);
      else await useBackend(backend);
      try {
        const prng = createPrng(11);
        const z = Array.from(
          { length: 4 },
          () => Array.from({ length: 5 }, () => 2 * prng.normal()),
        ); // (4, 5)
        z[1][3] = 6; // a candidate with p near 1
        const neg = {
          rows: Int32Array.from([0, 1, 3]),
          candidates: [[1, 3], [3], [0, 2, 4]],
          weights: Float32Array.from([1, 0.5, 2]),
        };
        const want = closedForm(z, [0, 1, 3], neg.candidates, [1, 0.5, 2]);
        const logits = tf.tensor2d(z);
        const { value, grads } = tf.valueAndGrads((x: tf.Tensor) =>
          unlikelihoodSum(x as tf.Tensor2D, neg)
        )([logits]);
        assertAlmostEquals(value.dataSync()[0], want.value, 1e-4 * Math.abs(want.value));
        const g = grads[0].arraySync() as number[][];
        g.forEach((row, m) =>
          row.forEach((x, j) => assertAlmostEquals(x, want.grad[m][j], 1e-4, `grad[${m}][${j}]`))
        );
        assertEquals(g[2], [0, 0, 0, 0, 0]); // a row without negatives gets no gradient
        tf.dispose([logits, value, ...grads]);
      } finally {
        await tf.setBackend("cpu");
      }
    },
  });
}

const tiny = tinyModelConfig({ vocab_size: 16 });
const NL = 3, EOS = 2, PROMPT = 1;
const ITEMS = [4, 5, 6, 7, 8];
const closesNl = (id: number) => id === NL;

/** Examples: prompt [1, 1], then 4 distinct one-token items of the 5 ITEMS, each followed by NL, then EOS. */
function listExamples(n: number, seed: number): SftExample[] {
  const prng = createPrng(seed);
  return Array.from({ length: n }, (_, k) => {
    const pool = [...ITEMS];
    const picked = Array.from({ length: 4 }, () => pool.splice(prng.int(pool.length), 1)[0]);
    return {
      ids: [PROMPT, PROMPT, ...picked.flatMap((i) => [i, NL]), EOS],
      promptLength: 2,
      where: `list ${k}`,
    };
  });
}

function variables(seed: number): Record<string, tf.Variable> {
  return tinyVariables(tiny, seed);
}

Deno.test("decoderLoss: weight 0 gives exactly the plain loss, gradients and step", async () => {
  const batch = padBatch(listExamples(3, 5), 0);
  const outcomes = [];
  for (
    const lossFn of [
      decoderLoss(tiny),
      decoderLoss(tiny, { unlikelihood: { weight: 0, closesItem: closesNl } }),
    ]
  ) {
    const params = variables(2);
    const names = Object.keys(params).sort();
    const { value, grads } = tf.variableGrads(
      () => lossFn(params, batch),
      names.map((n) => params[n]),
    );
    const g = names.map((n) => grads[params[n].name].dataSync().slice());
    const optimizer = adamwInit(params);
    const out = await sftStep(params, optimizer, [batch], { lossFn, lr: 0.01, maxGradNorm: 1 });
    outcomes.push({
      value: value.dataSync()[0],
      g,
      out,
      w: params["model.norm.weight"].dataSync().slice(),
    });
    tf.dispose([value, ...Object.values(grads)]);
    disposeAdamW(optimizer);
    tf.dispose(Object.values(params));
  }
  const [plain, zero] = outcomes;
  assertEquals(zero.value, plain.value);
  assertEquals(zero.g, plain.g);
  assertEquals(zero.out, plain.out);
  assertEquals(zero.out.terms, {});
  assertEquals(zero.w, plain.w);
});

Deno.test("decoderLoss: with weight α the loss is CE + α·UL and both terms are reported", async () => {
  const batch = padBatch(listExamples(3, 5), 0);
  const params = variables(2);
  const optimizer = adamwInit(params);
  const sel = lossRows(batch);
  const [ce, ul] = tf.tidy(() => {
    const logits = forwardRows(params, tiny, batch.inputIds, sel.rows); // (M, V)
    return [
      weightedNll(logits, sel.targets, sel.weights).dataSync()[0],
      unlikelihoodSum(logits, batchNegatives(batch, closesNl)).dataSync()[0],
    ];
  });
  assert(ul > 0, `UL ${ul}`);
  const lossFn = decoderLoss(tiny, { unlikelihood: { weight: 0.5, closesItem: closesNl } });
  const before = tf.memory().numTensors;
  const out = await sftStep(params, optimizer, [batch], { lossFn, lr: 0.01, maxGradNorm: 1 });
  assertEquals(tf.memory().numTensors, before, "reported terms are disposed");
  assertAlmostEquals(out.terms.ce_loss, ce / batch.lossTokens, 1e-5);
  assertAlmostEquals(out.terms.ul_loss, ul / batch.lossTokens, 1e-5);
  assertAlmostEquals(out.loss, out.terms.ce_loss + 0.5 * out.terms.ul_loss, 1e-5);
  disposeAdamW(optimizer);
  tf.dispose(Object.values(params));
});

/** Mean over held-out positions with negatives of Σ p(candidate): the probability of repeating an item. */
function repeatProbability(params: Record<string, tf.Variable>, examples: SftExample[]): number {
  const batch = padBatch(examples, 0);
  const sel = lossRows(batch);
  const neg = batchNegatives(batch, closesNl);
  return tf.tidy(() => {
    const p = tf.softmax(forwardRows(params, tiny, batch.inputIds, sel.rows))
      .arraySync() as number[][]; // (M, V)
    let sum = 0;
    neg.rows.forEach((m, r) => neg.candidates[r].forEach((c) => (sum += p[m][c])));
    return sum / neg.rows.length;
  });
}

Deno.test("tiny training run: α > 0 lowers the probability of repeating an earlier item vs α = 0", async () => {
  // measured on the trained lists themselves: the 1-layer, hidden-16 model does not learn held-out
  // suppression in a test's budget (α 1 vs 0 after 100 + 120 steps: 0.28 vs 0.29), and α 1 moves little
  // in 30 steps (0.281 vs 0.288); α 5 does (0.14 vs 0.29)
  const lists = listExamples(16, 1);
  const result: Record<string, number> = {};
  for (const alpha of [0, 5]) {
    const params = variables(7);
    const optimizer = adamwInit(params);
    const lossFn = decoderLoss(tiny, { unlikelihood: { weight: alpha, closesItem: closesNl } });
    const batch = padBatch(lists, 0);
    for (let step = 0; step < 30; step++) {
      await sftStep(params, optimizer, [batch], { lossFn, lr: 1e-2, maxGradNorm: 1 });
    }
    result[`alpha ${alpha}`] = repeatProbability(params, lists);
    disposeAdamW(optimizer);
    tf.dispose(Object.values(params));
  }
  console.log(`repeat probability on the trained lists after 30 steps: ${JSON.stringify(result)}`);
  assert(
    result["alpha 5"] < 0.8 * result["alpha 0"],
    `α=5 ${result["alpha 5"]} not clearly below α=0 ${result["alpha 0"]}`,
  );
});

Deno.test("runSft: unlikelihood_weight > 0 records ce_loss and ul_loss; loss = ce + α·ul", async () => {
  const f = await writeFixture();
  try {
    const cfg = smokeConfig(f, join(f.dir, "ul"), { max_steps: 2, unlikelihood_weight: 0.5 });
    await runSft(cfg, { log: () => {} });
    const train = (await readStepRows(join(cfg.run_dir, "metrics.jsonl"))).rows.filter((r) =>
      r.phase === "train"
    );
    assertEquals(train.length, 2);
    for (const r of train) {
      const [loss, ce, ul] = [r.loss, r.ce_loss, r.ul_loss] as number[];
      assert(ul > 0 && Number.isFinite(ul), `ul_loss ${ul}`);
      assertAlmostEquals(loss, ce + 0.5 * ul, 1e-4);
    }
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
