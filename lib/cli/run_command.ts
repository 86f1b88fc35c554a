// Runs one CLI command on its arguments with the CLI's exit codes (0 done, 1 failed, 2 usage), and
// the same as a launcher's child process: each command module calls runAsChild when it is the main
// module, so the child's module graph is that command's only.

import { launcherPid, watchParent } from "../runtime/parent_watch.ts";
import { ensureRuntimeDir, RUNTIME_DIR_ENV } from "../runtime/runtime_dir.ts";
import { splitArgs, UsageError } from "./args.ts";
import type { Command } from "./command.ts";

/**
 * Runs `command` on `args` (the words after its name); returns the process exit code.
 * @example
 * ```ts
 * import { command } from "./score.ts";
 *
 * const code = await runCommand("score", command, ["--help"]); // usage on stdout
 * if (code !== 0) throw new Error(`expected exit code 0, got ${code}`);
 * ```
 */
export async function runCommand(
  name: string,
  command: Command,
  args: readonly string[],
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    const { positional, options } = splitArgs(command.argv?.([...args]) ?? [...args]);
    if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
    await command.run(options);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`convrec ${name}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    console.error(`convrec ${name}: ${(e as Error).message}`);
    return 1;
  }
}

/** The launcher's hand-off: a private XDG_RUNTIME_DIR when none is set (its env var, when granted). */
function runtimeDirFromLauncher(): void {
  let create: string | undefined;
  try {
    create = Deno.env.get(RUNTIME_DIR_ENV);
  } catch { /* run without the launcher's grants */ }
  if (create !== undefined) ensureRuntimeDir({ create });
}

/**
 * The child process's life: stop when the launcher dies, take its runtime folder, run, exit.
 * @example The last line of a command module (not the main module here, so it does nothing)
 * ```ts
 * import { command } from "./score.ts";
 *
 * if (import.meta.main) await runAsChild("score", command);
 * ```
 */
export async function runAsChild(name: string, command: Command): Promise<never> {
  watchParent({ parentPid: launcherPid() }); // a killed launcher takes this process with it
  runtimeDirFromLauncher();
  Deno.exit(await runCommand(name, command, Deno.args));
}
