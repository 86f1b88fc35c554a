// `convrec repro`: the reproduction driver (lib/experiment/repro: the SFT row and every (method, seed) RL run
// from one SFT checkpoint, each a job process) behind the launcher, with reproPermissionFlags' permissions.

import { join } from "node:path";
import { parseOptions, type RawOptions } from "./args.ts";
import { type Command, type CommandPermissions, optionsCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";
import {
  REPRO_USAGE,
  type ReproCliOptions,
  ReproOptionsSchema,
  reproSetup,
  runRepro,
} from "./repro_main.ts";
import { reproPermissionFlags } from "../experiment/repro/processes.ts";

/** Usage text of `convrec repro` (the driver's options). */
export const REPRO_CLI_USAGE = REPRO_USAGE.replace(/^lib\/cli\/repro_main\.ts/, "convrec repro");

/** Which {@link CommandPermissions} list each `--allow-…=a,b` flag fills. */
const FLAG_KEYS = {
  read: "read",
  write: "write",
  env: "env",
  net: "net",
  run: "run",
  ffi: "ffi",
} as const satisfies Record<string, keyof CommandPermissions>;

/**
 * The launcher permissions of `deno run` flags of the `--allow-KIND=a,b` form. A written folder becomes
 * `<folder>/config.json` (the launcher grants each written file's folder). Any other flag throws.
 * @example
 * ```ts
 * const p = flagPermissions(["--allow-read=a,b", "--allow-write=out"]);
 * // { read: ["a", "b"], write: ["out/config.json"] }
 * if (p.read.join() !== "a,b" || p.write.join() !== "out/config.json") throw new Error("perms");
 * ```
 */
export function flagPermissions(flags: readonly string[]): CommandPermissions {
  const p: CommandPermissions = { read: [], write: [] };
  for (const flag of flags) {
    const m = /^--allow-([a-z]+)=(.+)$/.exec(flag);
    const key = m === null ? undefined : FLAG_KEYS[m[1] as keyof typeof FLAG_KEYS];
    if (m === null || key === undefined) {
      throw new Error(
        `lib/cli/repro.ts: flagPermissions: "${flag}": expected --allow-{${
          Object.keys(FLAG_KEYS).join(",")
        }}=a,b`,
      );
    }
    const values = m[2].split(",");
    (p[key] ??= []).push(...(key === "write" ? values.map((w) => join(w, "config.json")) : values));
  }
  return p;
}

/**
 * The permissions of `convrec repro`: exactly the driver's ({@link reproPermissionFlags} with `run`: read
 * the inputs, the output folder, node_modules and chromium; write the output folder; run this Deno for
 * the job processes and the figure export; cpu-blas adds OpenBLAS read/FFI and OPENBLAS_NUM_THREADS).
 * @example
 * ```ts
 * const write = reproPermissions({ init: "ck", out: "runs/r", backend: "wasm" }).write;
 * if (write.join() !== "runs/r/config.json") throw new Error(write.join());
 * ```
 */
export function reproPermissions(raw: RawOptions): CommandPermissions {
  const opts = parseOptions(ReproOptionsSchema, raw);
  return flagPermissions(
    reproPermissionFlags({ ...reproSetup(opts), backend: opts.backend }, { run: true }),
  );
}

/**
 * Runs the reproduction from raw options (the driver's {@link runRepro}): `--print-flags`, `--job ID`,
 * or every pending job then table.md + figures/. Throws naming the failed jobs after the report.
 * @example Type-checked only (it trains and evaluates every method × seed)
 * ```ts
 * import { parseOptions } from "./args.ts";
 * import { ReproOptionsSchema } from "./repro_main.ts";
 *
 * async function _repro(): Promise<void> {
 *   const raw = { init: "ck", preset: "smoke" };
 *   await runReproCommand(parseOptions(ReproOptionsSchema, raw), raw);
 * }
 * ```
 */
export const runReproCommand: (
  opts: ReproCliOptions,
  raw: RawOptions,
  log?: (line: string) => void,
) => Promise<void> = runRepro;

/** `convrec repro`. */
export const command: Command = optionsCommand({
  usage: REPRO_CLI_USAGE,
  permissions: reproPermissions,
  schema: ReproOptionsSchema,
  run: (opts, raw) => runReproCommand(opts, raw),
});

if (import.meta.main) await runAsChild("repro", command);
