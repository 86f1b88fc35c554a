// Forward-pass timings of the built-in presets on the tfjs cpu and wasm backends: a prefill of
// B=2 × T=32 tokens and one cached decode step (B=2, T=1 after 32 cached positions).
import * as tf from "@tensorflow/tfjs";
import { type BackendName, useBackend } from "../../lib/model/backend.ts";
import { disposeKvCache, forward, type KvCache } from "../../lib/model/decoder.ts";
import { type ModelConfig, presetConfig, type PresetName } from "../../lib/model/config.ts";
import { type DecoderWeights, initWeights } from "../../lib/model/weights.ts";

const B = 2, T = 32;
const ids = (rows: number, cols: number, vocab: number) =>
  Array.from(
    { length: rows },
    (_, b) => Array.from({ length: cols }, (_, t) => (b * 131 + t * 17) % vocab),
  );

interface Setup {
  config: ModelConfig;
  weights: DecoderWeights;
  cache: KvCache;
}

/** Weights and a prefilled cache, created on `backend` the first time a bench of that pair runs. */
async function setup(backend: BackendName, preset: PresetName): Promise<Setup> {
  await useBackend(backend);
  const config = presetConfig(preset);
  const weights = initWeights(config, { seed: 0 });
  const pre = forward(weights, config, ids(B, T, config.vocab_size), { returnCache: true });
  pre.logits.dispose();
  return { config, weights, cache: pre.kvCache! };
}

for (const backend of ["wasm", "cpu"] as const) {
  for (const preset of ["builtin-small", "builtin-large"] as const) {
    let state: Setup | undefined;
    const ready = async () => {
      if (tf.getBackend() !== backend || !state) state = await setup(backend, preset);
      return state;
    };
    const slow = backend === "cpu" && preset === "builtin-large";
    Deno.bench({
      name: `${preset} prefill B=${B} T=${T} (${backend})`,
      group: `${preset} prefill`,
      n: slow ? 3 : 10,
      warmup: 1,
      fn: async () => {
        const { config, weights } = await ready();
        const { logits } = forward(weights, config, ids(B, T, config.vocab_size));
        await logits.data();
        logits.dispose();
      },
    });
    Deno.bench({
      name: `${preset} decode step B=${B} after ${T} (${backend})`,
      group: `${preset} decode`,
      n: slow ? 5 : 20,
      warmup: 2,
      fn: async () => {
        const { config, weights, cache } = await ready();
        const step = forward(weights, config, ids(B, 1, config.vocab_size), { kvCache: cache });
        await step.logits.data();
        step.logits.dispose();
        disposeKvCache(step.kvCache);
      },
    });
  }
}
