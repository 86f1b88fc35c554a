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
import { parseRlRunConfig, type RlRunConfig, RlRunConfigSchema } from "../train/rl_loop/config.ts";
import { RL_PRESETS, rlPreset } from "../train/rl_loop/presets.ts";
import { type RlResult, runRl } from "../train/rl_loop/trainer.ts";
import { progressFields } from "../train/rl_loop/step_record.ts";
import { cliOptions, flag, flagOf, flagUsage, type RawOptions, UsageError } from "./args.ts";
import { type Command, jsonCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";

/** Default RL records and catalog: the built-in world (`convrec world`). */
const WORLD = "data/generated/world";

/** Run-config keys that are not `convrec rl` flags: the run folder comes from --run NAME. */
const NOT_FLAGS: readonly string[] = ["run_dir"];
/** Flags kept from before the flags were derived from the run schema: flag → run-config key. */
const ALIASES = { level: "ratio_level", prompts: "prompts_per_step" } as const;

/** Run-config keys whose usage line is written out above the derived ones (their CLI default differs). */
const IN_HEAD: readonly string[] = ["data", "catalog", "backend"];
/** The run-config fields that are `convrec rl --kebab-key` flags. */
const RUN_FIELDS: Record<string, z.ZodType> = Object.fromEntries(
  Object.entries(RlRunConfigSchema.shape).filter(([k]) => !NOT_FLAGS.includes(k)),
);

const PRESETS = RL_PRESETS.join(" | ");

/** Usage text of `convrec rl`: the knobs' lines come from the run schema's descriptions. */
export const RL_USAGE =
  `convrec rl --algo rank-grpo|grpo|gspo --init DIR --run NAME [--reward exp_inf|log|exp:G] [options]

  --run NAME            run folder runs/NAME
  --preset NAME         ${PRESETS} (default default: 25 steps, 4 prompts × G 4); the
                        options override it
  --resume              continue runs/NAME from its last checkpoint
  --data F              RL records (prompt, seen_titles, groundtruth)
                        (default ${WORLD}/train.jsonl)
  --catalog F           catalog CSV (default ${WORLD}/catalog.csv)
  --level L             = --ratio-level L
  --prompts N           = --prompts-per-step N
  --no-shaping          = --shaping=false
  ${BACKEND_USAGE}
The run config's keys (runs/NAME/config.json; flag = key with _ → -; the preset's values replace
the defaults shown):
${
    flagUsage(
      Object.fromEntries(Object.entries(RUN_FIELDS).filter(([k]) => !IN_HEAD.includes(k))),
      { indent: 24 },
    )
  }
No evaluation runs during RL (no --eval-every): test metrics come from the reproduction driver
(lib/cli/repro_main.ts) or from evaluating a checkpoint.`;

/** Options of `convrec rl` (strict: a misspelt option fails): the run schema's keys as flags, plus the above. */
export const RlOptionsSchema = z.strictObject({
  ...cliOptions(RUN_FIELDS),
  ...cliOptions(Object.fromEntries(Object.entries(ALIASES).map(([f, k]) => [f, RUN_FIELDS[k]]))),
  algo: RlRunConfigSchema.shape.algo,
  init: RlRunConfigSchema.shape.init,
  data: z.string().min(1).default(`${WORLD}/train.jsonl`),
  catalog: z.string().min(1).default(`${WORLD}/catalog.csv`),
  backend: z.enum(CLI_BACKENDS).optional(),
  run: z.string().regex(/^[A-Za-z0-9._-]+$/, "a run name of letters, digits, . _ -"),
  preset: z.enum(RL_PRESETS).default("default"),
  resume: flag.optional(),
  "no-shaping": flag.optional(),
});
/** Parsed options of `convrec rl`. */
export type RlCommandOptions = z.infer<typeof RlOptionsSchema>;

/**
 * Reads the records, catalog, SFT checkpoint and wasm binaries; writes only runs/NAME; for --backend
 * cpu-blas also reads and loads OpenBLAS (FFI) and reads env OPENBLAS_NUM_THREADS.
 * @example
 * ```ts
 * const perms = rlPermissions({ run: "a", init: "runs/sft/checkpoints/step-9", backend: "wasm" });
 * if (perms.write.join() !== "runs/a/config.json") throw new Error(perms.write.join());
 * ```
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
 * The validated run config of command-line options: preset settings, then explicit options on top
 * (`--kebab-key` → `snake_key`; the aliases; --backend auto resolved).
 * @example
 * ```ts
 * import { parseOptions } from "./args.ts";
 *
 * const raw = { algo: "grpo", init: "ck", run: "a", level: "rank", backend: "wasm" };
 * const config = rlCommandConfig(parseOptions(RlOptionsSchema, raw));
 * if (config.ratio_level !== "rank" || config.run_dir !== "runs/a") {
 *   throw new Error(config.run_dir);
 * }
 * ```
 */
export function rlCommandConfig(opts: RlCommandOptions): RlRunConfig {
  const explicit: Record<string, unknown> = {};
  const given: Record<string, unknown> = opts;
  for (const key of Object.keys(RUN_FIELDS)) {
    if (given[flagOf(key)] !== undefined) explicit[key] = given[flagOf(key)];
  }
  for (const [alias, key] of Object.entries(ALIASES)) {
    if (given[alias] === undefined) continue;
    if (key in explicit) {
      throw new UsageError(`--${alias} and --${flagOf(key)} set the same ${key}`);
    }
    explicit[key] = given[alias];
  }
  if (opts["no-shaping"]) explicit.shaping = false;
  return parseRlRunConfig({
    ...rlPreset(opts.preset),
    ...explicit,
    backend: resolveCliBackend(opts.backend),
    run_dir: join("runs", opts.run),
  }, "convrec rl options");
}

/**
 * Runs RL from command-line options ({@link rlCommandConfig}).
 * @example Type-checked only (an RL training run)
 * ```ts
 * import { parseOptions } from "./args.ts";
 *
 * async function _rl(): Promise<void> {
 *   const raw = { algo: "grpo", init: "ckpt", run: "a", preset: "smoke" };
 *   await runRlCommand(parseOptions(RlOptionsSchema, raw));
 * }
 * ```
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
export const command: Command = jsonCommand({
  usage: RL_USAGE,
  permissions: rlPermissions,
  schema: RlOptionsSchema,
  run: (opts) => runRlCommand(opts),
});

if (import.meta.main) await runAsChild("rl", command);
