// Per-rank rewards from hits (paper.md §3): exp∞ (r_k = rel_k), log (r_k = DCG@k:N, the causal
// DCG from rank k on), exp_Γ (r_k = Σ_{j≥k} rel_j / Γ^(j−k)); and the sequence DCG@N of vanilla GRPO.

/** Which per-rank reward: `exp_inf`, `log`, or `exp` with a finite Γ > 0. */
export type RewardSpec =
  | { kind: "exp_inf" }
  | { kind: "log" }
  | { kind: "exp"; gamma: number };

/**
 * Parses the CLI/config spelling of a reward: `exp_inf`, `log`, or `exp:<Γ>` (Γ > 0; `exp:inf` = exp_inf).
 * @example parseRewardSpec("exp:2") // { kind: "exp", gamma: 2 }
 */
export function parseRewardSpec(text: string): RewardSpec {
  if (text === "exp_inf" || text === "exp:inf") return { kind: "exp_inf" };
  if (text === "log") return { kind: "log" };
  const m = /^exp:(.+)$/.exec(text);
  if (m !== null) {
    const gamma = Number(m[1]);
    if (Number.isFinite(gamma) && gamma > 0) return { kind: "exp", gamma };
  }
  throw new Error(
    `reward "${text}": expected exp_inf, log, or exp:<Γ> with Γ a positive number (e.g. exp:2)`,
  );
}

/** The spelling {@link parseRewardSpec} reads. */
export function formatRewardSpec(spec: RewardSpec): string {
  return spec.kind === "exp" ? `exp:${spec.gamma}` : spec.kind;
}

/**
 * Rank discounts d_1 = 1, d_j = 1/log2(j+1) (1-based), as a length-N array.
 * @example discounts(3) // Float64Array [1, 0.6309…, 0.5]
 */
export function discounts(n: number): Float64Array {
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = i === 0 ? 1 : 1 / Math.log2(i + 2);
  return d;
}

/**
 * Per-rank returns r_1..r_N for one list of hits.
 * @example rankReturns(Uint8Array.of(0, 1, 1), { kind: "exp", gamma: 2 }) // Float64Array [0.75, 1.5, 1]
 */
export function rankReturns(
  hits: ArrayLike<number>,
  spec: RewardSpec,
  out: Float64Array = new Float64Array(hits.length),
): Float64Array {
  const n = hits.length;
  if (spec.kind === "exp_inf") {
    for (let k = 0; k < n; k++) out[k] = hits[k];
    return out;
  }
  let acc = 0;
  if (spec.kind === "log") {
    // The authors' arithmetic, so the floats agree bit for bit: total = numpy's (pairwise) sum of
    // the gains, r_k = total − (sequential prefix sum of gains before k).
    const total = numpySum(hits, n);
    for (let k = 0; k < n; k++) {
      out[k] = total - acc;
      acc += hits[k] * discount(k);
    }
    return out;
  }
  const inv = 1 / spec.gamma;
  for (let k = n - 1; k >= 0; k--) {
    acc = hits[k] + acc * inv;
    out[k] = acc;
  }
  return out;
}

const DISCOUNT_TABLE = discounts(64);

function discount(i: number): number {
  return i < 64 ? DISCOUNT_TABLE[i] : 1 / Math.log2(i + 2);
}

/** numpy's float64 `sum` of hits·d (pairwise: 8 partial sums for 8 ≤ n ≤ 128, as numpy does). */
function numpySum(hits: ArrayLike<number>, n: number): number {
  if (n < 8 || n > 128) {
    let s = 0;
    for (let j = 0; j < n; j++) s += hits[j] * discount(j);
    return s;
  }
  let r0 = hits[0] * discount(0), r1 = hits[1] * discount(1), r2 = hits[2] * discount(2);
  let r3 = hits[3] * discount(3), r4 = hits[4] * discount(4), r5 = hits[5] * discount(5);
  let r6 = hits[6] * discount(6), r7 = hits[7] * discount(7);
  let i = 8;
  for (; i < n - (n % 8); i += 8) {
    r0 += hits[i] * discount(i);
    r1 += hits[i + 1] * discount(i + 1);
    r2 += hits[i + 2] * discount(i + 2);
    r3 += hits[i + 3] * discount(i + 3);
    r4 += hits[i + 4] * discount(i + 4);
    r5 += hits[i + 5] * discount(i + 5);
    r6 += hits[i + 6] * discount(i + 6);
    r7 += hits[i + 7] * discount(i + 7);
  }
  let s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
  for (; i < n; i++) s += hits[i] * discount(i);
  return s;
}

/**
 * Sequence DCG@N = Σ_j rel_j·d_j: the one reward of vanilla GRPO.
 * @example sequenceDcg(Uint8Array.of(1, 0, 1)) // 1 + 0.5
 */
export function sequenceDcg(hits: ArrayLike<number>): number {
  return numpySum(hits, hits.length);
}

/**
 * Batch form over a G×N row-major hits array (RL scores every rollout): returns G×N rewards.
 * @example rankReturnsBatch(new Uint8Array(8 * 20), 20, { kind: "log" }).length // 160
 */
export function rankReturnsBatch(
  hits: Uint8Array,
  n: number,
  spec: RewardSpec,
): Float64Array {
  if (hits.length % n !== 0) {
    throw new Error(`hits length ${hits.length} is not a multiple of N=${n}`);
  }
  const out = new Float64Array(hits.length);
  for (let row = 0; row < hits.length; row += n) {
    rankReturns(hits.subarray(row, row + n), spec, out.subarray(row, row + n));
  }
  return out;
}
