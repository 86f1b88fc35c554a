// exp(x) by range reduction (x = k·ln2 + r, |r| ≤ ln2/2) and a degree-7 polynomial for the fused cpu-blas
// kernels: ~1e-8 relative error in float64 (far below float32 rounding), 0/Infinity/NaN like Math.exp.

/** 2^k for k in [-1074, 1023] as float64 (index k + 1074); read-only after construction. */
const POW2 = Float64Array.from({ length: 2098 }, (_, i) => 2 ** (i - 1074));
const LOG2E = 1.4426950408889634;
const LN2_HI = 0.6931471803691238; // ln 2 split so that k·LN2_HI is exact for |k| < 2^20
const LN2_LO = 1.9082149292705877e-10;
/** Above this exp overflows float64 (Math.exp gives Infinity). */
const EXP_MAX = 709.782712893384;
/** Below this exp underflows to 0 in float64. */
const EXP_MIN = -745.1332191019412;

/**
 * e^x with ≤ ~1e-8 relative error (float64), exact special cases: exp(−Infinity) = 0,
 * exp(+Infinity) = Infinity, exp(NaN) = NaN; 0 below −745.13, Infinity above 709.78.
 * Faster than Math.exp in V8's hot loops (no libm call; inlined).
 *
 * @example
 * ```ts
 * if (Math.abs(fastExp(1) - Math.E) > 1e-6) throw new Error(`${fastExp(1)}`); // 2.718281828...
 * if (fastExp(-Infinity) !== 0) throw new Error("exp(-∞) = 0");
 * ```
 */
export function fastExp(x: number): number {
  if (!(x >= EXP_MIN)) return x !== x ? x : 0; // NaN stays NaN; −Infinity and deep underflow → 0
  if (x > EXP_MAX) return Infinity;
  const k = Math.floor(x * LOG2E + 0.5);
  const r = (x - k * LN2_HI) - k * LN2_LO; // |r| ≤ ~0.347
  // Taylor to r^7: truncation ≤ 0.347^8/8! ≈ 5e-9 relative
  const p = 1 +
    r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r / 5040))))));
  // 2^k in two factors at the ends: subnormal results (k < −1022) stay accurate, 2^1024 is not a float64
  if (k < -1022) return (p * POW2[k + 1074 + 60]) * POW2[1074 - 60];
  return k > 1023 ? (p * 2) * POW2[k + 1073] : p * POW2[k + 1074];
}
