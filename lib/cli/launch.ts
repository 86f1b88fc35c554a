// Least-privilege launcher: works out which files a command reads and writes from its arguments and
// re-runs main.ts in a child Deno with exactly those permissions (never -A).

import { dirname, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { splitArgs } from "./args.ts";
import { type CommandPermissions, COMMANDS } from "./commands.ts";

/**
 * The `deno run` permission flags for a command's needs. A written path's folder gets read and write access
 * (atomic writes create, open and rename a temporary file beside the target).
 * @example permissionFlags({ read: ["a.csv"], write: ["out/x.jsonl"] })
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

async function launch(argv: string[]): Promise<number> {
  const main = fromFileUrl(new URL("./main.ts", import.meta.url));
  const config = fromFileUrl(new URL("../../deno.json", import.meta.url));
  const command = COMMANDS[argv[0] ?? ""];
  let flags: string[] = [];
  if (command !== undefined) {
    try {
      const args = argv.slice(1);
      flags = permissionFlags(command.permissions(splitArgs(command.argv?.(args) ?? args).options));
    } catch {
      flags = []; // main.ts reports the usage error
    }
  }
  const args = ["run", "--quiet", "--no-prompt", `--config=${config}`, ...flags, main, ...argv];
  if (Deno.env.get("CONVREC_DENO") === "1") console.error(`convrec: deno ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), { args, stdin: "inherit" }).spawn();
  return (await child.status).code;
}

if (import.meta.main) Deno.exit(await launch(Deno.args));
