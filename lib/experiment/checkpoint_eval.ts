// Greedy evaluation of a checkpoint folder on a record file (e.g. the test split), cached per checkpoint
// contents, records, catalog and settings: one list per unique conversation, paper.md §6 metrics.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { loadCatalog } from "../catalog/catalog.ts";
import type { ConversationRecord } from "../data/record.ts";
import { readRecords } from "../data/read_records.ts";
import { sha256Hex } from "../distill/teacher/response_cache.ts";
import { type BackendName, useBackend } from "../model/backend.ts";
import { loadCheckpoint } from "../model/checkpoint.ts";
import { loadTokenizer } from "../model/tokenizer/load.ts";
import { disposeWeights } from "../model/weights.ts";
import { evalGeneration, type EvalMetrics } from "../train/eval/evaluate.ts";
import { cached, codeVersion } from "./cache.ts";

/** What a greedy evaluation reads and how it decodes. */
export interface GreedyEvalSettings {
  /** records to score (JSONL, JSON array or HF datasets folder), e.g. the test split */
  records: string;
  /** catalog CSV for the in-catalog share and hits */
  catalog: string;
  backend: BackendName;
  /** most new tokens per list */
  maxNewTokens: number;
  /** prompts longer than this are cut from the left (as in training) */
  maxPromptTokens: number;
  /** @default 16 */
  batchSize?: number;
  /** @default [5, 10, 20] */
  ks?: number[];
  /** only the first N unique conversations; @default all */
  conversations?: number | null;
}

/** A finished evaluation: the checkpoint, its metrics and the decoded lists (one per conversation). */
export interface CheckpointEval {
  checkpoint: string;
  /** EvalMetrics: recall@k, ndcg@k, in_catalog, format_violations, conversations, rows, … */
  metrics: EvalMetrics;
  texts: string[];
  wall_s: number;
}

/** Name, size and modification time of every file in `dir` (a checkpoint's identity on disk). */
async function folderFingerprint(dir: string): Promise<[string, number, number][]> {
  const names = (await readdir(dir)).sort();
  const out: [string, number, number][] = [];
  for (const name of names) {
    const s = await stat(join(dir, name));
    if (s.isFile()) out.push([name, s.size, s.mtimeMs]);
  }
  return out;
}

/** SHA-256 of a file's text, or of a folder's file listing (HF datasets folders). */
async function fileHash(path: string): Promise<string> {
  const s = await stat(path);
  if (s.isDirectory()) return await sha256Hex(JSON.stringify(await folderFingerprint(path)));
  return await sha256Hex(await Deno.readTextFile(path));
}

/**
 * Greedy-decodes one list per unique conversation of `settings.records` with the checkpoint in `dir`
 * (HF layout + tokenizer) and scores it against every row that shares it.
 * @example Type-checked only (it needs a trained checkpoint and decodes with the model)
 * ```ts
 * async function _ndcg20(checkpoint: string): Promise<number> {
 *   const r = await greedyEval(checkpoint, { // e.g. "runs/cache/sft-…/checkpoints/step-6"
 *     records: "test.jsonl",
 *     catalog: "catalog.csv",
 *     backend: "wasm",
 *     maxNewTokens: 24,
 *     maxPromptTokens: 96,
 *   });
 *   return r.metrics["ndcg@20"];
 * }
 * ```
 */
export async function greedyEval(
  dir: string,
  settings: GreedyEvalSettings,
): Promise<CheckpointEval> {
  const t0 = performance.now();
  await useBackend(settings.backend);
  const tokenizer = await loadTokenizer(dir);
  const catalog = await loadCatalog(settings.catalog);
  const records: ConversationRecord[] = [];
  for await (const r of readRecords(settings.records)) records.push(r.record);
  const { config, weights } = await loadCheckpoint(dir);
  try {
    const { metrics, texts } = await evalGeneration(weights, config, tokenizer, records, {
      catalog,
      ks: settings.ks ?? [5, 10, 20],
      maxNewTokens: settings.maxNewTokens,
      maxPromptTokens: settings.maxPromptTokens,
      batchSize: settings.batchSize ?? 16,
      conversations: settings.conversations ?? null,
    });
    return { checkpoint: dir, metrics, texts, wall_s: (performance.now() - t0) / 1000 };
  } finally {
    disposeWeights(weights);
  }
}

/**
 * {@link greedyEval}, served from `cacheDir` when the same checkpoint files (names, sizes, times),
 * records, catalog, settings and code version were evaluated before.
 * @example Type-checked only (it needs a trained checkpoint and decodes with the model)
 * ```ts
 * async function _eval(checkpoint: string, test: string, catalog: string) {
 *   const settings = { records: test, catalog, backend: "wasm" as const, maxNewTokens: 24 };
 *   return await cachedGreedyEval(checkpoint, { ...settings, maxPromptTokens: 96 }, {
 *     cacheDir: "runs/cache",
 *   });
 * }
 * ```
 */
export async function cachedGreedyEval(
  dir: string,
  settings: GreedyEvalSettings,
  opts: { cacheDir: string; log?: (line: string) => void; version?: string },
): Promise<CheckpointEval> {
  const version = opts.version ?? await codeVersion();
  const key = {
    what: "greedy-eval",
    checkpoint: dir,
    checkpoint_files: await folderFingerprint(dir),
    records_sha256: await fileHash(settings.records),
    catalog_sha256: await fileHash(settings.catalog),
    settings,
  };
  return await cached(key, opts.cacheDir, () => greedyEval(dir, settings), {
    version,
    log: opts.log,
  });
}
