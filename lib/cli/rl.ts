// `convrec rl`: GRPO / GSPO / Rank-GRPO from an SFT checkpoint into runs/<name>/ (config.json,
// metrics.jsonl, checkpoints/step-N/); --resume continues exactly from the last checkpoint.

import { join } from "node:path";
import { z } from "zod";
import {
  BACKEND_USAGE,
  CLI_BACKENDS,
  resolveCliBackend,
  wasmDir,
  withBackendPermissions,
} from "./backend_option.ts";
import { reporter } from "../notebook/progress.ts";
import { tfjsOnDeno } from "../runtime/tfjs_env.ts";
import { RATIO_LEVEL_NAMES, RL_ALGOS } from "../train/rl/algo_config.ts";
import { OBJECTIVE_SETTINGS, parseRlRunConfig, type RlRunConfig } from "../train/rl_loop/config.ts";
import { RL_PRESETS, rlPreset } from "../train/rl_loop/presets.ts";
import { type RlResult, runRl } from "../train/rl_loop/trainer.ts";
import { progressFields } from "../train/rl_loop/step_record.ts";
import { flag, parseOptions, type RawOptions } from "./args.ts";
import type { Command } from "./command.ts";
import { runAsChild } from "./run_command.ts";

/** Default RL records and catalog: the built-in world (`convrec world`). */
const WORLD = "data/generated/world";

/** Usage text of `convrec rl`. */
export const RL_USAGE =
  `convrec rl --algo rank-grpo|grpo|gspo --init DIR --run NAME [--reward exp_inf|log|exp:G] [options]

  --algo NAME          rank-grpo | grpo | gspo (clip ranges and advantages per paper.md §4)
  --reward SPEC        rank-grpo only: exp_inf (default) | log | exp:Γ
  --level L            importance-ratio level token | sequence | rank, only that changes (default:
                       the algo's — grpo token, gspo sequence, rank-grpo rank)
  --loss-norm N        token (authors' code, default) | rank (paper Eq. 6), for any algo
  --init DIR           SFT checkpoint folder (HF layout + tokenizer): initial policy and KL reference
  --run NAME           run folder runs/NAME
  --data F             RL records (prompt, seen_titles, groundtruth) (default ${WORLD}/train.jsonl)
  --catalog F          catalog CSV (default ${WORLD}/catalog.csv)
  --preset NAME        ${RL_PRESETS.join(" | ")} (default default: 25 steps, 4 prompts × G 4)
  --resume             continue runs/NAME from its last checkpoint
  --steps N  --prompts N  --group-size N  --max-new-tokens N  --lr X  --beta X  --mu N
  --eps-low X  --eps-high X  --no-shaping  --seed N
  ${BACKEND_USAGE}
  --objective auto|cpu|gpu   where the loss and its gradient w.r.t. the log-probs run (default auto:
                       the WGSL kernels when --backend webgpu, else the CPU closed form)
  --save-every N
No evaluation runs during RL (no --eval-every): test metrics come from the reproduction driver
(lib/cli/repro_main.ts) or from evaluating a checkpoint.`;

const num = z.coerce.number();
const int = z.coerce.number().int();

/** Options of `convrec rl` (strict: a misspelt option fails). */
export const RlOptionsSchema = z.strictObject({
  algo: z.enum(RL_ALGOS),
  reward: z.string().optional(),
  level: z.enum(RATIO_LEVEL_NAMES).optional(),
  init: z.string().min(1),
  run: z.string().regex(/^[A-Za-z0-9._-]+$/, "a run name of letters, digits, . _ -"),
  data: z.string().default(`${WORLD}/train.jsonl`),
  catalog: z.string().default(`${WORLD}/catalog.csv`),
  preset: z.enum(RL_PRESETS).default("default"),
  resume: flag.optional(),
  steps: int.positive().optional(),
  prompts: int.positive().optional(),
  "group-size": int.min(2).optional(),
  "max-new-tokens": int.positive().optional(),
  lr: num.positive().optional(),
  beta: num.min(0).optional(),
  mu: int.min(1).optional(),
  "loss-norm": z.enum(["token", "rank"]).optional(),
  "eps-low": num.positive().optional(),
  "eps-high": num.positive().optional(),
  "no-shaping": flag.optional(),
  seed: int.min(0).optional(),
  backend: z.enum(CLI_BACKENDS).optional(),
  objective: z.enum(OBJECTIVE_SETTINGS).optional(),
  "save-every": int.positive().optional(),
});
/** Parsed options of `convrec rl`. */
export type RlCommandOptions = z.infer<typeof RlOptionsSchema>;

/**
 * Reads the records, catalog, SFT checkpoint and wasm binaries; writes only runs/NAME; for --backend
 * cpu-blas also reads and loads OpenBLAS (FFI) and reads env OPENBLAS_NUM_THREADS.
 * @example rlPermissions({ run: "a", init: "runs/sft/checkpoints/step-9" }).write // ["runs/a/config.json"]
 */
export function rlPermissions(
  raw: RawOptions,
): { read: string[]; write: string[]; ffi?: string[]; env?: string[] } {
  const str = (k: string, d?: string) =>
    typeof raw[k] === "string" ? [raw[k] as string] : d === undefined ? [] : [d];
  const run = typeof raw.run === "string" ? raw.run : "_";
  const read = [
    ...str("init"),
    ...str("data", `${WORLD}/train.jsonl`),
    ...str("catalog", `${WORLD}/catalog.csv`),
    wasmDir(),
  ];
  const write = [join("runs", run, "config.json")];
  return withBackendPermissions(raw, { read, write });
}

/**
 * The validated run config of command-line options: preset settings, then explicit options on top.
 * @example rlCommandConfig(parseOptions(RlOptionsSchema, { algo: "grpo", init: "ck", run: "a", level: "rank" })).ratio_level // "rank"
 */
export function rlCommandConfig(opts: RlCommandOptions): RlRunConfig {
  const explicit = Object.fromEntries(
    Object.entries({
      reward: opts.reward,
      ratio_level: opts.level,
      steps: opts.steps,
      prompts_per_step: opts.prompts,
      group_size: opts["group-size"],
      max_new_tokens: opts["max-new-tokens"],
      lr: opts.lr,
      beta: opts.beta,
      mu: opts.mu,
      loss_norm: opts["loss-norm"],
      eps_low: opts["eps-low"],
      eps_high: opts["eps-high"],
      shaping: opts["no-shaping"] ? false : undefined,
      seed: opts.seed,
      backend: resolveCliBackend(opts.backend),
      objective: opts.objective,
      save_every: opts["save-every"],
    }).filter(([, v]) => v !== undefined),
  );
  return parseRlRunConfig({
    ...rlPreset(opts.preset),
    data: opts.data,
    catalog: opts.catalog,
    init: opts.init,
    run_dir: join("runs", opts.run),
    algo: opts.algo,
    ...explicit,
  }, "convrec rl options");
}

/**
 * Runs RL from command-line options ({@link rlCommandConfig}).
 * @example await runRlCommand(parseOptions(RlOptionsSchema, { algo: "grpo", init: "ckpt", run: "a", preset: "smoke" }));
 */
export async function runRlCommand(
  opts: RlCommandOptions,
  log: (line: string) => void = console.error,
): Promise<RlResult> {
  await tfjsOnDeno();
  const config = rlCommandConfig(opts);
  const report = reporter({ label: `rl ${opts.algo}`, total: config.steps, write: log });
  return await runRl(config, {
    resume: opts.resume ?? false,
    onStep: (row) => report(progressFields(row)),
    log,
  });
}

/** `convrec rl`. */
export const command: Command = {
  usage: RL_USAGE,
  permissions: rlPermissions,
  async run(raw) {
    console.log(JSON.stringify(await runRlCommand(parseOptions(RlOptionsSchema, raw))));
  },
};

if (import.meta.main) await runAsChild("rl", command);
