// Checkpoint folders written by Hugging Face `transformers` itself (save_pretrained; Llama BF16 untied, Qwen2
// F32 and F16 tied) load here and give its logits: tests/reference/transformers_roundtrip.py `write` made them.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { forward } from "../../lib/model/decoder.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import { tiedEmbeddings } from "../../lib/model/config.ts";
import { disposeWeights } from "../../lib/model/weights.ts";
import { assertClose } from "./test_utils.ts";

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
  Deno.test(`transformers-written ${c.name} loads and matches transformers' logits within 1e-4`, async () => {
    const dir = `${ROOT}${c.name}`;
    const ref: TransformersReference = JSON.parse(
      await Deno.readTextFile(`${dir}/reference_logits.json`),
    );
    const { config, weights } = await loadCheckpoint(dir);
    assertEquals([config.model_type, tiedEmbeddings(config)], [c.arch, c.tied]);
    const { logits } = forward(weights, config, ref.input_ids);
    assertEquals(logits.shape, [ref.logits.length, ref.logits[0].length, config.vocab_size]);
    assertClose(
      await logits.data(),
      ref.logits.flat(2),
      1e-4,
      `${c.name} vs ${ref.transformers_version}`,
    );
    logits.dispose();
    disposeWeights(weights);
  });
}
