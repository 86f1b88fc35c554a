// Evaluate a saved checkpoint folder (weights + its tokenizer) on val records: greedy lists (optionally
// catalog-constrained, beyond the paper) scored with lib/reward, one generation per unique conversation.
import { loadCatalog } from "../../catalog/catalog.ts";
import type { ConversationRecord } from "../../data/record.ts";
import { readRecords } from "../../data/read_records.ts";
import { type BackendName, useBackend } from "../../model/backend.ts";
import { loadCheckpoint } from "../../model/checkpoint.ts";
import { loadTokenizer } from "../../model/tokenizer/load.ts";
import { disposeWeights } from "../../model/weights.ts";
import { type EvalDecoding, evalGeneration, type EvalGenerationResult } from "./evaluate.ts";

/** Options of {@link evalCheckpoint}. */
export interface EvalCheckpointOptions {
  val: string;
  catalog: string;
  /** @default [5, 10, 20] */
  ks?: number[];
  /** @default 320 */
  maxNewTokens?: number;
  /** @default 192 */
  maxPromptTokens?: number;
  /** @default 16 */
  batchSize?: number;
  /** first N conversations @default all */
  conversations?: number | null;
  /** @default "wasm" */
  backend?: BackendName;
  /** greedy, or greedy constrained to the catalog (see EvalDecoding) @default "greedy" */
  decoding?: EvalDecoding;
}

/**
 * Load `dir` (an HF folder with tokenizer files, e.g. runs/a/checkpoints/step-100) and evaluate it.
 *
 * @example The shipped builtin-sft on the CLI fixtures (--allow-read)
 * ```ts
 * import { fileURLToPath } from "node:url";
 * const at = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
 * const { metrics, texts } = await evalCheckpoint(at("data/models/builtin-sft"), {
 *   val: at("tests/fixtures/cli/records.jsonl"),
 *   catalog: at("tests/fixtures/cli/catalog.csv"),
 *   conversations: 1,
 *   maxNewTokens: 24,
 *   backend: "cpu",
 * });
 * if (texts.length !== 1 || !(metrics["ndcg@20"] >= 0)) throw new Error(JSON.stringify(metrics));
 * ```
 */
export async function evalCheckpoint(
  dir: string,
  options: EvalCheckpointOptions,
): Promise<EvalGenerationResult> {
  await useBackend(options.backend ?? "wasm");
  const tokenizer = await loadTokenizer(dir);
  const catalog = await loadCatalog(options.catalog);
  const records: ConversationRecord[] = [];
  for await (const r of readRecords(options.val)) records.push(r.record);
  const { config, weights } = await loadCheckpoint(dir);
  try {
    return await evalGeneration(weights, config, tokenizer, records, {
      catalog,
      ks: options.ks ?? [5, 10, 20],
      maxNewTokens: options.maxNewTokens ?? 320,
      maxPromptTokens: options.maxPromptTokens ?? 192,
      batchSize: options.batchSize ?? 16,
      conversations: options.conversations,
      decoding: options.decoding,
    });
  } finally {
    disposeWeights(weights);
  }
}
