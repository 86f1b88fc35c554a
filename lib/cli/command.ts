// What one CLI command is: its usage text, the Deno permissions it needs, and how to run it. The
// launcher reads only `permissions` (and `argv`); main.ts runs it.

import type { RawOptions } from "./args.ts";

/** Deno permissions a command needs (the launcher turns them into flags). */
export interface CommandPermissions {
  read: string[];
  write: string[];
  env?: string[];
  net?: string[];
  run?: string[];
  ffi?: string[];
}

/** One CLI command. */
export interface Command {
  /** Rewrites argv before option parsing (e.g. a positional name, repeated options). */
  argv?: (args: string[]) => string[];
  usage: string;
  /** V8 flags for the child process (e.g. to keep a streaming command's heap flat). */
  v8Flags?: readonly string[];
  permissions(options: RawOptions): CommandPermissions;
  run(options: RawOptions): Promise<void>;
}
