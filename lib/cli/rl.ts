// `convrec rl`: GRPO / GSPO / Rank-GRPO from an SFT checkpoint into runs/<name>/ (config.json,
// metrics.jsonl, checkpoints/step-N/); --resume continues exactly from the last checkpoint.

import { join } from "node:path";
import { z } from "zod";
import { reporter } from "../notebook/progress.ts";
import { RL_ALGOS } from "../train/rl/algo_config.ts";
import { parseRlRunConfig } from "../train/rl_loop/config.ts";
import { RL_PRESETS, rlPreset } from "../train/rl_loop/presets.ts";
import { type RlResult, runRl } from "../train/rl_loop/trainer.ts";
import { progressFields } from "../train/rl_loop/step_record.ts";
import { flag, type RawOptions } from "./args.ts";

/** Default RL records and catalog: the built-in world (`convrec world`). */
const WORLD = "data/generated/world";

/** Usage text of `convrec rl`. */
export const RL_USAGE =
  `convrec rl --algo rank-grpo|grpo|gspo --init DIR --run NAME [--reward exp_inf|log|exp:G] [options]

  --algo NAME          rank-grpo | grpo | gspo (clip ranges and advantages per paper.md §4)
  --reward SPEC        rank-grpo only: exp_inf (default) | log | exp:Γ
  --init DIR           SFT checkpoint folder (HF layout + tokenizer): initial policy and KL reference
  --run NAME           run folder runs/NAME
  --data F             RL records (prompt, seen_titles, groundtruth) (default ${WORLD}/train.jsonl)
  --catalog F          catalog CSV (default ${WORLD}/catalog.csv)
  --preset NAME        ${RL_PRESETS.join(" | ")} (default default: 25 steps, 4 prompts × G 4)
  --resume             continue runs/NAME from its last checkpoint
  --steps N  --prompts N  --group-size N  --max-new-tokens N  --lr X  --beta X  --mu N
  --loss-norm token|rank  --eps-low X  --eps-high X  --no-shaping  --seed N  --backend wasm|cpu|cpu-blas
  --save-every N`;

const num = z.coerce.number();
const int = z.coerce.number().int();

/** Options of `convrec rl` (strict: a misspelt option fails). */
export const RlOptionsSchema = z.strictObject({
  algo: z.enum(RL_ALGOS),
  reward: z.string().optional(),
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
  backend: z.enum(["wasm", "cpu", "cpu-blas"]).optional(),
  "save-every": int.positive().optional(),
});
/** Parsed options of `convrec rl`. */
export type RlCommandOptions = z.infer<typeof RlOptionsSchema>;

function wasmDir(): string {
  return decodeURIComponent(
    new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm")).pathname,
  );
}

/**
 * Reads the records, catalog, SFT checkpoint and wasm binaries; writes only runs/NAME; FFI only for
 * --backend cpu-blas (OpenBLAS).
 * @example rlPermissions({ run: "a", init: "runs/sft/checkpoints/step-9" }).write // ["runs/a/config.json"]
 */
export function rlPermissions(
  raw: RawOptions,
): { read: string[]; write: string[]; ffi?: string[] } {
  const str = (k: string, d?: string) =>
    typeof raw[k] === "string" ? [raw[k] as string] : d === undefined ? [] : [d];
  const run = typeof raw.run === "string" ? raw.run : "_";
  const read = [
    ...str("init"),
    ...str("data", `${WORLD}/train.jsonl`),
    ...str("catalog", `${WORLD}/catalog.csv`),
    wasmDir(),
  ];
  const ffi = raw.backend === "cpu-blas" ? { ffi: ["/usr/lib"] } : {};
  return { read, write: [join("runs", run, "config.json")], ...ffi };
}

/**
 * Runs RL from command-line options (preset settings, then explicit options on top).
 * @example await runRlCommand(parseOptions(RlOptionsSchema, { algo: "grpo", init: "ckpt", run: "a", preset: "smoke" }));
 */
export async function runRlCommand(
  opts: RlCommandOptions,
  log: (line: string) => void = console.error,
): Promise<RlResult> {
  const explicit = Object.fromEntries(
    Object.entries({
      reward: opts.reward,
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
      backend: opts.backend,
      save_every: opts["save-every"],
    }).filter(([, v]) => v !== undefined),
  );
  const config = parseRlRunConfig({
    ...rlPreset(opts.preset),
    data: opts.data,
    catalog: opts.catalog,
    init: opts.init,
    run_dir: join("runs", opts.run),
    algo: opts.algo,
    ...explicit,
  }, "convrec rl options");
  const report = reporter({ label: `rl ${opts.algo}`, total: config.steps, write: log });
  return await runRl(config, {
    resume: opts.resume ?? false,
    onStep: (row) => report(progressFields(row)),
    log,
  });
}
