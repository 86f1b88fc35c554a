// Gate for the fused typed-array ops (fused_*.ts): they run only when the active tfjs backend is cpu-blas,
// so cpu and wasm keep the stock tfjs compositions bit for bit. computePaths().blasLegacy keeps the older set.
import * as tf from "@tensorflow/tfjs";
import { BLAS_BACKEND_NAME } from "../backend_names.ts";
import { computePaths } from "../compute_paths.ts";

/** Fused ops added after the first two (cross-entropy, causal softmax); off under computePaths().blasLegacy. */
export type NewFusedOp = "attention" | "rmsnorm" | "swiglu" | "rope";

/**
 * True when a bench asked for the older cpu-blas path (`setComputePaths({ blasLegacy: true })`): the
 * backend then runs the kernels and fused ops it had before the fused attention/RMSNorm/SwiGLU/RoPE and
 * the polynomial exp — for before/after speed comparisons in one process. Read on every call.
 *
 * @example
 * ```ts
 * if (legacyBlasPath()) console.log("legacy BLAS path"); // false unless setComputePaths({ blasLegacy: true })
 * ```
 */
export function legacyBlasPath(): boolean {
  return computePaths().blasLegacy;
}

/**
 * True when the active tfjs backend is the cpu-blas backend, whose tensors live in JS typed arrays and
 * where the fused ops are faster than the stock compositions they replace. With `op`, also false for
 * that newer fused op under {@link legacyBlasPath}.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * await tf.setBackend("cpu");
 * if (fusedOpsActive()) throw new Error("the fused ops are for cpu-blas only");
 * // in a model: fusedOpsActive("rmsnorm") ? fusedRmsNorm(x, w, eps) : stockRmsNorm(x, w, eps)
 * ```
 */
export function fusedOpsActive(op?: NewFusedOp): boolean {
  if (tf.getBackend() !== BLAS_BACKEND_NAME) return false;
  return op === undefined || !legacyBlasPath();
}
