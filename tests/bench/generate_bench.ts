// Generation throughput with the KV cache (lib/model/generate): batch 8, 64 new tokens, builtin presets on
// tfjs wasm and cpu; plus the committed decoder.forward driven step by step, and the weight matMuls alone.
import * as tf from "@tensorflow/tfjs";
import { type BackendName, useBackend } from "../../lib/model/backend.ts";
import { presetConfig, type PresetName } from "../../lib/model/config.ts";
import { disposeKvCache, forward, type KvCache } from "../../lib/model/decoder.ts";
import { initWeights } from "../../lib/model/weights.ts";
import type { DecoderWeights } from "../../lib/model/weights.ts";
import type { ModelConfig } from "../../lib/model/config.ts";
import {
  type DecodeWeights,
  generate,
  prepareDecodeWeights,
} from "../../lib/model/generate/mod.ts";

const B = 8, NEW = 64;
const prompts = (vocab: number) =>
  Array.from(
    { length: B },
    (_, b) => Array.from({ length: 16 + 2 * b }, (_, t) => (b * 131 + t * 17) % vocab),
  );

interface Setup {
  config: ModelConfig;
  weights: DecoderWeights;
  dw: DecodeWeights;
}

async function setup(backend: BackendName, preset: PresetName): Promise<Setup> {
  await useBackend(backend);
  const config = presetConfig(preset);
  const weights = initWeights(config, { seed: 0 });
  return { config, weights, dw: prepareDecodeWeights(weights, config) };
}

/** The committed decoder.forward used step by step (no padding: prompts cut to the shortest length). */
async function stockLoop({ config, weights }: Setup): Promise<void> {
  const ids = prompts(config.vocab_size).map((p) => p.slice(0, 16));
  let out = forward(weights, config, ids, { returnCache: true });
  let cache: KvCache | undefined = out.kvCache;
  for (let i = 0; i < NEW; i++) {
    const last = tf.tidy(() =>
      tf.argMax(
        tf.squeeze(tf.slice(out.logits, [0, out.logits.shape[1] - 1, 0], [B, 1, -1]), [1]),
        -1,
      )
    );
    const next = Array.from(await last.data(), (x) => [x]);
    last.dispose();
    out.logits.dispose();
    if (i === NEW - 1) break;
    out = forward(weights, config, next, { kvCache: cache });
    disposeKvCache(cache);
    cache = out.kvCache;
  }
  disposeKvCache(cache);
}

/** Only the weight matMuls of one decode step at batch B (what a step cannot do without). */
function stepMatmuls({ dw }: Setup): void {
  tf.tidy(() => {
    const D = dw.config.hidden_size;
    let x = tf.ones([B, D]) as tf.Tensor2D;
    for (const l of dw.layers) {
      tf.matMul(x, l.qkv);
      tf.matMul(tf.ones([B, l.o.shape[0]]), l.o);
      tf.matMul(tf.ones([B, l.down.shape[0]]), l.down);
      x = tf.matMul(x, l.gateUp).slice([0, 0], [B, D]) as tf.Tensor2D;
    }
    tf.matMul(x, dw.head).dataSync();
  });
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
      name: `${preset} generate B=${B} new=${NEW} (${backend})`,
      group: `${preset} ${backend}`,
      baseline: true,
      n: slow ? 1 : 5,
      warmup: slow ? 0 : 1,
      fn: async (b) => {
        const s = await ready();
        b.start();
        const r = await generate(s.dw, prompts(s.config.vocab_size), {
          maxNewTokens: NEW,
          temperature: 1,
          seed: 0,
          eosIds: [],
        });
        b.end();
        if (r.timing.newTokens !== B * NEW) {
          throw new Error(`generated ${r.timing.newTokens} tokens`);
        }
      },
    });
    if (slow) continue; // ~1 GFLOP/s pure-JS backend: one generate run (above) takes minutes already
    Deno.bench({
      name: `${preset} stock forward loop B=${B} new=${NEW} (${backend})`,
      group: `${preset} ${backend}`,
      n: 3,
      warmup: 1,
      fn: async () => await stockLoop(await ready()),
    });
    Deno.bench({
      name: `${preset} weight matMuls of one step ×${NEW} (${backend})`,
      group: `${preset} ${backend}`,
      n: 5,
      warmup: 1,
      fn: async (b) => {
        const s = await ready();
        b.start();
        for (let i = 0; i < NEW; i++) stepMatmuls(s);
        b.end();
      },
    });
  }
}
