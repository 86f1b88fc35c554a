// Seeded pseudo-random numbers for the built-in world: xoshiro128** seeded by a splitmix32-style mixer, with
// `fork(label)` deriving independent named sub-streams. Not part of the paper; lib never uses Math.random.

/** A seeded random stream. Draws advance its private state; `fork` does not. */
export interface Prng {
  /** The next raw 32-bit unsigned integer. */
  nextU32(): number;
  /** A float in [0, 1) with 32 bits of randomness. */
  float(): number;
  /** An integer in [0, n) (n ≥ 1). */
  int(n: number): number;
  /** A standard normal draw (Box–Muller). */
  normal(): number;
  /** A new stream whose seed depends only on this stream's seed and `label`, not on draws so far. */
  fork(label: string | number): Prng;
}

/**
 * One splitmix32-style step (golden-ratio increment, murmur3 finalizer): returns [output, nextState].
 * Used to expand a 32-bit seed into xoshiro's 128-bit state.
 *
 * @example
 * ```ts
 * const [out, next] = splitmix32(42);
 * if (out !== splitmix32(42)[0] || next === 42) throw new Error("splitmix32 is a pure step");
 * ```
 */
export function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/**
 * FNV-1a 32-bit hash of a string (used to turn fork labels into seeds).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(fnv1a32(""), 0x811c9dc5); // the FNV offset basis
 * strictEqual(fnv1a32("train"), fnv1a32("train")); // a fixed 32-bit integer
 * ```
 */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Create a xoshiro128** stream from a 32-bit integer seed (any integer; it is taken modulo 2^32).
 *
 * @example
 * ```ts
 * const prng = createPrng(7);
 * const u = prng.float(); // same value for every run with seed 7
 * const users = prng.fork("users"); // an independent sub-stream
 * if (u !== createPrng(7).float() || u < 0 || u >= 1) throw new Error("seeded float in [0, 1)");
 * if (users.float() !== createPrng(7).fork("users").float()) throw new Error("fork is seeded");
 * ```
 */
export function createPrng(seed: number): Prng {
  if (!Number.isFinite(seed)) {
    throw new Error(
      `lib/data/prng.ts: createPrng: seed: expected a finite number, got ${seed}`,
    );
  }
  const seed32 = Math.trunc(seed) >>> 0;
  const s = new Uint32Array(4);
  let st = seed32;
  for (let i = 0; i < 4; i++) {
    const [out, next] = splitmix32(st);
    s[i] = out;
    st = next;
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // xoshiro must not start from the all-zero state
  let spareNormal: number | null = null;

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const float = (): number => nextU32() / 4294967296;
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`lib/data/prng.ts: int: n: expected an integer ≥ 1, got ${n}`);
    }
    return Math.floor(float() * n);
  };
  const normal = (): number => {
    if (spareNormal !== null) {
      const v = spareNormal;
      spareNormal = null;
      return v;
    }
    const u1 = 1 - float(); // (0, 1]
    const u2 = float();
    const r = Math.sqrt(-2 * Math.log(u1));
    spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
  const fork = (label: string | number): Prng => {
    const [mixed] = splitmix32((seed32 ^ fnv1a32(String(label))) >>> 0);
    return createPrng((mixed ^ Math.imul(seed32, 0x27d4eb2d)) >>> 0);
  };
  return { nextU32, float, int, normal, fork };
}

/**
 * One uniformly chosen element of a non-empty array.
 *
 * @example
 * ```ts
 * const x = pick(createPrng(1), ["a", "b", "c"]);
 * if (!["a", "b", "c"].includes(x)) throw new Error(x);
 * ```
 */
export function pick<T>(prng: Prng, items: readonly T[]): T {
  if (items.length === 0) {
    throw new Error("lib/data/prng.ts: pick: items: expected a non-empty array");
  }
  return items[prng.int(items.length)];
}

/**
 * A shuffled copy (Fisher–Yates).
 *
 * @example
 * ```ts
 * const xs = shuffled(createPrng(1), [1, 2, 3]);
 * if ([...xs].sort().join() !== "1,2,3") throw new Error(`not a permutation: ${xs}`);
 * ```
 */
export function shuffled<T>(prng: Prng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = prng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * An integer uniformly in [lo, hi] inclusive.
 *
 * @example
 * ```ts
 * const n = intBetween(createPrng(1), 1, 5); // 1..5 inclusive
 * if (!Number.isInteger(n) || n < 1 || n > 5) throw new Error(`${n}`);
 * ```
 */
export function intBetween(prng: Prng, lo: number, hi: number): number {
  return lo + prng.int(hi - lo + 1);
}
