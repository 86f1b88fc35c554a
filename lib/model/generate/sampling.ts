// Picks the next token of one row from its logits: greedy (temperature 0) or temperature + nucleus (top-p)
// sampling, optionally restricted to allowed ids; reports the policy log-prob and the sampler's log-prob.

/** How to pick a token. */
export interface SamplingOptions {
  /** 0 = greedy (argmax, seed ignored); > 0 divides the logits @default 1 */
  temperature?: number;
  /** keep the smallest set of most likely tokens whose mass reaches topP (0 < topP ≤ 1) @default 1 */
  topP?: number;
}

/** One picked token and its log-probabilities. */
export interface Pick {
  token: number;
  /**
   * log softmax(logits)[token] over the whole vocabulary at temperature 1: log πθ(token | prefix), the
   * quantity RL objectives need (no temperature, top-p or constraint applied).
   */
  logprob: number;
  /**
   * log q(token), q the distribution actually sampled from (temperature, top-p and the allowed set
   * applied, renormalised); 0 for greedy.
   */
  samplingLogprob: number;
}

/** Check sampling options; throws naming the bad field. */
export function checkSamplingOptions(options: SamplingOptions): Required<SamplingOptions> {
  const temperature = options.temperature ?? 1, topP = options.topP ?? 1;
  if (!(Number.isFinite(temperature) && temperature >= 0)) {
    throw new Error(
      `lib/model/generate/sampling.ts: temperature: expected a number ≥ 0, got ${temperature}`,
    );
  }
  if (!(topP > 0 && topP <= 1)) {
    throw new Error(`lib/model/generate/sampling.ts: topP: expected 0 < topP ≤ 1, got ${topP}`);
  }
  return { temperature, topP };
}

/**
 * log Σ exp(logits) over the whole row (max-shifted).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(logSumExp(Float32Array.from([0, 0])), Math.log(2));
 * ```
 */
export function logSumExp(logits: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return max + Math.log(sum);
}

/**
 * Pick the next token from one row of logits (length V). `uniform` is a draw in [0, 1) from the row's own
 * seeded stream (unused when greedy); `allowed` restricts the choice (every id must be < V; non-empty).
 * Ties in greedy go to the lowest id; top-p keeps every token whose probability equals the cut-off.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(pickToken(Float32Array.from([0, 3, 1]), 0.5, { temperature: 0 }).token, 1); // greedy
 * ```
 */
export function pickToken(
  logits: ArrayLike<number>,
  uniform: number,
  options: SamplingOptions & { allowed?: readonly number[] } = {},
): Pick {
  const { temperature, topP } = checkSamplingOptions(options);
  const V = logits.length;
  const ids = options.allowed ?? Array.from({ length: V }, (_, i) => i);
  if (ids.length === 0) {
    throw new Error("lib/model/generate/sampling.ts: allowed: expected at least one id");
  }
  const lse = logSumExp(logits);
  let best = ids[0];
  for (const id of ids) {
    if (logits[id] > logits[best] || (logits[id] === logits[best] && id < best)) best = id;
  }
  if (temperature === 0) return { token: best, logprob: logits[best] - lse, samplingLogprob: 0 };

  // q ∝ exp((logit - max) / temperature) over the allowed ids
  const max = logits[best];
  const weights = ids.map((id) => Math.exp((logits[id] - max) / temperature));
  const total = weights.reduce((s, w) => s + w, 0);
  let keep = ids.map((_, j) => j);
  if (topP < 1) {
    const sorted = keep.slice().sort((a, b) => weights[b] - weights[a] || ids[a] - ids[b]);
    let mass = 0, cut = 0;
    while (cut < sorted.length && mass < topP * total) mass += weights[sorted[cut++]];
    const threshold = weights[sorted[cut - 1]];
    keep = sorted.filter((j) => weights[j] >= threshold); // ties with the cut-off stay in
  }
  const kept = keep.reduce((s, j) => s + weights[j], 0);
  let r = uniform * kept, chosen = keep[keep.length - 1];
  for (const j of keep) {
    r -= weights[j];
    if (r < 0) {
      chosen = j;
      break;
    }
  }
  const token = ids[chosen];
  return { token, logprob: logits[token] - lse, samplingLogprob: Math.log(weights[chosen] / kept) };
}
