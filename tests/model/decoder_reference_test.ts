// Logits of the committed tiny Llama/Qwen2 checkpoints vs the independent PyTorch reference
// (tests/reference/torch_decoder_reference.py), plus save → reload round trips.
// The reference is float64, so the tolerance is our float32 forward's rounding bound: n·EPS32 for the
// decoder's accumulation length (decoderChainLength), scaled to the largest |logit| (tests/_assert.ts).
import {
  assert,
  assertAllClose,
  assertEquals,
  assertRejects,
  assertThrows,
  type CloseTolerance,
  f32Tolerance,
  maxAbs,
} from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { forward } from "../../lib/model/decoder.ts";
import { loadCheckpoint, saveCheckpoint } from "../../lib/model/checkpoint.ts";
import { readModelConfig } from "../../lib/model/config.ts";
import { disposeWeights, initWeights, tensorSeed } from "../../lib/model/weights.ts";
import type { ModelConfig } from "../../lib/model/config.ts";
import { decoderChainLength, tempDir } from "./_fixtures.ts";

await tf.setBackend("cpu");
const FIXTURES = new URL("../fixtures/model/", import.meta.url).pathname;

interface Reference {
  input_ids: number[][];
  logits: number[][][];
  position_ids: number[][];
  logits_at_positions: number[][][];
}

async function reference(name: string): Promise<Reference> {
  return JSON.parse(await Deno.readTextFile(`${FIXTURES}${name}/reference_logits.json`));
}

/** Our float32 logits' bound against a float64 reference of `logits` (B, T, V). */
function logitsTolerance(config: ModelConfig, logits: number[][][]): CloseTolerance {
  const n = decoderChainLength(config, {
    S: logits[0].length,
    rows: logits.length * logits[0].length,
  });
  return f32Tolerance(n.logits, maxAbs(logits.flat(2)));
}

for (const name of ["tiny_llama", "tiny_qwen2"]) {
  Deno.test(`decoder: ${name} logits match the PyTorch reference within float32 rounding (cpu)`, async () => {
    const ref = await reference(name);
    const { config, weights } = await loadCheckpoint(`${FIXTURES}${name}`);
    const { logits } = forward(weights, config, ref.input_ids);
    assertEquals(logits.shape, [2, 7, 48]);
    const tol = logitsTolerance(config, ref.logits);
    assertAllClose(await logits.data(), ref.logits.flat(2), tol, name);
    // far-away explicit positions: the llama3-scaled low-frequency bands turn by whole radians here
    const at = forward(weights, config, ref.input_ids, { positions: ref.position_ids }).logits;
    const atTol = logitsTolerance(config, ref.logits_at_positions);
    assertAllClose(await at.data(), ref.logits_at_positions.flat(2), atTol, `${name} at positions`);
    // the bound still rejects real bugs: the last token's RoPE position one off (a shift of every
    // position would be invisible: RoPE sees relative offsets), a 1e-3 error in the largest logit
    const shifted = forward(weights, config, ref.input_ids, {
      positions: ref.input_ids.map((r) => r.map((_, t) => t < r.length - 1 ? t : t + 1)),
    }).logits;
    const shiftedData = await shifted.data();
    assertThrows(
      () => assertAllClose(shiftedData, ref.logits.flat(2), tol, "RoPE off by one"),
      "the bound",
    );
    const off = Float32Array.from(await logits.data());
    const largest = maxAbs(off);
    off[off.findIndex((x) => Math.abs(x) === largest)] *= 1 + 1e-3;
    assertThrows(() => assertAllClose(off, ref.logits.flat(2), tol, "1e-3 error"), "the bound");
    shifted.dispose();
    [logits, at].forEach((t) => t.dispose());
    disposeWeights(weights);
  });
}

Deno.test("checkpoint: save → reload gives bit-identical logits (F32); BF16 save is bf16-exact", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const ref = await reference("tiny_qwen2");
    const a = await loadCheckpoint(`${FIXTURES}tiny_qwen2`);
    const la = forward(a.weights, a.config, ref.input_ids).logits;
    await saveCheckpoint(`${dir}/f32`, a.weights, a.config);
    const b = await loadCheckpoint(`${dir}/f32`);
    const lb = forward(b.weights, b.config, ref.input_ids).logits;
    assertEquals(await lb.data(), await la.data());
    const savedConfig = JSON.parse(await Deno.readTextFile(`${dir}/f32/config.json`));
    assertEquals([savedConfig.torch_dtype, savedConfig.sliding_window], ["float32", 1024]); // extra keys kept

    // llama fixture is stored as BF16: re-saving as BF16 must reproduce the exact same bytes per tensor
    const l = await loadCheckpoint(`${FIXTURES}tiny_llama`);
    await saveCheckpoint(`${dir}/bf16`, l.weights, l.config, { dtype: "BF16" });
    const l2 = await loadCheckpoint(`${dir}/bf16`);
    for (const key of Object.keys(l.weights)) {
      assertEquals(await l2.weights[key].data(), await l.weights[key].data(), key);
    }
    assertEquals((await readModelConfig(`${dir}/bf16/config.json`)).torch_dtype, "bfloat16");
    // F32 weights saved as BF16 are rounded: close but not equal
    await saveCheckpoint(`${dir}/q16`, a.weights, a.config, { dtype: "BF16" });
    const c = await loadCheckpoint(`${dir}/q16`);
    const ea = await a.weights["model.embed_tokens.weight"].data();
    const ec = await c.weights["model.embed_tokens.weight"].data();
    // bf16 keeps 8 significant bits: round-to-nearest moves each value by ≤ 2^-8 relative
    assertAllClose(ec, ea, { atol: 0, rtol: 2 ** -8 }, "bf16 embed");
    assertEquals(ea.every((v, i) => v === ec[i]), false);
    [la, lb].forEach((t) => t.dispose());
    [a, b, l, l2, c].forEach((m) => disposeWeights(m.weights));
  } finally {
    await cleanup();
  }
});

Deno.test("checkpoint: missing or misshapen tensors fail naming the folder/file and tensor", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.mkdir(`${dir}/bad`);
    const config = JSON.parse(await Deno.readTextFile(`${FIXTURES}tiny_qwen2/config.json`));
    await Deno.writeTextFile(
      `${dir}/bad/config.json`,
      JSON.stringify({ ...config, num_hidden_layers: 3 }),
    );
    await Deno.copyFile(`${FIXTURES}tiny_qwen2/model.safetensors`, `${dir}/bad/model.safetensors`);
    await assertRejects(
      loadCheckpoint(`${dir}/bad`),
      `${dir}/bad`,
      "model.layers.2.self_attn.q_proj.weight",
    );
    await Deno.writeTextFile(
      `${dir}/bad/config.json`,
      JSON.stringify({ ...config, intermediate_size: 33 }),
    );
    await assertRejects(
      loadCheckpoint(`${dir}/bad`),
      "model.safetensors",
      "gate_proj.weight",
      "[33,16]",
    );
    await Deno.writeTextFile(
      `${dir}/bad/config.json`,
      JSON.stringify({ ...config, vocab_size: undefined }),
    );
    await assertRejects(loadCheckpoint(`${dir}/bad`), "config.json", '"vocab_size"', "missing");
  } finally {
    await cleanup();
  }
});

const PYTHON = "/usr/bin/python3";
const hasTorch = await new Deno.Command(PYTHON, {
  args: ["-c", "import torch, numpy"],
  stderr: "null",
})
  .output().then((o) => o.success).catch(() => false);

Deno.test({
  name:
    `checkpoint: a folder saved here (BF16, llama3 rope) gives the same logits in the PyTorch reference${
      hasTorch ? "" : " (skipped: Debian python3-torch not installed)"
    }`,
  ignore: !hasTorch,
  fn: async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const config = {
        ...(await readModelConfig(`${FIXTURES}tiny_llama/config.json`)),
        num_hidden_layers: 3,
        attention_bias: true, // Llama with bias: q/k/v and o
      };
      const weights = initWeights({ ...config, initializer_range: 0.3 }, { seed: 11 });
      const biasNames = Object.keys(weights).filter((n) => n.endsWith(".bias"));
      biasNames.forEach((n) => {
        const b = weights[n];
        weights[n] = tf.randomNormal(b.shape, 0, 0.2, "float32", tensorSeed(11, n));
        b.dispose();
      });
      assert(biasNames.some((n) => n.includes("o_proj")));
      await saveCheckpoint(dir, weights, config, { dtype: "BF16" });
      disposeWeights(weights);
      const out = await new Deno.Command(PYTHON, {
        args: [
          new URL("../reference/torch_decoder_reference.py", import.meta.url).pathname,
          "--logits",
          dir,
        ],
      }).output();
      assert(out.success, new TextDecoder().decode(out.stderr));
      const ref: Reference = JSON.parse(new TextDecoder().decode(out.stdout));
      const loaded = await loadCheckpoint(dir);
      const { logits } = forward(loaded.weights, loaded.config, ref.input_ids);
      const at =
        forward(loaded.weights, loaded.config, ref.input_ids, { positions: ref.position_ids })
          .logits;
      assertAllClose(
        await logits.data(),
        ref.logits.flat(2),
        logitsTolerance(loaded.config, ref.logits),
        "saved llama",
      );
      assertAllClose(
        await at.data(),
        ref.logits_at_positions.flat(2),
        logitsTolerance(loaded.config, ref.logits_at_positions),
        "saved llama at positions",
      );
      [logits, at].forEach((t) => t.dispose());
      disposeWeights(loaded.weights);
    } finally {
      await cleanup();
    }
  },
});
