// `convrec <command>`: the command-line entry point over the same lib functions the notebooks call.
// Run it through launch.ts (`deno task cli …`), which grants each command only the permissions it
// needs and starts the command's own module; this in-process entry (tests, `deno run -A`) loads the
// command by name.

import { COMMANDS, loadCommand } from "./commands.ts";
import { runCommand } from "./run_command.ts";

/** The top-level usage: every command with its summary. */
export const USAGE = `usage: convrec <command> [options]

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
  if (COMMANDS[name] === undefined) {
    console.error(`convrec: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return await runCommand(name, await loadCommand(name), rest);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
