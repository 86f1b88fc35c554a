// One generate call's decoder state behind four moves — prefill, copy rows for samples, drop finished rows,
// step — on one of two engines: tfjs tensors (decode_forward.ts, any backend) or plain arrays with a
// preallocated KV cache (array_decode.ts, sgemm on OpenBLAS where the active backend has it).
import * as tf from "@tensorflow/tfjs";
import { backendBlas } from "../blas/blas_backend.ts";
import { disposeKvCache, type KvCache } from "../decoder.ts";
import {
  arrayDecodeForward,
  arrayDecodeWeights,
  type ArrayKvCache,
  copyArrayKvRows,
  createArrayKvCache,
  plainSgemm,
  type Sgemm,
} from "./array_decode.ts";
import { decodeForward, selectCacheRows } from "./decode_forward.ts";
import type { DecodeWeights } from "./decode_weights.ts";

/**
 * Which decoder runs generation: "tfjs" (tensor ops on the active backend), "arrays" (plain-array
 * decoder; OpenBLAS sgemm when the active backend is a BLAS backend, else a JS loop), or "auto" (arrays
 * on a BLAS backend, tfjs elsewhere — wasm's XNNPACK matMuls beat a JS loop).
 */
export type DecodeEngine = "auto" | "tfjs" | "arrays";

/** The decoder state of one generate call. Row order is the caller's: logits row i is active row i. */
export interface DecodeSession {
  /** which engine runs, after resolving "auto" */
  engine: "tfjs" | "arrays";
  /** Left-padded prompts (B rows of L; row b has `pad[b]` padding tokens first) → logits (B, V). */
  prefill(ids: readonly (readonly number[])[], pad: readonly number[]): Promise<Float32Array>;
  /** Replace the rows by copies: new row i is old row `sources[i]` (e.g. G samples per prompt). */
  copyRows(sources: readonly number[]): void;
  /** Keep only the rows at `indices` (increasing), in that order. */
  keepRows(indices: readonly number[]): void;
  /** One new token per row at RoPE position `positions[i]` → logits (rows, V). */
  step(tokens: readonly number[], positions: readonly number[]): Promise<Float32Array>;
  /** Free the cache. */
  dispose(): void;
}

/**
 * Open a session on `dw` for prompts of at most `maxPromptTokens` plus `maxNewTokens` new ones.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "../checkpoint.ts";
 * import { prepareDecodeWeights } from "./decode_weights.ts";
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const dw = prepareDecodeWeights(weights, config);
 * const s = openDecodeSession(dw, { engine: "auto", maxPromptTokens: 3, maxNewTokens: 8 });
 * const logits = await s.prefill([[0, 5, 9]], [1]); // (1, V): one left-padding token
 * s.dispose();
 * if (logits.length !== config.vocab_size) throw new Error(`${logits.length}`);
 * ```
 */
export function openDecodeSession(
  dw: DecodeWeights,
  options: { engine?: DecodeEngine; maxPromptTokens: number; maxNewTokens: number },
): DecodeSession {
  const engine = options.engine ?? "auto";
  const blas = backendBlas(tf.getBackend());
  if (engine === "tfjs" || (engine === "auto" && !blas)) return tfjsSession(dw);
  const sgemm: Sgemm = blas ? blas.sgemm : plainSgemm;
  return arraySession(dw, options.maxPromptTokens + options.maxNewTokens, sgemm);
}

function tfjsSession(dw: DecodeWeights): DecodeSession {
  let cache: KvCache | undefined;
  let keyValid: boolean[][] = [];
  const readLogits = async (t: tf.Tensor) => {
    const data = await t.data() as Float32Array;
    t.dispose();
    return data;
  };
  const replace = (next: KvCache) => {
    if (cache) disposeKvCache(cache);
    cache = next;
  };
  return {
    engine: "tfjs",
    prefill(ids, pad) {
      const L = ids[0]?.length ?? 0;
      keyValid = ids.map((_, b) => Array.from({ length: L }, (_, t) => t >= pad[b]));
      const out = decodeForward(dw, ids, {
        keyValid,
        positions: ids.map((_, b) => Array.from({ length: L }, (_, t) => Math.max(0, t - pad[b]))),
      });
      replace(out.cache);
      return readLogits(out.logits);
    },
    copyRows(sources) {
      replace(selectCacheRows(cache!, sources));
      keyValid = sources.map((s) => [...keyValid[s]]);
    },
    keepRows(indices) {
      replace(selectCacheRows(cache!, indices));
      keyValid = indices.map((i) => keyValid[i]);
    },
    step(tokens, positions) {
      keyValid.forEach((k) => k.push(true));
      const out = decodeForward(dw, tokens.map((t) => [t]), {
        cache,
        keyValid,
        positions: positions.map((p) => [p]),
      });
      replace(out.cache);
      return readLogits(out.logits);
    },
    dispose() {
      if (cache) disposeKvCache(cache);
      cache = undefined;
    },
  };
}

function arraySession(dw: DecodeWeights, capacity: number, sgemm: Sgemm): DecodeSession {
  const aw = arrayDecodeWeights(dw);
  let cache: ArrayKvCache | undefined;
  let rows = new Int32Array(0); // physical cache row of each active row
  return {
    engine: "arrays",
    prefill(ids, pad) {
      const B = ids.length, L = ids[0]?.length ?? 0;
      cache = createArrayKvCache(aw.config, B, capacity);
      rows = Int32Array.from({ length: B }, (_, b) => b);
      const flat = new Int32Array(B * L), positions = new Int32Array(B * L);
      const valid = new Uint8Array(B * L);
      ids.forEach((row, b) => {
        if (row.length !== L) {
          throw new Error(
            `lib/model/generate/decode_session.ts: prefill row ${b}: ${row.length} ids, expected ${L}`,
          );
        }
        row.forEach((id, t) => {
          flat[b * L + t] = id;
          positions[b * L + t] = Math.max(0, t - pad[b]);
          valid[b * L + t] = t >= pad[b] ? 1 : 0;
        });
      });
      return Promise.resolve(
        arrayDecodeForward(aw, cache, { rows, ids: flat, positions, valid }, sgemm),
      );
    },
    copyRows(sources) {
      cache = copyArrayKvRows(aw.config, cache!, sources.map((s) => rows[s]));
      rows = Int32Array.from({ length: sources.length }, (_, i) => i);
    },
    keepRows(indices) {
      rows = Int32Array.from(indices, (i) => rows[i]); // finished rows stay in memory, unused
    },
    step(tokens, positions) {
      return Promise.resolve(arrayDecodeForward(aw, cache!, {
        rows,
        ids: Int32Array.from(tokens),
        positions: Int32Array.from(positions),
        valid: new Uint8Array(tokens.length).fill(1),
      }, sgemm));
    },
    dispose() {
      cache = undefined;
    },
  };
}
