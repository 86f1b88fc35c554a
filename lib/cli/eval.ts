// `convrec eval`: evaluates a checkpoint folder on a whole split (greedy lists scored with lib/reward) and
// scores the popularity reference on exactly the same rows; prints (and optionally writes) one JSON object.

import { dirname, join } from "node:path";
import { z } from "zod";
import { loadCatalog } from "../catalog/catalog.ts";
import { writeFileAtomic } from "../data/atomic_write.ts";
import type { ConversationRecord } from "../data/record.ts";
import { readRecords } from "../data/read_records.ts";
import { DEFAULT_WORLD_DIR } from "../data/world/write_world.ts";
import type { BackendName } from "../model/backend_names.ts";
import {
  CLI_BACKENDS,
  resolveCliBackend,
  wasmDir,
  withBackendPermissions,
} from "./backend_option.ts";
import { popularityReference } from "../report/popularity_reference.ts";
import { tfjsOnDeno } from "../runtime/tfjs_env.ts";
import { acquireRunLock, RUN_LOCK_FILE, runFolderOf } from "../train/run/run_lock.ts";
import { evalCheckpoint } from "../train/eval/eval_checkpoint.ts";
import { EVAL_DECODINGS, type EvalDecoding, type EvalMetrics } from "../train/eval/evaluate.ts";
import { intList, type RawOptions } from "./args.ts";
import { type Command, jsonCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";

/** Default split, catalog and popularity source: the built-in world (`convrec world`). */
const WORLD = DEFAULT_WORLD_DIR;

/** Usage text of `convrec eval`. */
export const EVAL_USAGE = `convrec eval --checkpoint DIR [options]

  --checkpoint DIR        checkpoint folder (config.json, model.safetensors, tokenizer.json), e.g.
                          runs/NAME/checkpoints/step-N from \`convrec sft\` or \`convrec rl\`
  --data F                records to evaluate (.jsonl, .json or HF datasets folder)
                          (default ${WORLD}/val.jsonl)
  --catalog F             catalog CSV (default ${WORLD}/catalog.csv)
  --train F               records whose ground truth ranks the popularity reference
                          (default ${WORLD}/train.jsonl)
  --k LIST                cutoffs for Recall/NDCG (default 5,10,15,20)
  --max-new-tokens N      generation length (default 320)
  --max-prompt-tokens N   prompts longer than this are cut from the left (default 192)
  --batch-size N          conversations decoded together (default 16)
  --conversations N       only the first N conversations (default all)
  --decoding NAME         ${EVAL_DECODINGS.join(" | ")} (default greedy: unconstrained, as
                          in the paper; the catalog ones constrain each line to a catalog item)
  --backend NAME          ${CLI_BACKENDS.join(" | ")} (default auto: cpu-blas when OpenBLAS
                          loads, else wasm)
  --out F                 also write the JSON result here (atomically)
Prints one JSON object: the model's metrics, the popularity reference's recall@k / ndcg@k on the same
rows, and ratio_ndcg20 = model NDCG@20 / popularity NDCG@20 (null when --k lacks 20 or popularity is 0).
Example: convrec eval --checkpoint runs/sft/checkpoints/step-400 --conversations 200 --out runs/sft/eval_val.json`;

const int = z.coerce.number().int();

/** Options of `convrec eval` (strict: a misspelt option fails). */
export const EvalOptionsSchema = z.strictObject({
  checkpoint: z.string({
    error: "expected a checkpoint folder (e.g. runs/NAME/checkpoints/step-N)",
  })
    .min(1),
  data: z.string().default(`${WORLD}/val.jsonl`),
  catalog: z.string().default(`${WORLD}/catalog.csv`),
  train: z.string().default(`${WORLD}/train.jsonl`),
  k: intList.default([5, 10, 15, 20]),
  "max-new-tokens": int.positive().default(320),
  "max-prompt-tokens": int.positive().default(192),
  "batch-size": int.positive().default(16),
  conversations: int.positive().optional(),
  decoding: z.enum(EVAL_DECODINGS).default("greedy"),
  backend: z.enum(CLI_BACKENDS).default("auto").transform(resolveCliBackend),
  out: z.string().optional(),
});
/** Parsed options of `convrec eval`. */
export type EvalCommandOptions = z.infer<typeof EvalOptionsSchema>;

/** What `convrec eval` prints (and writes with --out). */
export interface EvalReport {
  checkpoint: string;
  data: string;
  catalog: string;
  train: string;
  /** Rows scored (every row of the evaluated conversations). */
  rows: number;
  conversations: number;
  decoding: EvalDecoding;
  backend: BackendName;
  /** The model's metrics from `evalGeneration` (recall@k, ndcg@k, in_catalog, …). */
  metrics: EvalMetrics;
  /** The popularity reference on the same rows: recall@k and ndcg@k for each k. */
  popularity: Record<string, number>;
  /** Model NDCG@20 / popularity NDCG@20; null when 20 is not a cutoff or popularity NDCG@20 is 0. */
  ratio_ndcg20: number | null;
}

/**
 * Reads the checkpoint (and its run folder's run.lock), records, catalog and wasm binaries; writes
 * only --out; for --backend cpu-blas also reads and loads OpenBLAS (FFI) and reads env
 * OPENBLAS_NUM_THREADS.
 * @example
 * ```ts
 * const perms = evalPermissions({ checkpoint: "ck", out: "e.json", backend: "wasm" });
 * if (perms.write.join() !== "e.json" || perms.ffi !== undefined) {
 *   throw new Error(perms.write.join());
 * }
 * ```
 */
export function evalPermissions(
  raw: RawOptions,
): { read: string[]; write: string[]; ffi?: string[]; env?: string[] } {
  const str = (k: string, d?: string) =>
    typeof raw[k] === "string" ? [raw[k] as string] : d === undefined ? [] : [d];
  const run = typeof raw.checkpoint === "string" ? runFolderOf(raw.checkpoint) : null;
  const read = [
    ...str("checkpoint"),
    ...(run === null ? [] : [join(run, RUN_LOCK_FILE)]),
    ...str("data", `${WORLD}/val.jsonl`),
    ...str("catalog", `${WORLD}/catalog.csv`),
    ...str("train", `${WORLD}/train.jsonl`),
    wasmDir(),
  ];
  const write = str("out");
  return withBackendPermissions(raw, { read, write });
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Fails early, naming the path and the fix, when an input is missing. */
async function checkInputs(opts: EvalCommandOptions): Promise<void> {
  const ck = opts.checkpoint;
  const st = await statOrNull(ck);
  if (st === null || !st.isDirectory) {
    throw new Error(
      `--checkpoint ${ck}: ${st === null ? "no such folder" : "not a folder"} (expected a ` +
        `checkpoint folder with config.json, model.safetensors and tokenizer.json, e.g. ` +
        `runs/NAME/checkpoints/step-N written by \`convrec sft\` or \`convrec rl\`)`,
    );
  }
  for (const file of ["config.json", "tokenizer.json"]) {
    if (await statOrNull(`${ck}/${file}`) === null) {
      throw new Error(
        `--checkpoint ${ck}: ${file} missing (a checkpoint folder holds config.json, the weights ` +
          `and the tokenizer files; copy tokenizer.json and tokenizer_config.json in, or pick a ` +
          `runs/NAME/checkpoints/step-N folder)`,
      );
    }
  }
  const inputs = [["data", opts.data], ["catalog", opts.catalog], ["train", opts.train]] as const;
  for (const [name, path] of inputs) {
    if (await statOrNull(path) === null) {
      const fix = path.startsWith(`${WORLD}/`)
        ? `run \`convrec world\` to write the built-in world to ${WORLD}/, or pass --${name} F`
        : `pass --${name} with an existing path`;
      throw new Error(`--${name} ${path}: no such file or folder (${fix})`);
    }
  }
}

async function readAll(path: string): Promise<ConversationRecord[]> {
  const out: ConversationRecord[] = [];
  for await (const r of readRecords(path)) out.push(r.record);
  return out;
}

/**
 * Evaluates `--checkpoint` on `--data` with `evalCheckpoint` and scores the popularity reference
 * (ranked by ground-truth counts in `--train`) on the same rows; writes `--out` atomically if given.
 * @example Type-checked only (it needs a trained checkpoint and decodes with the model)
 * ```ts
 * import { parseOptions } from "./args.ts";
 *
 * async function _eval(): Promise<void> {
 *   const checkpoint = "runs/a/checkpoints/step-9";
 *   const report = await runEvalCommand(parseOptions(EvalOptionsSchema, { checkpoint }));
 *   console.log(report);
 * }
 * ```
 */
export async function runEvalCommand(
  opts: EvalCommandOptions,
  log: (line: string) => void = console.error,
): Promise<EvalReport> {
  await tfjsOnDeno();
  await checkInputs(opts);
  // a reader of the run folder: beside other evaluations, never beside its trainer (which may prune
  // the checkpoint); fails at once naming the trainer
  const run = runFolderOf(opts.checkpoint);
  await using _lock = run === null ? null : await acquireRunLock(run, { shared: true });
  const catalog = await loadCatalog(opts.catalog);
  const popularity = popularityReference(await readAll(opts.data), await readAll(opts.train), {
    catalog,
    ks: opts.k,
    conversations: opts.conversations,
  });
  log(
    `eval: ${opts.checkpoint} on ${opts.data}: ${popularity.conversations} conversations, ` +
      `${popularity.rows} rows (${opts.backend}, ${opts.decoding})`,
  );
  const t0 = performance.now();
  const { metrics, decoding } = await evalCheckpoint(opts.checkpoint, {
    val: opts.data,
    catalog: opts.catalog,
    ks: opts.k,
    maxNewTokens: opts["max-new-tokens"],
    maxPromptTokens: opts["max-prompt-tokens"],
    batchSize: opts["batch-size"],
    conversations: opts.conversations,
    backend: opts.backend,
    decoding: opts.decoding,
  });
  log(`eval: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (metrics.rows !== popularity.rows || metrics.conversations !== popularity.conversations) {
    throw new Error(
      `lib/cli/eval.ts: rows: model scored ${metrics.rows} rows / ${metrics.conversations} ` +
        `conversations, popularity ${popularity.rows} / ${popularity.conversations}; expected equal`,
    );
  }
  const pop20 = popularity.metrics["ndcg@20"];
  const report: EvalReport = {
    checkpoint: opts.checkpoint,
    data: opts.data,
    catalog: opts.catalog,
    train: opts.train,
    rows: metrics.rows,
    conversations: metrics.conversations,
    decoding,
    backend: opts.backend,
    metrics,
    popularity: popularity.metrics,
    ratio_ndcg20: pop20 === undefined || pop20 === 0 ? null : metrics["ndcg@20"] / pop20,
  };
  if (opts.out !== undefined) {
    await Deno.mkdir(dirname(opts.out), { recursive: true });
    await writeFileAtomic(opts.out, JSON.stringify(report, null, 2) + "\n");
  }
  return report;
}

/** `convrec eval`. */
export const command: Command = jsonCommand({
  usage: EVAL_USAGE,
  permissions: evalPermissions,
  schema: EvalOptionsSchema,
  run: (opts) => runEvalCommand(opts),
});

if (import.meta.main) await runAsChild("eval", command);
