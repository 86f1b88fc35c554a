// Greedy generation with the shipped student (data/models/builtin-sft) on cpu-blas, tfjs engine vs the
// plain-array engine (lib/model/generate/array_decode.ts), alternating in one process: prompts of
// 140–159 tokens (the eval prompts' length), 120 new tokens, batch 16 and 64; prints prefill/decode ms,
// ms per decode step, and whether both engines produced the same tokens.
//   npx -y deno@2.9.6 run --allow-read --allow-env --allow-ffi tests/bench/decode_engine_bench.ts
import { useBackend } from "../../lib/model/backend.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import { generate, prepareDecodeWeights } from "../../lib/model/generate/mod.ts";

await useBackend("cpu-blas");
const ck = await loadCheckpoint("data/models/builtin-sft");
const dw = prepareDecodeWeights(ck.weights, ck.config);
const rounds = Number(Deno.env.get("BENCH_RUNS") ?? 2);
for (const B of [16, 64]) {
  const prompts = Array.from(
    { length: B },
    (_, b) => Array.from({ length: 140 + (b % 20) }, (_, t) => (b * 131 + t * 17) % 4000),
  );
  const seen = new Map<string, string>();
  for (let r = 0; r < rounds; r++) {
    for (const engine of r % 2 === 0 ? ["tfjs", "arrays"] as const : ["arrays", "tfjs"] as const) {
      const t0 = performance.now();
      const out = await generate(dw, prompts, {
        maxNewTokens: 120,
        temperature: 0,
        eosIds: [],
        engine,
      });
      const ms = performance.now() - t0, t = out.timing;
      seen.set(engine, JSON.stringify(out.completions.map((c) => c.tokenIds)));
      console.log(
        `B=${B} ${engine.padEnd(6)} total ${ms.toFixed(0)} ms: prefill ${
          t.prefillMs.toFixed(0)
        } ms, ` +
          `decode ${t.decodeMs.toFixed(0)} ms = ${(t.decodeMs / t.steps).toFixed(1)} ms/step`,
      );
    }
  }
  console.log(`B=${B} same tokens from both engines: ${seen.get("tfjs") === seen.get("arrays")}`);
}
