// Backend parity (wasm, and webgpu when an adapter exists, vs cpu) and differentiability of the decoder,
// incl. the embedding gradient that tf.gather cannot provide on wasm.
// Tolerances: two float32 evaluations of the decoder differ by ≤ n·EPS32 for its accumulation length n
// (decoderChainLength), scaled to each array's magnitude (tests/_assert.ts); never a figure from one CPU.
import {
  assert,
  assertAllClose,
  assertClose,
  f32SumTol,
  f32Tolerance,
  maxAbs,
} from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { gpuAvailable } from "../../lib/gpu/device.ts";
import { type BackendName, useBackend } from "../../lib/model/backend.ts";
import { forward } from "../../lib/model/decoder.ts";
import { embedTokens } from "../../lib/model/embedding.ts";
import { linear, PLAIN_MATMUL_MIN_ROWS } from "../../lib/model/linear.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import { type ModelConfig, readModelConfig } from "../../lib/model/config.ts";
import { type DecoderWeights, disposeWeights } from "../../lib/model/weights.ts";
import { decoderChainLength } from "./_fixtures.ts";

const FIXTURES = new URL("../fixtures/model/", import.meta.url).pathname;
const IDS = [[1, 7, 42, 3, 19, 0, 47], [5, 5, 33, 12, 8, 40, 2]];

/** The decoder's accumulation lengths on IDS (logits: 7 positions; loss: 6 positions × 2 rows). */
async function chainOf(name: string): Promise<{ logits: number; grads: number }> {
  const config = await readModelConfig(`${FIXTURES}${name}/config.json`);
  return decoderChainLength(config, { S: IDS[0].length, rows: IDS.length * IDS[0].length });
}

/** Next-token cross-entropy over IDS (targets = ids shifted by one; one-hot built in JS). */
function lossOf(weights: DecoderWeights, config: ModelConfig): tf.Scalar {
  const T = IDS[0].length - 1, V = config.vocab_size;
  const inputs = IDS.map((r) => r.slice(0, T));
  const target = new Float32Array(IDS.length * T * V);
  IDS.forEach((r, b) => r.slice(1).forEach((id, t) => (target[(b * T + t) * V + id] = 1)));
  const { logits } = forward(weights, config, inputs); // (B, T, V)
  const logp = tf.logSoftmax(logits); // (B, T, V)
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.tensor3d(target, [IDS.length, T, V])), -1)));
}

/** Gradients of lossOf w.r.t. every weight, as plain arrays keyed by tensor name. */
async function gradients(dir: string): Promise<Record<string, Float32Array>> {
  const { config, weights } = await loadCheckpoint(dir);
  const names = Object.keys(weights);
  const f = (...ts: tf.Tensor[]) =>
    lossOf(Object.fromEntries(names.map((n, i) => [n, ts[i]])), config);
  const grads = tf.grads(f)(names.map((n) => weights[n]));
  const out: Record<string, Float32Array> = {};
  for (let i = 0; i < names.length; i++) out[names[i]] = new Float32Array(await grads[i].data());
  grads.forEach((g) => g.dispose());
  disposeWeights(weights);
  return out;
}

async function logitsOn(backend: BackendName, name: string): Promise<Float32Array> {
  await useBackend(backend);
  const { config, weights } = await loadCheckpoint(`${FIXTURES}${name}`);
  const { logits } = forward(weights, config, IDS);
  const data = new Float32Array(await logits.data());
  logits.dispose();
  disposeWeights(weights);
  return data;
}

Deno.test("embedding: custom gradient equals tf.gather's stock gradient (cpu)", async () => {
  await useBackend("cpu");
  const table = tf.randomNormal([6, 3], 0, 1, "float32", 3) as tf.Tensor2D;
  const ids = Int32Array.from([4, 1, 4, 0]);
  const up = tf.randomNormal([4, 3], 0, 1, "float32", 4);
  const mine = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embedTokens(t as tf.Tensor2D, ids), up)))(
    table,
  );
  const stock = tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, "int32")), up))
  )(table);
  // id 4 twice: one float32 add of values ~N(0, 1) per entry
  const stockGrad = await stock.data();
  assertAllClose(
    await mine.data(),
    stockGrad,
    f32Tolerance(2, maxAbs(stockGrad)),
    "embedding grad",
  );
  assertClose(
    await embedTokens(table, ids).data(),
    await tf.gather(table, Array.from(ids)).data(),
    0,
  );
  assert((await mine.data()).slice(6, 9).every((v) => v === 0), "row 2 (unused id) has zero grad");
  tf.dispose([table, up, mine, stock]);
});

Deno.test("embedding: out-of-vocab id fails with the id", () => {
  const t = tf.zeros([4, 2]) as tf.Tensor2D;
  try {
    embedTokens(t, Int32Array.from([1, 4]));
    assert(false, "expected a throw");
  } catch (e) {
    assert((e as Error).message.includes("token id 4 outside vocab [0, 4)"));
  }
  t.dispose();
});

Deno.test("wasm backend: logits match cpu within float32 rounding on both fixtures", async () => {
  for (const name of ["tiny_llama", "tiny_qwen2"]) {
    const cpu = await logitsOn("cpu", name);
    const wasm = await logitsOn("wasm", name);
    const n = (await chainOf(name)).logits;
    assertAllClose(wasm, cpu, f32Tolerance(n, maxAbs(cpu)), `${name} wasm vs cpu`);
  }
  await useBackend("cpu");
});

Deno.test("grads: finite on cpu and wasm (embedding included); wasm matches cpu", async () => {
  for (const name of ["tiny_llama", "tiny_qwen2"]) {
    await useBackend("cpu");
    const cpu = await gradients(`${FIXTURES}${name}`);
    await useBackend("wasm");
    const wasm = await gradients(`${FIXTURES}${name}`);
    const embed = cpu["model.embed_tokens.weight"];
    assert(
      embed.every(Number.isFinite) && embed.some((v) => v !== 0),
      `${name}: embedding grad finite, nonzero`,
    );
    const n = (await chainOf(name)).grads;
    for (const key of Object.keys(cpu)) {
      assert(wasm[key].every(Number.isFinite), `${name} ${key}: wasm grad finite`);
      const tol = f32Tolerance(n, maxAbs(cpu[key]));
      assertAllClose(wasm[key], cpu[key], tol, `${name} ${key} wasm vs cpu grad`);
    }
  }
  await useBackend("cpu");
});

Deno.test("linear: transpose-then-matMul and transposeB paths agree (cpu, wasm)", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const n = PLAIN_MATMUL_MIN_ROWS;
    const x = tf.randomNormal([n, 5], 0, 1, "float32", 1) as tf.Tensor2D;
    const w = tf.randomNormal([3, 5], 0, 1, "float32", 2),
      b = tf.randomNormal([3], 0, 1, "float32", 3);
    const wide = await linear(x, w, b).data(); // plain path (n rows)
    const narrow = await linear(x.slice([0, 0], [n - 1, 5]), w, b).data(); // transposeB path
    const expected = await tf.add(tf.matMul(x, w, false, true), b).data();
    // 5 products and the bias: f32SumTol(7, |x|·|w|ᵀ + |b|) per entry
    const abs = tf.add(tf.matMul(tf.abs(x), tf.abs(w), false, true), tf.abs(b));
    const atol = (await abs.data()).map((a) => f32SumTol(7, a));
    assertAllClose(wide, expected, { atol }, `${backend} plain path`);
    const narrowTol = { atol: atol.slice(0, 3 * (n - 1)) };
    assertAllClose(narrow, expected.slice(0, 3 * (n - 1)), narrowTol, `${backend} transposeB path`);
    tf.dispose([x, w, b, abs]);
  }
  await useBackend("cpu");
});

const probe = await gpuAvailable({ timeoutMs: 5000 });

Deno.test({
  name: `webgpu backend: logits and grads match cpu within float32 rounding on both fixtures${
    probe.available ? "" : ` (skipped: no WebGPU adapter: ${probe.reason})`
  }`,
  ignore: !probe.available,
  sanitizeResources: false, // the tfjs webgpu device stays open for the process
  async fn() {
    try {
      for (const name of ["tiny_llama", "tiny_qwen2"]) {
        const cpu = await logitsOn("cpu", name);
        const gpu = await logitsOn("webgpu", name);
        const n = await chainOf(name);
        assertAllClose(gpu, cpu, f32Tolerance(n.logits, maxAbs(cpu)), `${name} webgpu vs cpu`);
        await useBackend("cpu");
        const cpuGrads = await gradients(`${FIXTURES}${name}`);
        await useBackend("webgpu");
        const gpuGrads = await gradients(`${FIXTURES}${name}`);
        for (const key of Object.keys(cpuGrads)) {
          assertAllClose(
            gpuGrads[key],
            cpuGrads[key],
            f32Tolerance(n.grads, maxAbs(cpuGrads[key])),
            `${name} ${key} webgpu vs cpu grad`,
          );
        }
      }
    } finally {
      await useBackend("cpu");
    }
  },
});
