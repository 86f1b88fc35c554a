// `convrec pretrain`: next-token pretraining of the built-in base on the generated corpus into
// runs/<name>/ (config.json, metrics.jsonl, checkpoints/, final/); --resume continues exactly from the
// last checkpoint; --export DIR ships the final weights with a README (e.g. data/models/builtin-base).

import { join } from "node:path";
import { z } from "zod";
import { vegaMoviesPath } from "../data/world/mod.ts";
import {
  BACKEND_USAGE,
  CLI_BACKENDS,
  resolveCliBackend,
  wasmDir,
  withBackendPermissions,
} from "./backend_option.ts";
import { reporter } from "../notebook/progress.ts";
import { parsePretrainConfig, pretrainPreset } from "../train/pretrain/config.ts";
import { exportModelFolder, rebuildCommand } from "../train/run/export_model.ts";
import { type PretrainResult, runPretrain } from "../train/pretrain/trainer.ts";
import { flag, optionArgv, type RawOptions } from "./args.ts";
import { type Command, jsonCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";

/** Usage text of `convrec pretrain`. */
export const PRETRAIN_USAGE = `convrec pretrain --run NAME [options]

  --run NAME           run folder runs/NAME (config.json, metrics.jsonl, checkpoints/, final/)
  --preset NAME        base (the shipped builtin-base) | smoke (seconds; for tests) (default base)
  --resume             continue runs/NAME from its last checkpoint
  --export DIR         after the last step, copy final/ to DIR with README.md and build.json
  --documents N        training documents of the corpus   --corpus-seed N
  --seed N  ${BACKEND_USAGE}
  --lr X  --batch-size N  --seq-len N  --max-steps N  --eval-every N  --save-every N`;

const num = z.coerce.number();
const int = z.coerce.number().int();

/** Options of `convrec pretrain` (strict: a misspelt option fails). */
export const PretrainOptionsSchema = z.strictObject({
  run: z.string().regex(/^[A-Za-z0-9._-]+$/, "a run name of letters, digits, . _ -"),
  preset: z.enum(["base", "smoke"]).default("base"),
  resume: flag.optional(),
  export: z.string().min(1).optional(),
  documents: int.positive().optional(),
  "corpus-seed": int.min(0).optional(),
  seed: int.min(0).optional(),
  backend: z.enum(CLI_BACKENDS).optional(),
  lr: num.positive().optional(),
  "batch-size": int.positive().optional(),
  "seq-len": int.positive().optional(),
  "max-steps": int.positive().optional(),
  "eval-every": int.min(0).optional(),
  "save-every": int.positive().optional(),
});
/** Parsed options of `convrec pretrain`. */
export type PretrainCommandOptions = z.infer<typeof PretrainOptionsSchema>;

/**
 * Reads the movie catalog (and wasm binaries or OpenBLAS); writes only runs/NAME and --export's folder.
 * @example
 * ```ts
 * const write = pretrainPermissions({ run: "p", backend: "wasm" }).write;
 * if (write.join() !== "runs/p/config.json") throw new Error(write.join());
 * ```
 */
export function pretrainPermissions(
  raw: RawOptions,
): { read: string[]; write: string[]; ffi?: string[]; env?: string[] } {
  const run = typeof raw.run === "string" ? raw.run : "_";
  const read = [vegaMoviesPath(), wasmDir()];
  const write = [join("runs", run, "config.json")];
  // --export DIR is written as a sibling temp folder renamed over DIR: grant DIR's parent
  if (typeof raw.export === "string") write.push(join(raw.export, "README.md"), raw.export);
  return withBackendPermissions(raw, { read, write });
}

/**
 * Runs pretraining from command-line options (preset, then explicit options on top), then exports.
 * @example Type-checked only (a pretraining run)
 * ```ts
 * import { parseOptions } from "./args.ts";
 *
 * async function _pretrain(): Promise<string | null> {
 *   const opts = parseOptions(PretrainOptionsSchema, { run: "p", preset: "smoke" });
 *   return (await runPretrainCommand(opts)).exported;
 * }
 * ```
 */
export async function runPretrainCommand(
  opts: PretrainCommandOptions,
  argv: readonly string[] = [],
  log: (line: string) => void = console.error,
): Promise<PretrainResult & { exported: string | null }> {
  const preset = pretrainPreset(opts.preset);
  const corpus = {
    ...(preset.corpus ?? {}),
    ...(opts.documents !== undefined ? { documents: opts.documents } : {}),
    ...(opts["corpus-seed"] !== undefined ? { seed: opts["corpus-seed"] } : {}),
  };
  const explicit = Object.fromEntries(
    Object.entries({
      seed: opts.seed,
      backend: resolveCliBackend(opts.backend),
      lr: opts.lr,
      batch_size: opts["batch-size"],
      seq_len: opts["seq-len"],
      max_steps: opts["max-steps"],
      eval_every: opts["eval-every"],
      save_every: opts["save-every"],
    }).filter(([, v]) => v !== undefined),
  );
  const config = parsePretrainConfig({
    ...preset,
    corpus,
    run_dir: join("runs", opts.run),
    ...explicit,
  }, "convrec pretrain options");
  const onStep = reporter({ label: "pretrain", write: log });
  const result = await runPretrain(config, { resume: opts.resume ?? false, onStep, log });
  let exported: string | null = null;
  if (opts.export !== undefined && result.finalDir !== null) {
    const rec = await exportModelFolder(config.run_dir, opts.export, {
      command: rebuildCommand("pretrain", argv),
      title: `${opts.export.split("/").at(-1)}: the built-in base model`,
      trainTokens: result.trainTokens,
    });
    log(`pretrain: exported ${opts.export} (sha256 ${rec.sha256})`);
    exported = opts.export;
  }
  return { ...result, exported };
}

/** `convrec pretrain`. */
export const command: Command = jsonCommand({
  usage: PRETRAIN_USAGE,
  permissions: pretrainPermissions,
  schema: PretrainOptionsSchema,
  run: (opts, raw) => runPretrainCommand(opts, optionArgv(raw)),
});

if (import.meta.main) await runAsChild("pretrain", command);
