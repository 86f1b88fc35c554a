// Adjust (paper.md §5 step 3): per-item w, b ∈ R^|C|, s_final = w ⊙ s + b, fitted on TRAIN ground truth
// by the multinomial likelihood with penalties 0.01‖w−1‖² + 0.01‖b‖², by full-batch L-BFGS (memory 10,
// Armijo backtracking) until the gradient's max-norm < tol — the objective is convex. Departure: the
// softmax runs over each conversation's N_r candidates (the items Reflect rated), not all of C: outside
// them s_reflect has no rating, so they are masked (−∞); ground truth outside the candidates is counted
// ("uncovered") and left out of the likelihood. The paper does not state its optimiser or epochs.

/** Training data: one row per record (a record's candidates, their scores, its ground truth). */
export interface AdjustRow {
  /** (N_r) catalog indices of the candidates. */
  readonly candidates: Int32Array;
  /** (N_r) s_reflect (or s_remap when Reflect is off). */
  readonly scores: Float64Array;
  /** Positions into `candidates` of the record's ground-truth items (uncovered ones left out). */
  readonly positives: readonly number[];
}

/** Options of {@link fitAdjust}. */
export interface AdjustOptions {
  /** Penalty on ‖w − 1‖². @default 0.01 */
  readonly l2w?: number;
  /** Penalty on ‖b‖². @default 0.01 */
  readonly l2b?: number;
  /**
   * `mean`: the negative log-likelihood averaged over training records, so the stated penalties act as a
   * real regulariser whatever the data size; `sum`: summed (the penalties then vanish next to ~10³+
   * records and per-item b overfits — measured in data/README.md). The paper does not say. @default "mean"
   */
  readonly reduction?: "sum" | "mean";
  /** Iteration cap. @default 200 */
  readonly maxIter?: number;
  /** Stop when max|∇| < tol. @default 1e-5 */
  readonly tol?: number;
  /** L-BFGS memory. @default 10 */
  readonly memory?: number;
}

/** Fitted parameters and the optimiser's trace. */
export interface AdjustFit {
  /** (C) */
  readonly w: Float64Array;
  /** (C) */
  readonly b: Float64Array;
  /** Objective after each iteration (index 0 = at w=1, b=0). */
  readonly losses: number[];
  /** max|∇| at the end. */
  readonly gradMax: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * The objective and its gradient at θ = [w; b] (length 2C).
 *
 * @example
 * ```ts
 * // two candidates of a 3-item catalog, the first one positive
 * const rows = [{ candidates: Int32Array.of(0, 1), scores: Float64Array.of(1, 0), positives: [0] }];
 * const { loss, grad } = adjustObjective(new Float64Array(6), rows, 3, {}); // θ = [w (3), b (3)]
 * if (!(loss > 0) || grad.length !== 6) throw new Error(`loss ${loss}, ${grad.length} grads`);
 * ```
 */
export function adjustObjective(
  theta: Float64Array,
  rows: readonly AdjustRow[],
  nItems: number,
  options: AdjustOptions = {},
): { loss: number; grad: Float64Array } {
  const l2w = options.l2w ?? 0.01;
  const l2b = options.l2b ?? 0.01;
  const scale = options.reduction === "sum" ? 1 : 1 / Math.max(1, rows.length);
  const grad = new Float64Array(2 * nItems); // (2C) = [dw; db]
  let nll = 0;
  for (const row of rows) {
    const m = row.positives.length;
    if (m === 0) continue;
    const n = row.candidates.length;
    const s = new Float64Array(n); // (N_r) s_final
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      const c = row.candidates[j];
      s[j] = theta[c] * row.scores[j] + theta[nItems + c];
      if (s[j] > max) max = s[j];
    }
    let z = 0;
    for (let j = 0; j < n; j++) z += Math.exp(s[j] - max);
    const logZ = max + Math.log(z);
    for (const p of row.positives) nll -= s[p] - logZ;
    for (let j = 0; j < n; j++) {
      const c = row.candidates[j];
      const d = scale * m * Math.exp(s[j] - logZ); // ∂/∂s_j of m·logZ
      grad[c] += d * row.scores[j];
      grad[nItems + c] += d;
    }
    for (const p of row.positives) {
      const c = row.candidates[p];
      grad[c] -= scale * row.scores[p];
      grad[nItems + c] -= scale;
    }
  }
  let pen = 0;
  for (let c = 0; c < nItems; c++) {
    const dw = theta[c] - 1;
    const b = theta[nItems + c];
    pen += l2w * dw * dw + l2b * b * b;
    grad[c] += 2 * l2w * dw;
    grad[nItems + c] += 2 * l2b * b;
  }
  return { loss: scale * nll + pen, grad };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Fits w, b by full-batch L-BFGS from w = 1, b = 0. Deterministic (no randomness).
 *
 * @example
 * ```ts
 * const rows = [{ candidates: Int32Array.of(0, 1), scores: Float64Array.of(1, 0), positives: [0] }];
 * const fit = fitAdjust(rows, 3);
 * fit.converged; // true when max|∇| < tol
 * if (!fit.converged) throw new Error(`not converged after ${fit.iterations} iterations`);
 * ```
 */
export function fitAdjust(
  rows: readonly AdjustRow[],
  nItems: number,
  options: AdjustOptions = {},
): AdjustFit {
  const maxIter = options.maxIter ?? 200;
  const tol = options.tol ?? 1e-5;
  const memory = options.memory ?? 10;
  const theta = new Float64Array(2 * nItems);
  theta.fill(1, 0, nItems);
  let { loss, grad } = adjustObjective(theta, rows, nItems, options);
  const losses = [loss];
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  let iterations = 0;
  while (iterations < maxIter && maxAbs(grad) >= tol) {
    // two-loop recursion: d = −H∇
    const q = Float64Array.from(grad);
    const alpha: number[] = [];
    for (let i = S.length - 1; i >= 0; i--) {
      const a = dot(S[i], q) / dot(Y[i], S[i]);
      alpha[i] = a;
      for (let j = 0; j < q.length; j++) q[j] -= a * Y[i][j];
    }
    const gamma = S.length > 0
      ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1])
      : 1 / Math.max(1e-12, Math.sqrt(dot(grad, grad)));
    for (let j = 0; j < q.length; j++) q[j] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const beta = dot(Y[i], q) / dot(Y[i], S[i]);
      for (let j = 0; j < q.length; j++) q[j] += S[i][j] * (alpha[i] - beta);
    }
    const d = q.map((v) => -v);
    let slope = dot(grad, d);
    if (!(slope < 0)) { // not a descent direction: reset memory, take steepest descent
      S.length = 0;
      Y.length = 0;
      for (let j = 0; j < d.length; j++) d[j] = -grad[j];
      slope = -dot(grad, grad);
    }
    let step = 1;
    let next = theta.map((v, j) => v + step * d[j]);
    let trial = adjustObjective(next, rows, nItems, options);
    while (trial.loss > loss + 1e-4 * step * slope && step > 1e-12) {
      step *= 0.5;
      next = theta.map((v, j) => v + step * d[j]);
      trial = adjustObjective(next, rows, nItems, options);
    }
    if (step <= 1e-12) break; // no progress possible at float precision
    const s = next.map((v, j) => v - theta[j]);
    const y = trial.grad.map((v, j) => v - grad[j]);
    if (dot(s, y) > 1e-12) {
      S.push(s);
      Y.push(y);
      if (S.length > memory) S.shift(), Y.shift();
    }
    theta.set(next);
    loss = trial.loss;
    grad = trial.grad;
    losses.push(loss);
    iterations++;
  }
  const gradMax = maxAbs(grad);
  return {
    w: theta.slice(0, nItems),
    b: theta.slice(nItems),
    losses,
    gradMax,
    iterations,
    converged: gradMax < tol,
  };
}

/**
 * s_final = w ⊙ s + b over one conversation's candidates, shape (N_r).
 *
 * @example
 * ```ts
 * const rows = [{ candidates: Int32Array.of(0, 1), scores: Float64Array.of(1, 0), positives: [0] }];
 * const fit = fitAdjust(rows, 3);
 * const adjusted = applyAdjust(fit, Int32Array.of(0, 1), Float64Array.of(1, 0)); // w·s + b per item
 * if (!(adjusted[0] > adjusted[1])) throw new Error(`${adjusted}`);
 * ```
 */
export function applyAdjust(
  fit: Pick<AdjustFit, "w" | "b">,
  candidates: Int32Array,
  scores: Float64Array,
): Float64Array {
  return Float64Array.from(scores, (s, j) => fit.w[candidates[j]] * s + fit.b[candidates[j]]);
}
