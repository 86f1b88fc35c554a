// `convrec <command>`: the command-line entry point over the same lib functions the notebooks call.
// Run it through launch.ts (`deno task cli …`), which grants each command only the permissions it needs.

import { launcherPid, watchParent } from "../runtime/parent_watch.ts";
import { ensureRuntimeDir, RUNTIME_DIR_ENV } from "../runtime/runtime_dir.ts";
import { splitArgs, UsageError } from "./args.ts";
import { COMMANDS } from "./commands.ts";

const USAGE = `usage: convrec <command> [options]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join("\n")}

Run "convrec <command> --help" for a command's options.`;

/** Runs the CLI; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`convrec: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    const { positional, options } = splitArgs(command.argv?.(rest) ?? rest);
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

if (import.meta.main) {
  watchParent({ parentPid: launcherPid() }); // a killed launcher takes this process with it
  runtimeDirFromLauncher();
  Deno.exit(await main(Deno.args));
}
