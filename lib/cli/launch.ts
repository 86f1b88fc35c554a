// Least-privilege launcher: works out which files a command reads and writes from its arguments and
// runs the command's module in a child Deno with exactly those permissions (never -A). The child
// stops when the launcher dies (run_command.ts watches its parent), and the launcher when its own
// parent (deno task) does.

import { dirname, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { RUNTIME_DIR_ENV } from "../runtime/runtime_dir.ts";
import { PARENT_PID_ENV, watchParent } from "../runtime/parent_watch.ts";
import { splitArgs } from "./args.ts";
import type { CommandPermissions } from "./command.ts";
import { commandPath, COMMANDS, loadCommand } from "./commands.ts";

/**
 * The `deno run` permission flags for a command's needs. A written path's folder gets read and write access
 * (atomic writes create, open and rename a temporary file beside the target).
 * @example
 * ```ts
 * import { resolve } from "node:path";
 *
 * const flags = permissionFlags({ read: ["a.csv"], write: ["out/x.jsonl"] });
 * const out = resolve("out");
 * if (flags.join(" ") !== `--allow-read=${resolve("a.csv")},${out} --allow-write=${out}`) {
 *   throw new Error(flags.join(" "));
 * }
 * ```
 */
export function permissionFlags(p: CommandPermissions): string[] {
  const abs = (xs: string[]) => xs.map((x) => resolve(x));
  const write = abs(p.write).map((w) => dirname(w));
  const read = [...abs(p.read), ...write];
  const flags: string[] = [];
  if (read.length > 0) flags.push(`--allow-read=${[...new Set(read)].join(",")}`);
  if (write.length > 0) flags.push(`--allow-write=${[...new Set(write)].join(",")}`);
  if (p.env?.length) flags.push(`--allow-env=${p.env.join(",")}`);
  if (p.net?.length) flags.push(`--allow-net=${p.net.join(",")}`);
  if (p.run?.length) flags.push(`--allow-run=${p.run.join(",")}`);
  if (p.ffi?.length) flags.push(`--allow-ffi=${p.ffi.join(",")}`);
  return flags;
}

/**
 * What the launcher hands its child besides the command's grants: this launcher's pid (the child
 * stops when it dies, also if that happens while the child starts up) and a path for the child's
 * private XDG_RUNTIME_DIR (created only when the environment has none; lib/runtime/runtime_dir.ts),
 * passed in `env`, with the flags to read them, set XDG_RUNTIME_DIR and create and remove that one
 * folder. Separate flags, so the command's own grants read as before.
 * @example
 * ```ts
 * const { flags } = launcherHandoff("/tmp/convrec-runtime-x");
 * const expected = [
 *   "--allow-env=XDG_RUNTIME_DIR,CONVREC_RUNTIME_DIR,CONVREC_PARENT_PID",
 *   "--allow-write=/tmp/convrec-runtime-x",
 * ];
 * if (flags.join(" ") !== expected.join(" ")) throw new Error(flags.join(" "));
 * ```
 */
export function launcherHandoff(
  path = `/tmp/convrec-runtime-${crypto.randomUUID()}`,
): { env: Record<string, string>; flags: string[] } {
  return {
    env: { [RUNTIME_DIR_ENV]: path, [PARENT_PID_ENV]: String(Deno.pid) },
    flags: [
      `--allow-env=XDG_RUNTIME_DIR,${RUNTIME_DIR_ENV},${PARENT_PID_ENV}`,
      `--allow-write=${path}`,
    ],
  };
}

async function launch(argv: string[]): Promise<number> {
  const parent = Deno.ppid; // before any await: a parent killed while we start up is still seen
  const name = argv[0] ?? "";
  const known = COMMANDS[name] !== undefined;
  // a known command runs as its own module (its module graph only); anything else goes to main.ts,
  // which prints the usage or names the unknown command
  const entry = known ? commandPath(name) : fromFileUrl(new URL("./main.ts", import.meta.url));
  const config = fromFileUrl(new URL("../../deno.json", import.meta.url));
  const flags: string[] = [];
  if (known) {
    const command = await loadCommand(name);
    if (command.v8Flags?.length) flags.push(`--v8-flags=${command.v8Flags.join(",")}`);
    try {
      const args = argv.slice(1);
      flags.push(
        ...permissionFlags(command.permissions(splitArgs(command.argv?.(args) ?? args).options)),
      );
    } catch {
      // the child reports the usage error
    }
  }
  const handoff = launcherHandoff();
  const args = [
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${config}`,
    ...flags,
    ...handoff.flags,
    entry,
    ...(known ? argv.slice(1) : argv),
  ];
  if (Deno.env.get("CONVREC_DENO") === "1") console.error(`convrec: deno ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), { args, stdin: "inherit", env: handoff.env })
    .spawn();
  // `kill -9` on `deno task cli …` re-parents this launcher: exit, and the child (which watches this
  // process the same way) follows within a poll, cleaning up as it exits. The parent is the one seen
  // at start: if it died before this line (while the child was being spawned), the first poll fires.
  watchParent({ parentPid: parent });
  return (await child.status).code;
}

if (import.meta.main) Deno.exit(await launch(Deno.args));
