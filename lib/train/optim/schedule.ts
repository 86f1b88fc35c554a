// Learning-rate schedules: linear warm-up then cosine decay to a floor (the paper's SFT: cosine, 5%
// warm-up), and a constant rate (the paper's RL). Pure functions of the optimizer step.

/** Options of {@link cosineWithWarmup}. */
export interface CosineScheduleOptions {
  /** peak learning rate, reached at the end of warm-up */
  peakLr: number;
  /** optimizer steps in the whole run */
  totalSteps: number;
  /** warm-up steps (linear from peakLr/warmupSteps at step 1 to peakLr) @default 0 */
  warmupSteps?: number;
  /** floor of the cosine as a fraction of peakLr @default 0 */
  minLrRatio?: number;
}

/**
 * Learning rate of optimizer step `step` (1-based): `peakLr·step/warmup` during warm-up, then
 * `min + (peak − min)·(1 + cos(π·progress))/2` with progress from 0 (after warm-up) to 1 (last step).
 *
 * @example
 * ```ts
 * const o = { peakLr: 1e-3, totalSteps: 100, warmupSteps: 5 };
 * if (Math.abs(cosineWithWarmup(1, o) - 2e-4) > 1e-12) {
 *   throw new Error("step 1 of 5 warm-up: peak/5");
 * }
 * if (cosineWithWarmup(5, o) !== 1e-3) throw new Error("end of warm-up: peak");
 * if (Math.abs(cosineWithWarmup(100, o)) > 1e-12) throw new Error("last step: the floor, 0");
 * ```
 */
export function cosineWithWarmup(step: number, options: CosineScheduleOptions): number {
  const { peakLr, totalSteps } = options;
  const warmup = options.warmupSteps ?? 0;
  const minLr = peakLr * (options.minLrRatio ?? 0);
  if (!(Number.isInteger(step) && step >= 1)) {
    throw new Error(`lib/train/optim/schedule.ts: step: expected an integer ≥ 1, got ${step}`);
  }
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1) || warmup < 0 || warmup > totalSteps) {
    throw new Error(
      `lib/train/optim/schedule.ts: expected 0 ≤ warmupSteps (${warmup}) ≤ totalSteps (${totalSteps}), totalSteps ≥ 1`,
    );
  }
  if (step <= warmup) return peakLr * step / warmup;
  const span = totalSteps - warmup;
  const progress = span <= 1 ? 1 : Math.min(1, (step - warmup - 1) / (span - 1));
  return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/**
 * Warm-up steps for a ratio of the run (rounded up, so any positive ratio warms up at least one step).
 *
 * @example
 * ```ts
 * if (warmupStepsFor(0.05, 1500) !== 75) throw new Error("5% of 1500 steps");
 * ```
 */
export function warmupStepsFor(ratio: number, totalSteps: number): number {
  return Math.min(totalSteps, Math.ceil(ratio * totalSteps));
}
