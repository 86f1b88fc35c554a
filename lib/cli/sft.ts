// `convrec sft`: completion-only SFT of the decoder on records with `completion`, into runs/<name>/
// (config.json, metrics.jsonl, checkpoints/step-N/); --resume continues exactly from the last checkpoint.

import { basename, join } from "node:path";
import { z } from "zod";
import {
  BACKEND_USAGE,
  CLI_BACKENDS,
  resolveCliBackend,
  wasmDir,
  withBackendPermissions,
} from "./backend_option.ts";
import { BUILTIN_BASE_DIR } from "../model/builtin_base.ts";
import { vegaMoviesPath } from "../data/world/mod.ts";
import { reporter } from "../notebook/progress.ts";
import { parseSftConfig, SFT_MODEL_PRESETS } from "../train/sft/config.ts";
import { EXPERIMENT_PRESET_NAMES, renamedPresetMessage, sftPreset } from "../experiment/presets.ts";
import { runSft, type SftResult } from "../train/sft/trainer.ts";
import { readStepRows } from "../train/run/metrics_log.ts";
import { exportModelFolder, rebuildCommand } from "../train/run/export_model.ts";
import { writeWorldSftInputs } from "../train/sft/world_demos.ts";
import { flag, optionArgv, type RawOptions, UsageError } from "./args.ts";
import { type Command, jsonCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";

/** Usage text of `convrec sft`. */
export const SFT_USAGE =
  `convrec sft --run NAME (--data F --val F --catalog F --tokenizer DIR | --standin DIR) [options]

  --run NAME              run folder runs/NAME (config.json, metrics.jsonl, checkpoints/)
  --data F                training records with "completion" (.jsonl, .json or HF datasets folder)
  --val F                 validation records (val loss needs "completion"; metrics use ground truth)
  --catalog F             catalog CSV (title,year,…)
  --tokenizer DIR         tokenizer folder (tokenizer.json, tokenizer_config.json)
  --standin DIR           STAND-IN data: write (or reuse) the built-in world with oracle completions in
                          DIR and train on it (until the distillation pipeline provides demonstrations)
  --init DIR              start from an HF checkpoint folder (default: the shipped base model,
                          data/models/builtin-base, with --preset default)
  --from-scratch          start from fresh weights of --model instead (seeded by --seed)
  --model NAME            ${
    SFT_MODEL_PRESETS.join(" | ")
  }: the from-scratch model size (default builtin-small)
  --preset NAME           training settings of an experiment preset: ${
    EXPERIMENT_PRESET_NAMES.join(" | ")
  } (default default)
  --resume                continue runs/NAME from its last checkpoint
  --export DIR            after the last step, ship its checkpoint to DIR in BF16 with README.md and
                          build.json (rebuild command, config, steps, wall time, losses, sha256)
  --seed N  ${BACKEND_USAGE}
  --lr X  --batch-size N  --grad-accum N  --epochs X  --max-steps N
  --max-seq-len N  --warmup-ratio X  --weight-decay X  --max-grad-norm X
  --eval-every N          greedy val evaluation every N steps and after the last step; 0 = only
                          after the last step (default: the preset's)
  --eval-conversations N  --save-every N  --max-bad-steps N
  --unlikelihood-weight X item-level unlikelihood weight α (beyond the paper): loss = CE + α·UL, UL
                          penalising tokens that would repeat an item already listed (default 0: plain CE)`;

const num = z.coerce.number();
const int = z.coerce.number().int();

/** Options of `convrec sft` (strict: a misspelt option fails). */
export const SftOptionsSchema = z.strictObject({
  run: z.string().regex(/^[A-Za-z0-9._-]+$/, "a run name of letters, digits, . _ -"),
  data: z.string().optional(),
  val: z.string().optional(),
  catalog: z.string().optional(),
  tokenizer: z.string().optional(),
  standin: z.string().optional(),
  init: z.string().optional(),
  "from-scratch": flag.optional(),
  model: z.enum(SFT_MODEL_PRESETS).optional(),
  preset: z.enum(EXPERIMENT_PRESET_NAMES, { error: (iss) => renamedPresetMessage(iss.input) })
    .default("default"),
  resume: flag.optional(),
  seed: int.min(0).optional(),
  backend: z.enum(CLI_BACKENDS).optional(),
  lr: num.positive().optional(),
  "batch-size": int.positive().optional(),
  "grad-accum": int.positive().optional(),
  epochs: num.positive().optional(),
  "max-steps": int.positive().optional(),
  "max-seq-len": int.positive().optional(),
  "warmup-ratio": num.min(0).max(1).optional(),
  "weight-decay": num.min(0).optional(),
  "max-grad-norm": num.positive().optional(),
  "eval-every": int.min(0).optional(),
  "eval-conversations": int.positive().optional(),
  "save-every": int.positive().optional(),
  "max-bad-steps": int.positive().optional(),
  "unlikelihood-weight": num.min(0).optional(),
  export: z.string().min(1).optional(),
});
/** Parsed options of `convrec sft`. */
export type SftCommandOptions = z.infer<typeof SftOptionsSchema>;

/**
 * Reads the inputs and the wasm binaries; writes only runs/NAME (and the stand-in folder if asked).
 * @example
 * ```ts
 * const perms = sftPermissions({ run: "a", data: "t.jsonl", backend: "wasm" });
 * if (perms.write.join() !== "runs/a/config.json") throw new Error(perms.write.join());
 * if (perms.read[0] !== "t.jsonl") throw new Error(perms.read.join());
 * ```
 */
export function sftPermissions(
  raw: RawOptions,
): { read: string[]; write: string[]; ffi?: string[]; env?: string[] } {
  const str = (k: string) => (typeof raw[k] === "string" ? [raw[k] as string] : []);
  const run = typeof raw.run === "string" ? raw.run : "_";
  const read = [
    ...["data", "val", "catalog", "tokenizer", "init"].flatMap(str),
    BUILTIN_BASE_DIR,
    wasmDir(),
    ...(typeof raw.standin === "string" ? [vegaMoviesPath()] : []),
  ];
  const write = [
    join("runs", run, "config.json"),
    ...str("standin").map((d) => join(d, "train.jsonl")),
    // --export DIR is written as a sibling temp folder renamed over DIR: grant DIR and a file in it
    ...str("export").flatMap((d) => [join(d, "README.md"), d]),
  ];
  // OpenBLAS through FFI (auto, cpu-blas): load (and look for) the library; threads from the env
  return withBackendPermissions(raw, { read, write });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Runs SFT from command-line options (preset settings, then explicit options on top); with --export
 * DIR, ships the last checkpoint as a BF16 model folder with README.md and build.json (`argv`, the
 * command's options, goes into the README as the rebuild command).
 * @example Type-checked only (an SFT training run)
 * ```ts
 * import { parseOptions } from "./args.ts";
 *
 * async function _sft(): Promise<void> {
 *   const raw = { run: "smoke", standin: "/tmp/w", preset: "smoke" };
 *   await runSftCommand(parseOptions(SftOptionsSchema, raw));
 * }
 * ```
 */
export async function runSftCommand(
  opts: SftCommandOptions,
  argv: readonly string[] = [],
  log: (line: string) => void = console.error,
): Promise<SftResult & { exported: string | null }> {
  let paths = { data: opts.data, val: opts.val, catalog: opts.catalog, tokenizer: opts.tokenizer };
  if (opts.standin !== undefined) {
    if (Object.values(paths).some((p) => p !== undefined)) {
      throw new UsageError(
        "--standin replaces --data/--val/--catalog/--tokenizer; give one or the other",
      );
    }
    const dir = opts.standin;
    const ready = await exists(join(dir, "tokenizer", "tokenizer.json")) &&
      await exists(join(dir, "train.jsonl"));
    const world = opts.preset === "smoke" ? { conversations: { train: 40, val: 8, test: 2 } } : {};
    paths = ready
      ? {
        data: join(dir, "train.jsonl"),
        val: join(dir, "val.jsonl"),
        catalog: join(dir, "catalog.csv"),
        tokenizer: join(dir, "tokenizer"),
      }
      : await writeWorldSftInputs(dir, world);
    log(`sft: STAND-IN data (world records + oracle completions) in ${dir}`);
  }
  for (const [k, v] of Object.entries(paths)) {
    if (v === undefined) throw new UsageError(`--${k} is required (or --standin DIR)`);
  }
  if (opts["from-scratch"] && opts.init !== undefined) {
    throw new UsageError("--from-scratch and --init exclude each other; give one");
  }
  const explicit = Object.fromEntries(
    Object.entries({
      init: opts["from-scratch"] ? null : opts.init,
      model: opts.model,
      seed: opts.seed,
      backend: resolveCliBackend(opts.backend),
      lr: opts.lr,
      batch_size: opts["batch-size"],
      grad_accum: opts["grad-accum"],
      epochs: opts.epochs,
      max_steps: opts["max-steps"],
      max_seq_len: opts["max-seq-len"],
      warmup_ratio: opts["warmup-ratio"],
      weight_decay: opts["weight-decay"],
      max_grad_norm: opts["max-grad-norm"],
      eval_every: opts["eval-every"],
      eval_conversations: opts["eval-conversations"],
      save_every: opts["save-every"],
      max_bad_steps: opts["max-bad-steps"],
      unlikelihood_weight: opts["unlikelihood-weight"],
    }).filter(([, v]) => v !== undefined),
  );
  const config = parseSftConfig({
    ...sftPreset(opts.preset),
    ...paths,
    run_dir: join("runs", opts.run),
    ...explicit,
  }, "convrec sft options");
  const onStep = reporter({ label: "sft", write: log });
  const result = await runSft(config, { resume: opts.resume ?? false, onStep, log });
  if (opts.export === undefined || result.stopped) return { ...result, exported: null };
  const { rows } = await readStepRows(join(config.run_dir, "metrics.jsonl"));
  const rec = await exportModelFolder(config.run_dir, opts.export, {
    command: rebuildCommand("sft", argv),
    title: `${basename(opts.export)}: an SFT student of the built-in world`,
    trainTokens: rows.filter((r) => r.phase === "train")
      .reduce((s, r) => s + Number(r.loss_tokens ?? 0), 0),
    source: join("checkpoints", `step-${result.step}`),
    notes: sftExportNotes(result),
  });
  log(`sft: exported ${opts.export} (sha256 ${rec.sha256})`);
  return { ...result, exported: opts.export };
}

/** The README lines of an exported student: its last greedy val evaluation. */
function sftExportNotes(result: SftResult): string {
  const e = result.lastEval;
  if (e === null) return "No greedy val evaluation ran (`--eval-conversations`).";
  const f = (k: string) => Number(e[k]).toFixed(4);
  return `Greedy val evaluation after the last step (${e.conversations} conversations, ${e.rows} rows, ` +
    `unconstrained decoding): NDCG@20 ${f("ndcg@20")}, Recall@20 ${f("recall@20")}, in-catalog ` +
    `${f("in_catalog")}, val loss ${f("loss")} nats/token.`;
}

/** `convrec sft`. */
export const command: Command = jsonCommand({
  usage: SFT_USAGE,
  permissions: sftPermissions,
  schema: SftOptionsSchema,
  run: (opts, raw) => runSftCommand(opts, optionArgv(raw)),
});

if (import.meta.main) await runAsChild("sft", command);
