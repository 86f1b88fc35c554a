// The Remap embedding over an OpenAI-compatible `/embeddings` endpoint: wraps the client's cached,
// batched `embed` call into an {@link Embedder} (rows L2-normalised here; endpoints differ on that).
import { type Embedder, normalizeRows, stackRows } from "./embedder.ts";

/**
 * An embedder over any `embed(texts) → vectors` call (e.g. `openaiTeacher(config).embed`). The width is
 * learned from the first answer; later answers of another width fail with both widths named.
 *
 * @example
 * ```ts
 * // any `embed(texts) → vectors` call, e.g. `openaiTeacher(config).embed`; here a fixed one
 * const call = (texts: readonly string[]) => Promise.resolve(texts.map(() => Float32Array.of(3, 4)));
 * const emb = endpointEmbedder(call, { name: "fixed" });
 * const m = await emb.embed(["Heat (1995)"]); // rows L2-normalised: [0.6, 0.8]
 * if (emb.dim !== 2 || Math.abs(m[0] - 0.6) > 1e-6) throw new Error(`${m}`);
 * ```
 */
export function endpointEmbedder(
  embedCall: (texts: readonly string[]) => Promise<Float32Array[]>,
  options: { readonly name: string; readonly dim?: number },
): Embedder & { readonly dim: number } {
  let dim = options.dim ?? 0;
  const self = {
    name: `endpoint:${options.name}`,
    get dim() {
      return dim;
    },
    embed: async (texts: readonly string[]): Promise<Float32Array> => {
      if (texts.length === 0) return new Float32Array(0);
      const rows = await embedCall(texts);
      if (rows.length !== texts.length) {
        throw new Error(
          `lib/distill/embed/endpoint_embedder.ts: embed: expected ${texts.length} vectors, got ${rows.length}`,
        );
      }
      if (dim === 0) dim = rows[0].length;
      return normalizeRows(stackRows(rows, dim), dim);
    },
  };
  return self;
}
