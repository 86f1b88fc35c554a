// Batched autoregressive generation with a KV cache: left-padded prefill once per prompt, the prefix cache
// copied for n samples, then one token per step for the unfinished rows; seeded per (seed, prompt, sample).
import type { ModelConfig } from "../config.ts";
import type { DecoderWeights } from "../weights.ts";
import { createPrng, type Prng } from "../../data/prng.ts";
import type { TokenConstraint } from "./catalog_constraint.ts";
import { type DecodeEngine, openDecodeSession } from "./decode_session.ts";
import {
  type DecodeWeights,
  disposeDecodeWeights,
  prepareDecodeWeights,
} from "./decode_weights.ts";
import { checkSamplingOptions, pickToken, type SamplingOptions } from "./sampling.ts";

/** Options of {@link generate}. */
export interface GenerateOptions<S = unknown> extends SamplingOptions {
  /** most tokens generated per completion (EOS included) */
  maxNewTokens: number;
  /** completions per prompt (G rollouts; the prompt is prefilled once) @default 1 */
  n?: number;
  /** root seed; completion s of prompt p samples from its own stream (see sampleStream) @default 0 */
  seed?: number;
  /** per prompt, the key its streams derive from (e.g. its dataset index) @default its index in prompts */
  promptKeys?: readonly number[];
  /** tokens that end a completion @default config.eos_token_id */
  eosIds?: readonly number[];
  /** id written into left padding (masked out, never attended to) @default 0 */
  padId?: number;
  /** restricts the allowed next tokens per row (e.g. catalogConstraint) @default none */
  constraint?: TokenConstraint<S>;
  /** which decoder runs (see DecodeEngine) @default "auto" */
  engine?: DecodeEngine;
}

/** One completion of one prompt. */
export interface Completion {
  promptIndex: number;
  sampleIndex: number;
  /** generated ids, the final EOS included when finishReason is "eos" */
  tokenIds: number[];
  /** log πθ(token) = log_softmax(logits)[token] at temperature 1, unconstrained (see Pick.logprob) */
  logprobs: number[];
  /** log-prob under the distribution actually sampled from (0 when greedy; see Pick.samplingLogprob) */
  samplingLogprobs: number[];
  finishReason: "eos" | "length";
}

/** Wall-clock timing of one generate call. */
export interface GenerateTiming {
  /** prefill forward, first logits read back, cache copied for the n samples */
  prefillMs: number;
  /** all incremental steps */
  decodeMs: number;
  /** incremental forward passes run */
  steps: number;
  /** tokens generated over all completions */
  newTokens: number;
  /** newTokens / (prefill + decode) seconds */
  tokensPerSecond: number;
}

/** Result of {@link generate}: completions ordered prompt-major, sample-minor. */
export interface GenerateResult {
  completions: Completion[];
  timing: GenerateTiming;
}

/** The model as HF-named weights (a decode layout is built and freed per call) or a prepared layout. */
export type GenerateModel = DecodeWeights | { weights: DecoderWeights; config: ModelConfig };

/**
 * The sampling stream of completion `sampleIndex` of the prompt with key `promptKey` under root `seed`.
 *
 * @example
 * ```ts
 * const u = sampleStream(7, 0, 3).float(); // the same for every batch composition
 * if (u !== sampleStream(7, 0, 3).float()) throw new Error("seeded by (seed, prompt, sample)");
 * ```
 */
export function sampleStream(seed: number, promptKey: number, sampleIndex: number): Prng {
  return createPrng(seed).fork(`prompt ${promptKey}`).fork(`sample ${sampleIndex}`);
}

interface Row<S> {
  completion: Completion;
  prng: Prng;
  state: S | undefined;
  position: number;
}

function eosOf(config: ModelConfig, given?: readonly number[]): readonly number[] {
  if (given) return given;
  const e = config.eos_token_id;
  return e == null ? [] : Array.isArray(e) ? e : [e];
}

/**
 * Generate `n` completions for each prompt (token ids, no padding), batched with a KV cache.
 * Temperature 0 is greedy and ignores the seed; otherwise temperature and top-p sampling.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * const { config: cfg, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const { completions } = await generate({ weights, config: cfg }, [[1, 5, 9], [1, 7]], {
 *   maxNewTokens: 16, temperature: 1, topP: 0.95, n: 4, seed: 42,
 * });
 * if (completions.length !== 8) throw new Error(`${completions.length}`); // 2 prompts × n = 4
 * ```
 */
export async function generate<S = unknown>(
  model: GenerateModel,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions<S>,
): Promise<GenerateResult> {
  const owned = "weights" in model;
  const dw = owned ? prepareDecodeWeights(model.weights, model.config) : model;
  try {
    return await generateWith(dw, prompts, options);
  } finally {
    if (owned) disposeDecodeWeights(dw);
  }
}

async function generateWith<S>(
  dw: DecodeWeights,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions<S>,
): Promise<GenerateResult> {
  const where = "lib/model/generate/generate.ts";
  const { temperature, topP } = checkSamplingOptions(options);
  const n = options.n ?? 1, maxNew = options.maxNewTokens, seed = options.seed ?? 0;
  const V = dw.config.vocab_size, padId = options.padId ?? 0;
  const eos = new Set(eosOf(dw.config, options.eosIds));
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new Error(`${where}: n: expected an integer ≥ 1, got ${n}`);
  }
  if (!(Number.isInteger(maxNew) && maxNew >= 0)) {
    throw new Error(`${where}: maxNewTokens: expected an integer ≥ 0, got ${maxNew}`);
  }
  if (options.promptKeys && options.promptKeys.length !== prompts.length) {
    throw new Error(
      `${where}: promptKeys: ${options.promptKeys.length} keys, expected one per prompt (${prompts.length})`,
    );
  }
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`${where}: prompts[${i}]: expected at least one token`);
  });
  const L = Math.max(0, ...prompts.map((p) => p.length));
  if (L + maxNew > dw.config.max_position_embeddings) {
    throw new Error(
      `${where}: longest prompt ${L} + maxNewTokens ${maxNew} exceeds max_position_embeddings ${dw.config.max_position_embeddings}`,
    );
  }
  const rows: Row<S>[] = prompts.flatMap((p, promptIndex) =>
    Array.from({ length: n }, (_, sampleIndex) => ({
      completion: {
        promptIndex,
        sampleIndex,
        tokenIds: [],
        logprobs: [],
        samplingLogprobs: [],
        finishReason: "length" as const,
      },
      prng: sampleStream(seed, options.promptKeys?.[promptIndex] ?? promptIndex, sampleIndex),
      state: options.constraint?.start(promptIndex),
      position: p.length,
    }))
  );
  const timing: GenerateTiming = {
    prefillMs: 0,
    decodeMs: 0,
    steps: 0,
    newTokens: 0,
    tokensPerSecond: 0,
  };
  if (rows.length === 0 || maxNew === 0) {
    return { completions: rows.map((r) => r.completion), timing };
  }

  // prefill: left-pad every prompt to L; padding is masked as a key and gets position 0
  const t0 = performance.now();
  const pad = prompts.map((p) => L - p.length);
  const session = openDecodeSession(dw, {
    engine: options.engine,
    maxPromptTokens: L,
    maxNewTokens: maxNew,
  });
  let t1 = t0;
  try {
    let logits = await session.prefill(
      prompts.map((p, b) => [...Array(pad[b]).fill(padId), ...p]),
      pad,
    ); // (B, V)
    if (n > 1) session.copyRows(rows.map((r) => r.completion.promptIndex));
    let active = rows.map((_, i) => i); // rows still generating, in session row order
    let logitRow = rows.map((r) => r.completion.promptIndex); // logits row of active[i]
    t1 = performance.now();
    while (true) {
      const keep: number[] = [];
      active.forEach((r, i) => {
        const row = rows[r], c = row.completion;
        const allowed = row.state === undefined
          ? undefined
          : options.constraint!.allowed(row.state);
        const u = temperature === 0 ? 0 : row.prng.float();
        const pick = pickToken(logits.subarray(logitRow[i] * V, (logitRow[i] + 1) * V), u, {
          temperature,
          topP,
          allowed,
        });
        c.tokenIds.push(pick.token);
        c.logprobs.push(pick.logprob);
        c.samplingLogprobs.push(pick.samplingLogprob);
        if (row.state !== undefined) row.state = options.constraint!.advance(row.state, pick.token);
        if (eos.has(pick.token)) c.finishReason = "eos";
        else if (c.tokenIds.length < maxNew) keep.push(i);
      });
      if (keep.length === 0) break;
      if (keep.length < active.length) {
        session.keepRows(keep);
        active = keep.map((i) => active[i]);
      }
      logits = await session.step(
        active.map((r) => rows[r].completion.tokenIds.at(-1)!),
        active.map((r) => rows[r].position++),
      ); // (A, V)
      logitRow = active.map((_, i) => i);
      timing.steps++;
    }
  } finally {
    session.dispose();
  }
  const t2 = performance.now();
  timing.prefillMs = t1 - t0;
  timing.decodeMs = t2 - t1;
  timing.newTokens = rows.reduce((s, r) => s + r.completion.tokenIds.length, 0);
  timing.tokensPerSecond = timing.newTokens / ((t2 - t0) / 1000);
  return { completions: rows.map((r) => r.completion), timing };
}
