// decodeForward: the padded causal mask by hand, and left-padded batched logits equal the committed
// decoder's forward on each unpadded row (cpu and wasm), before and after a cached step.
// Tolerance: padded and unpadded rows sum attention over other key counts: float32 rounding of the
// decoder's chain (decoderChainLength, n·EPS32 scaled to the logits; tests/_assert.ts).
import { assertAllClose, assertEquals, f32Tolerance, maxAbs } from "../../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../lib/model/backend.ts";
import { presetConfig } from "../../../lib/model/config.ts";
import { disposeKvCache, forward } from "../../../lib/model/decoder.ts";
import { disposeWeights, initWeights } from "../../../lib/model/weights.ts";
import {
  decodeForward,
  disposeDecodeWeights,
  paddedCausalMask,
  prepareDecodeWeights,
} from "../../../lib/model/generate/mod.ts";
import { decoderChainLength } from "../_fixtures.ts";

Deno.test("paddedCausalMask: causal, per-row padding, tiled over groups", async () => {
  await useBackend("cpu");
  const N = -1e9;
  const m = paddedCausalMask([[false, true, true]], 1, 2, 2); // P 1, T 2, S 3, 2 groups
  assertEquals(Array.from(await m.data()), [N, 0, N, N, 0, 0, N, 0, N, N, 0, 0]);
  m.dispose();
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`decodeForward (${backend}): left-padded rows equal decoder.forward per row`, async () => {
    await useBackend(backend);
    const config = {
      ...presetConfig("builtin-small"),
      vocab_size: 80,
      model_type: "llama" as const,
      tie_word_embeddings: false, // llama without biases, with its own lm_head
    };
    const weights = initWeights(config, { seed: 2 });
    const dw = prepareDecodeWeights(weights, config);
    const prompts = [[3, 9, 27, 4, 60], [7, 1], [11, 12, 13]];
    const L = 5, V = config.vocab_size;
    const pad = prompts.map((p) => L - p.length);
    const keyValid = prompts.map((_, b) => Array.from({ length: L }, (_, t) => t >= pad[b]));
    const pre = decodeForward(dw, prompts.map((p, b) => [...Array(pad[b]).fill(0), ...p]), {
      keyValid,
      positions: prompts.map((_, b) =>
        Array.from({ length: L }, (_, t) => Math.max(0, t - pad[b]))
      ),
    });
    const step = decodeForward(dw, [[5], [6], [7]], {
      cache: pre.cache,
      keyValid: keyValid.map((k) => [...k, true]),
      positions: prompts.map((p) => [p.length]),
    });
    const [a, b] = [await pre.logits.data(), await step.logits.data()];
    for (const [r, p] of prompts.entries()) {
      const full = forward(weights, config, [[...p, 5 + r]]).logits; // (1, T+1, V)
      const ref = await full.data();
      full.dispose();
      const T = p.length;
      const tol = f32Tolerance(
        decoderChainLength(config, { S: L + 1, rows: 1 }).logits,
        maxAbs(ref),
      );
      assertAllClose(
        a.subarray(r * V, (r + 1) * V),
        ref.subarray((T - 1) * V, T * V),
        tol,
        `row ${r}`,
      );
      assertAllClose(b.subarray(r * V, (r + 1) * V), ref.subarray(T * V), tol, `row ${r} step`);
    }
    tf.dispose([pre.logits, step.logits]);
    disposeKvCache(pre.cache);
    disposeKvCache(step.cache);
    disposeDecodeWeights(dw);
    disposeWeights(weights);
    await useBackend("cpu");
  });
}
