// Real-size SFT train-step speed: builtin-small on the stand-in data, batch 8, cpu-blas (--stock: the
// same kernels without the fused ops; --ab: each step's batch run on the current and the legacy cpu-blas
// path (compute path blasLegacy), alternating; --ab-logits: the same with fullLogits, logits at
// every position); prints tokens/s per step, medians, and with --profile top kernels.
import * as tf from "@tensorflow/tfjs";
import { readRecords } from "../../lib/data/read_records.ts";
import { useBackend } from "../../lib/model/backend.ts";
import { useBlasBackend } from "../../lib/model/blas/blas_backend.ts";
import { loadTokenizer } from "../../lib/model/tokenizer/load.ts";
import { initWeights } from "../../lib/model/weights.ts";
import { adamwInit } from "../../lib/train/optim/adamw.ts";
import { stepIndices } from "../../lib/train/run/data_order.ts";
import { buildExamples } from "../../lib/train/sft/examples.ts";
import { padBatch } from "../../lib/train/sft/loss.ts";
import { withPlainMatMulGrad } from "../../lib/model/plain_matmul_grad.ts";
import { sftModelConfig } from "../../lib/train/sft/presets.ts";
import { decoderLoss, sftStep } from "../../lib/train/sft/train_step.ts";
import { setComputePaths } from "../../lib/model/compute_paths.ts";

/** Median of a non-empty list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Time `steps` SFT steps (after one warm-up) on `backend`; with `profile`, also tf.profile one step.
 *
 * @example
 * ```ts
 * const { medianTokensPerS } = await benchSftStep({ standin: "data/generated/sft_standin", steps: 3 });
 * ```
 */
export async function benchSftStep(options: {
  standin: string;
  steps: number;
  /** "cpu-blas-stock": the cpu-blas kernels under another name, so the fused ops stay off (A/B) */
  backend?: "cpu" | "wasm" | "cpu-blas" | "cpu-blas-stock";
  batchSize?: number;
  profile?: boolean;
  /** run without lib/model/plain_matmul_grad.ts (the trainer installs it on every backend) */
  stockMatMulGrad?: boolean;
  /** also run every step's batch on compute path `abPath`, alternating which goes first */
  ab?: boolean;
  /** the compute path that selects the old implementation under `ab` @default "blasLegacy" */
  abPath?: "blasLegacy" | "fullLogits";
}): Promise<
  {
    tokensPerS: number[];
    medianTokensPerS: number;
    legacyTokensPerS: number[];
    medianLegacyTokensPerS: number;
    topKernels: string[];
  }
> {
  const { standin, steps, backend = "cpu-blas", batchSize = 8 } = options;
  const abPath = options.abPath ?? "blasLegacy";
  if (backend === "cpu-blas-stock") await useBlasBackend({ name: backend });
  else await useBackend(backend);
  const tokenizer = await loadTokenizer(`${standin}/tokenizer`);
  const records = [];
  for await (const r of readRecords(`${standin}/train.jsonl`)) records.push(r);
  const { examples } = buildExamples(records, tokenizer, { maxSeqLen: 512 });
  const cfg = sftModelConfig("builtin-small", tokenizer);
  const weights = initWeights(cfg, { seed: 7 });
  const params = Object.fromEntries(
    Object.entries(weights).map(([k, t]) => [k, tf.variable(t, true, `bench/${k}`)]),
  );
  tf.dispose(Object.values(weights));
  const opt = adamwInit(params);
  const lossFn = decoderLoss(cfg);
  const padId = tokenizer.padId ?? tokenizer.eosId;
  const batchAt = (step: number) =>
    padBatch(
      stepIndices(step, { seed: 7, n: examples.length, perStep: batchSize }).map((j) =>
        examples[j]
      ),
      padId,
    );
  const stepOpts = {
    lossFn,
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0.01,
    maxGradNorm: 1,
  };
  const tokensPerS: number[] = [], legacyTokensPerS: number[] = [];
  let topKernels: string[] = [];
  const timed = async (batch: ReturnType<typeof batchAt>, legacy: boolean) => {
    if (options.ab) setComputePaths({ [abPath]: legacy });
    const t0 = performance.now();
    const out = await sftStep(params, opt, [batch], stepOpts);
    const secs = (performance.now() - t0) / 1000;
    return { out, tps: out.inputTokens / secs };
  };
  const runSteps = async () => {
    for (let s = 0; s <= steps; s++) {
      const batch = batchAt(s + 1);
      const order = options.ab ? (s % 2 === 0 ? [false, true] : [true, false]) : [false];
      for (const legacy of order) {
        const { out, tps } = await timed(batch, legacy);
        console.error(
          `step ${s}${legacy ? " legacy" : ""} loss=${out.loss.toFixed(4)} ` +
            `T=${batch.inputIds[0].length} tokens/s=${tps.toFixed(0)}${
              s === 0 ? " (warm-up)" : ""
            }`,
        );
        if (s > 0) (legacy ? legacyTokensPerS : tokensPerS).push(tps);
      }
    }
    if (options.ab) setComputePaths({ [abPath]: false });
    if (options.profile) {
      const batch = batchAt(steps + 2);
      const info = await tf.profile(() => sftStep(params, opt, [batch], stepOpts).then(() => []));
      const byName = new Map<string, { ms: number; n: number }>();
      for (const k of info.kernels) {
        const e = byName.get(k.name) ?? { ms: 0, n: 0 };
        e.ms += await k.kernelTimeMs as number;
        e.n++;
        byName.set(k.name, e);
      }
      const total = [...byName.values()].reduce((a, e) => a + e.ms, 0);
      topKernels = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15).map((
        [n, e],
      ) => `${n}: ${e.ms.toFixed(0)} ms / ${e.n} calls (${(100 * e.ms / total).toFixed(1)}%)`);
      topKernels.push(`total kernel time: ${total.toFixed(0)} ms`);
    }
  };
  if (options.stockMatMulGrad) await runSteps();
  else await withPlainMatMulGrad(runSteps);
  tf.dispose(Object.values(params));
  return {
    tokensPerS,
    medianTokensPerS: median(tokensPerS),
    legacyTokensPerS,
    medianLegacyTokensPerS: legacyTokensPerS.length ? median(legacyTokensPerS) : NaN,
    topKernels,
  };
}

if (import.meta.main) {
  const profile = Deno.args.includes("--profile");
  const steps = Number(Deno.env.get("BENCH_STEPS") ?? 3);
  const backend = Deno.args.includes("--stock") ? "cpu-blas-stock" : "cpu-blas";
  const abPath = Deno.args.includes("--ab-logits") ? "fullLogits" : "blasLegacy";
  const r = await benchSftStep({
    standin: "data/generated/sft_standin",
    steps,
    profile,
    backend,
    stockMatMulGrad: Deno.args.includes("--stock-matmul-grad"),
    ab: Deno.args.includes("--ab") || Deno.args.includes("--ab-logits"),
    abPath,
  });
  console.log(`${backend} median tokens/s over ${steps} steps: ${r.medianTokensPerS.toFixed(0)}`);
  if (r.legacyTokensPerS.length) {
    console.log(
      `${backend} legacy (${abPath}) median tokens/s: ${
        r.medianLegacyTokensPerS.toFixed(0)
      }; ratio current/legacy ${(r.medianTokensPerS / r.medianLegacyTokensPerS).toFixed(2)}×`,
    );
  }
  for (const line of r.topKernels) console.log(line);
}
