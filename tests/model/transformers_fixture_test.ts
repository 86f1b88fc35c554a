// Checkpoint folders written by Hugging Face `transformers` itself (save_pretrained; Llama BF16 untied, Qwen2
// F32 and F16 tied) load here and give its logits: tests/reference/transformers_roundtrip.py `write` made them.
// transformers ran in float32 too, so two float32 evaluations differ by ≤ n·EPS32 of the decoder's
// accumulation length (decoderChainLength), scaled to the largest |logit| (tests/_assert.ts).
import { assertAllClose, assertEquals, f32Tolerance, maxAbs } from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { forward } from "../../lib/model/decoder.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import { tiedEmbeddings } from "../../lib/model/config.ts";
import { disposeWeights } from "../../lib/model/weights.ts";
import { decoderChainLength } from "./_fixtures.ts";

await tf.setBackend("cpu");
const ROOT = new URL("../fixtures/model/transformers/", import.meta.url).pathname;

interface TransformersReference {
  input_ids: number[][];
  logits: number[][][]; // (B, T, V), float32 forward of the folder re-loaded by transformers
  transformers_version: string;
}

const CASES = [
  { name: "tf_llama_bf16", arch: "llama", tied: false },
  { name: "tf_qwen2_f32", arch: "qwen2", tied: true },
  { name: "tf_qwen2_f16", arch: "qwen2", tied: true },
] as const;

for (const c of CASES) {
  Deno.test(`transformers-written ${c.name} loads and matches transformers' logits within float32 rounding`, async () => {
    const dir = `${ROOT}${c.name}`;
    const ref: TransformersReference = JSON.parse(
      await Deno.readTextFile(`${dir}/reference_logits.json`),
    );
    const { config, weights } = await loadCheckpoint(dir);
    assertEquals([config.model_type, tiedEmbeddings(config)], [c.arch, c.tied]);
    const { logits } = forward(weights, config, ref.input_ids);
    assertEquals(logits.shape, [ref.logits.length, ref.logits[0].length, config.vocab_size]);
    const [B, T] = [ref.logits.length, ref.logits[0].length];
    const n = decoderChainLength(config, { S: T, rows: B * T }).logits;
    assertAllClose(
      await logits.data(),
      ref.logits.flat(2),
      f32Tolerance(n, maxAbs(ref.logits.flat(2))),
      `${c.name} vs ${ref.transformers_version}`,
    );
    logits.dispose();
    disposeWeights(weights);
  });
}
