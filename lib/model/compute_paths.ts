// Which implementation of a step the process runs, for before/after speed comparisons in one process:
// the current paths by default, an earlier one only when a bench (or a test) asks for it in code. No
// environment variable switches compute paths; the benches map their own BENCH_* flags onto this.

/** The switchable paths; every one is false (the current path) unless set. */
export interface ComputePaths {
  /** cpu-blas runs the kernels and fused ops it had before fused attention/RMSNorm/SwiGLU/RoPE and the
   * polynomial exp (lib/model/blas/fused_kernels.ts) */
  blasLegacy: boolean;
  /** losses that would take logits at selected rows ({@link forwardRows}) take them at every position */
  fullLogits: boolean;
  /** AdamW and the global gradient norm run as a chain of tf ops instead of over typed arrays */
  optimLegacy: boolean;
}

const CURRENT: ComputePaths = { blasLegacy: false, fullLogits: false, optimLegacy: false };
const active: ComputePaths = { ...CURRENT };

/**
 * The paths in force now (read on every call by the code that branches on them).
 *
 * @example
 * ```ts
 * if (computePaths().fullLogits) console.log("logits at every position");
 * ```
 */
export function computePaths(): Readonly<ComputePaths> {
  return active;
}

/**
 * Sets some paths (the rest keep their value); `resetComputePaths` goes back to the current ones.
 *
 * @example
 * ```ts
 * setComputePaths({ blasLegacy: true });
 * if (!computePaths().blasLegacy) throw new Error("set");
 * resetComputePaths();
 * ```
 */
export function setComputePaths(paths: Partial<ComputePaths>): void {
  for (const [key, value] of Object.entries(paths)) {
    if (!(key in CURRENT) || typeof value !== "boolean") {
      throw new Error(
        `lib/model/compute_paths.ts: setComputePaths: ${key}=${value}: expected one of ` +
          `${Object.keys(CURRENT).join(", ")} set to true or false`,
      );
    }
  }
  Object.assign(active, paths);
}

/** Every path back to the current implementation. */
export function resetComputePaths(): void {
  Object.assign(active, CURRENT);
}

/**
 * Runs `fn` with `paths` set, restoring the previous paths afterwards (also when it throws).
 *
 * @example
 * ```ts
 * const full = await withComputePaths({ fullLogits: true }, () => computePaths().fullLogits); // true
 * if (!full || computePaths().fullLogits) throw new Error("set inside the call only");
 * ```
 */
export async function withComputePaths<T>(
  paths: Partial<ComputePaths>,
  fn: () => T | Promise<T>,
): Promise<T> {
  const before = { ...active };
  setComputePaths(paths);
  try {
    return await fn();
  } finally {
    Object.assign(active, before);
  }
}
