// One RL update at the built-in "default" preset's shape (4 prompts × G 4, prompts ≤ 192 tokens, ≤ 220
// completion tokens, μ = 1, β > 0 so a reference forward too): packSequences + frozenLogprobs + rlStep,
// on the stand-in data's real prompts and completions (no generation). --ab: each step's batch also with
// the fullLogits compute path (logits at every position), alternating which goes first; prints medians.
// BENCH_MODEL=builtin-large for the larger preset. --objective-ab (with --backend=webgpu): each step's batch with the objective on the CPU closed form and
// on the GPU kernels (lib/train/rl_loop/objective_path.ts), alternating which goes first.
import * as tf from "@tensorflow/tfjs";
import { readRecords } from "../../lib/data/read_records.ts";
import { activeBackendLabel, type BackendName, useBackend } from "../../lib/model/backend.ts";
import { parseModelConfig, presetConfig } from "../../lib/model/config.ts";
import { loadTokenizer } from "../../lib/model/tokenizer/load.ts";
import { initWeights } from "../../lib/model/weights.ts";
import { adamwInit, disposeAdamW } from "../../lib/train/optim/adamw.ts";
import { rlAlgoConfig } from "../../lib/train/rl/algo_config.ts";
import { itemSegments } from "../../lib/train/rl/item_segments.ts";
import { frozenLogprobs, packSequences } from "../../lib/train/rl_loop/policy_logprobs.ts";
import { rlPreset } from "../../lib/train/rl_loop/presets.ts";
import { rlStep } from "../../lib/train/rl_loop/rl_step.ts";
import { type RolloutBatch, tokenNewlines } from "../../lib/train/rl_loop/rollouts.ts";
import { stepIndices } from "../../lib/train/run/data_order.ts";
import { buildExamples, leftTruncate, type SftExample } from "../../lib/train/sft/examples.ts";
import { withPlainMatMulGrad } from "../../lib/model/plain_matmul_grad.ts";
import { setComputePaths } from "../../lib/model/compute_paths.ts";

/** Median of a non-empty list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Rollouts of one step: prompt p = example g·G's prompt, row g·G + j = example g·G + j's completion. */
function standinRollouts(
  examples: readonly SftExample[],
  idx: readonly number[],
  options: { groupSize: number; maxPrompt: number; maxNew: number; padId: number; step: number },
): Pick<RolloutBatch, "prompts" | "dims" | "groupSize" | "tokenIds" | "mask"> & {
  hits: Uint8Array;
} {
  const G = options.groupSize;
  const prompts: number[][] = [];
  for (let i = 0; i < idx.length; i += G) {
    const e = examples[idx[i]];
    prompts.push(leftTruncate(e.ids.slice(0, e.promptLength), options.maxPrompt));
  }
  const completions = idx.map((i) => {
    const e = examples[i];
    return e.ids.slice(e.promptLength, e.promptLength + options.maxNew);
  });
  const t = Math.max(...completions.map((c) => c.length));
  const dims = { b: idx.length, t };
  const tokenIds = new Int32Array(dims.b * t).fill(options.padId); // (B, T)
  const mask = new Uint8Array(dims.b * t); // (B, T)
  completions.forEach((c, r) =>
    c.forEach((id, j) => {
      tokenIds[r * t + j] = id;
      mask[r * t + j] = 1;
    })
  );
  const hits = Uint8Array.from(
    { length: dims.b * 20 },
    (_, k) => (k * 7 + options.step) % 5 === 0 ? 1 : 0,
  ); // (B, 20)
  return { prompts, dims, groupSize: G, tokenIds, mask, hits };
}

/**
 * Time `steps` RL updates (after one warm-up) on `backend`; with `ab`, each batch also runs with
 * the fullLogits compute path, alternating which goes first.
 *
 * @example
 * ```ts
 * const r = await benchRlUpdate({ standin: "data/generated/sft_standin", steps: 3, ab: true });
 * r.medianMs; r.medianFullMs;
 * ```
 */
export async function benchRlUpdate(options: {
  standin: string;
  steps: number;
  backend?: BackendName;
  ab?: boolean;
  objectiveAb?: boolean;
  /** model preset @default "builtin-small" */
  model?: "builtin-small" | "builtin-large";
}): Promise<{
  ms: number[];
  medianMs: number;
  fullMs: number[];
  medianFullMs: number;
  gpuObjectiveMs: number[];
  medianGpuObjectiveMs: number;
}> {
  const { standin, steps, backend = "cpu-blas" } = options;
  await useBackend(backend);
  const preset = rlPreset("default");
  const G = preset.group_size!, P = preset.prompts_per_step!;
  const tokenizer = await loadTokenizer(`${standin}/tokenizer`);
  const records = [];
  for await (const r of readRecords(`${standin}/train.jsonl`)) records.push(r);
  const { examples } = buildExamples(records, tokenizer, { maxSeqLen: 512 });
  const cfg = parseModelConfig({
    ...presetConfig(options.model ?? "builtin-small"),
    vocab_size: tokenizer.vocabSize,
    eos_token_id: tokenizer.eosId,
    pad_token_id: tokenizer.padId,
    bos_token_id: tokenizer.bosId,
  }, { source: "rl_update_bench" });
  const refWeights = initWeights(cfg, { seed: 7 });
  const params = Object.fromEntries(
    Object.entries(initWeights(cfg, { seed: 7 })).map((
      [k, t],
    ) => [k, tf.variable(t, true, `rlb/${k}`)]),
  );
  const optimizer = adamwInit(params);
  const padId = tokenizer.padId ?? tokenizer.eosId;
  const newlines = tokenNewlines(tokenizer);
  const algo = rlAlgoConfig({ algo: "rank-grpo" });
  const ms: number[] = [], fullMs: number[] = [], gpuObjectiveMs: number[] = [];
  const update = async (step: number, full: boolean, objective: "cpu" | "gpu" = "cpu") => {
    const idx = stepIndices(step + 1, { seed: 7, n: examples.length, perStep: P * G });
    const r = standinRollouts(examples, idx, {
      groupSize: G,
      maxPrompt: preset.max_prompt_tokens!,
      maxNew: preset.max_new_tokens!,
      padId,
      step,
    });
    const batch = {
      ...r,
      scored: { hits: r.hits },
      segments: itemSegments(r.tokenIds, r.mask, {
        dims: r.dims,
        newlines,
        eosId: tokenizer.eosId,
      }),
    } as unknown as RolloutBatch; // the fields rlStep reads
    if (options.ab) setComputePaths({ fullLogits: full });
    const t0 = performance.now();
    const packed = packSequences(batch.prompts, batch, { padId, vocabSize: cfg.vocab_size });
    const refLogp = await frozenLogprobs(refWeights, cfg, packed);
    const out = await rlStep(params, cfg, { optimizer, batch, packed, refLogp }, {
      algo,
      lr: preset.lr!,
      beta1: 0.9,
      beta2: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1,
      objective,
    });
    const t = performance.now() - t0;
    console.error(
      `step ${step}${
        full ? " full-logits" : ""
      } objective ${objective} B×L=${packed.inputIds.length}×${packed.length} ` +
        `completion tokens=${packed.rows.length} loss=${out.loss.toFixed(5)} ms=${t.toFixed(0)}` +
        (step === 0 ? " (warm-up)" : ""),
    );
    if (step > 0) (full ? fullMs : objective === "gpu" ? gpuObjectiveMs : ms).push(t);
  };
  await withPlainMatMulGrad(async () => {
    for (let s = 0; s <= steps; s++) {
      if (options.objectiveAb) {
        for (const o of s % 2 === 0 ? ["cpu", "gpu"] as const : ["gpu", "cpu"] as const) {
          await update(s, false, o);
        }
        continue;
      }
      for (const full of options.ab ? (s % 2 === 0 ? [false, true] : [true, false]) : [false]) {
        await update(s, full);
      }
    }
  });
  if (options.ab) setComputePaths({ fullLogits: false });
  disposeAdamW(optimizer);
  tf.dispose([...Object.values(params), ...Object.values(refWeights)]);
  return {
    ms,
    medianMs: median(ms),
    fullMs,
    medianFullMs: fullMs.length ? median(fullMs) : NaN,
    gpuObjectiveMs,
    medianGpuObjectiveMs: gpuObjectiveMs.length ? median(gpuObjectiveMs) : NaN,
  };
}

if (import.meta.main) {
  const steps = Number(Deno.env.get("BENCH_STEPS") ?? 3);
  const backend = (Deno.args.find((a) =>
    a.startsWith("--backend=")
  )?.slice(10) ?? "cpu-blas") as BackendName;
  const r = await benchRlUpdate({
    standin: "data/generated/sft_standin",
    steps,
    backend,
    ab: Deno.args.includes("--ab"),
    objectiveAb: Deno.args.includes("--objective-ab"),
    model: Deno.env.get("BENCH_MODEL") === "builtin-large" ? "builtin-large" : "builtin-small",
  });
  console.log(`${backend} RL update median ms over ${steps} steps: ${r.medianMs.toFixed(0)}`);
  if (r.fullMs.length) {
    console.log(
      `${backend} fullLogits median ms: ${r.medianFullMs.toFixed(0)}; ` +
        `speed-up ${(r.medianFullMs / r.medianMs).toFixed(2)}×`,
    );
  }
  if (r.gpuObjectiveMs.length) {
    console.log(
      `${activeBackendLabel()}: objective on the GPU kernels median ms: ` +
        `${r.medianGpuObjectiveMs.toFixed(0)}; CPU objective / GPU objective ` +
        `${(r.medianMs / r.medianGpuObjectiveMs).toFixed(2)}×`,
    );
  }
}
