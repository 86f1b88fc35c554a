// forwardRows (logits of selected positions only) against the full forward gathered at those positions:
// logits, and the completion loss with its gradient for every weight, on cpu, wasm and cpu-blas.
// Tolerance: both paths run the same decoder on one backend but gather/sum in other orders, so they
// differ by float32 rounding of its chain (decoderChainLength, n·EPS32 scaled; tests/_assert.ts).
import {
  assert,
  assertAllClose,
  assertEquals,
  assertThrows,
  f32Tolerance,
  maxAbs,
} from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, useBackend } from "../../lib/model/backend.ts";
import { openBlasAvailable } from "../../lib/model/blas/openblas.ts";
import type { ModelConfig } from "../../lib/model/config.ts";
import { forward, forwardRows, fullLogitsPath } from "../../lib/model/decoder.ts";
import { lossRows, padBatch } from "../../lib/train/sft/loss.ts";
import { decoderLoss } from "../../lib/train/sft/train_step.ts";
import { decoderChainLength } from "./_fixtures.ts";
import { tinyModelConfig, tinyWeights } from "../_tiny_model.ts";
import { computePaths, setComputePaths } from "../../lib/model/compute_paths.ts";

const blas = openBlasAvailable();

/** A 2-layer toy decoder; `tied` shares the embedding as the LM head. */
function toyConfig(tied: boolean): ModelConfig {
  return tinyModelConfig({
    vocab_size: 61,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    tie_word_embeddings: tied,
  });
}

/** Seeded ids in [1, V): B rows of T. */
function toyIds(B: number, T: number, V: number, seed: number): number[][] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from(
    { length: B },
    () => Array.from({ length: T }, () => 1 + Math.floor(next() * (V - 1))),
  );
}

/** Rows (N, V) of a flat (N·V) array at `rows`. */
function gatherRows(flat: ArrayLike<number>, rows: Int32Array, V: number): Float32Array {
  const out = new Float32Array(rows.length * V);
  rows.forEach((r, m) => {
    for (let j = 0; j < V; j++) out[m * V + j] = flat[r * V + j];
  });
  return out;
}

/** Run `fn` with the full-logits path on ("1") or off ("0"), restoring the paths afterwards. */
function withFullLogits<T>(value: "0" | "1", fn: () => T): T {
  const before = computePaths().fullLogits;
  setComputePaths({ fullLogits: value === "1" });
  try {
    return fn();
  } finally {
    setComputePaths({ fullLogits: before });
  }
}

/** forwardRows = forward gathered; decoderLoss on selected rows = on every position (value and grads). */
async function checkParity(backend: BackendName): Promise<void> {
  await useBackend(backend);
  for (const tied of [true, false]) {
    const config = toyConfig(tied);
    const V = config.vocab_size;
    const weights = tinyWeights(config, tied ? 5 : 6);
    const inputIds = toyIds(3, 9, V, 17);
    const count = tf.memory().numTensors;

    // logits: rows in any order, with a repeat
    const rows = Int32Array.of(4, 0, 26, 13, 4, 9);
    const full = forward(weights, config, inputIds).logits; // (3, 9, V)
    const some = forwardRows(weights, config, inputIds, rows); // (6, V)
    assertEquals(some.shape, [rows.length, V]);
    const what = `${backend} tied=${tied}`;
    const chain = decoderChainLength(config, { S: 10, rows: 30 });
    const fullRows = gatherRows(await full.data(), rows, V);
    const logitsTol = f32Tolerance(chain.logits, maxAbs(fullRows));
    assertAllClose(await some.data(), fullRows, logitsTol, `${what} logits`);
    tf.dispose([full, some]);

    // completion loss and gradients: prompt 3..5 tokens, completions of different lengths, padding
    const examples = inputIds.map((row, b) => ({
      ids: row.slice(0, 10 - 2 * b),
      promptLength: 3 + b,
      where: `ex${b}`,
    }));
    const batch = padBatch(examples, 0);
    const sel = lossRows(batch);
    assert(
      sel.rows.length > 0 && sel.rows.length < batch.weights.length,
      "some rows carry no loss",
    );
    const params = Object.fromEntries(
      Object.entries(weights).map((
        [k, w],
      ) => [k, tf.variable(w, true, `lr_${backend}_${tied}_${k}`)]),
    );
    const names = Object.keys(params).sort();
    const lossAndGrads = async (flag: "0" | "1") => {
      const { value, grads } = withFullLogits(
        flag,
        () =>
          tf.variableGrads(() => decoderLoss(config)(params, batch), names.map((n) => params[n])),
      );
      const out = {
        loss: (await value.data())[0],
        grads: await Promise.all(names.map((n) => grads[params[n].name].data())),
      };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const selected = await lossAndGrads("0");
    const everywhere = await lossAndGrads("1");
    const lossTol = f32Tolerance(chain.grads, Math.abs(everywhere.loss));
    assertAllClose([selected.loss], [everywhere.loss], lossTol, `${what} loss`);
    names.forEach((n, i) => {
      const tol = f32Tolerance(chain.grads, maxAbs(everywhere.grads[i]));
      assertAllClose(selected.grads[i], everywhere.grads[i], tol, `${what} grad ${n}`);
      assert(everywhere.grads[i].some((x) => x !== 0), `${what}: ${n} gets a gradient`);
    });
    tf.dispose([...Object.values(params), ...Object.values(weights)]);
    assertEquals(tf.memory().numTensors, count - Object.keys(weights).length, `${what}: no leaks`);
  }
  await useBackend("cpu");
}

Deno.test("forwardRows: logits and completion loss/gradients equal the full path (cpu, wasm)", async () => {
  await checkParity("cpu");
  await checkParity("wasm");
});

Deno.test({
  name: `forwardRows: logits and completion loss/gradients equal the full path on cpu-blas${
    blas.ok ? "" : ` (skipped: ${blas.reason})`
  }`,
  ignore: !blas.ok,
  fn: () => checkParity("cpu-blas"),
});

Deno.test("forwardRows: rows outside B·T or none at all are refused; the full-logits path is read per call", async () => {
  await useBackend("cpu");
  const config = toyConfig(true);
  const weights = tinyWeights(config, 1);
  const ids = [[1, 2, 3], [4, 5, 6]];
  assertThrows(() => forwardRows(weights, config, ids, [6]), "rows[0] = 6", "2·3");
  assertThrows(() => forwardRows(weights, config, ids, [-1]), "rows[0] = -1");
  assertThrows(() => forwardRows(weights, config, ids, []), "at least one");
  assertThrows(() => forwardRows(weights, config, [[1, 2], [3]], [0]), "row 1 has 1 ids");
  assert(withFullLogits("1", fullLogitsPath) && !withFullLogits("0", fullLogitsPath));
  tf.dispose(Object.values(weights));
});
