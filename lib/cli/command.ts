// What one CLI command is: its usage text, the Deno permissions it needs, and how to run it. The
// launcher reads only `permissions` (and `argv`); main.ts runs it. Most commands are built by
// {@link jsonCommand}: parse the options with a strict schema, run, print the result as JSON.

import type { z } from "zod";
import { parseOptions, type RawOptions } from "./args.ts";

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

/** A command over strictly parsed options: {@link Command} with `schema`, and `run` on its output. */
export interface OptionsCommandSpec<S extends z.ZodType, R> extends Omit<Command, "run"> {
  /** strict schema of the options (a misspelt option fails naming it) */
  schema: S;
  /** runs on the parsed options; `raw` are the unparsed ones (e.g. for a rebuild command line) */
  run(options: z.infer<S>, raw: RawOptions): Promise<R>;
}

/**
 * A command that parses its options with `schema` and runs; what it prints is `run`'s business.
 * @example
 * export const command = optionsCommand({ usage, permissions, schema, run: (o) => runDemo(o) });
 */
export function optionsCommand<S extends z.ZodType>(spec: OptionsCommandSpec<S, void>): Command {
  const { schema, run, ...rest } = spec;
  return { ...rest, run: async (raw) => await run(parseOptions(schema, raw), raw) };
}

/**
 * A command that parses its options with `schema`, runs, and prints the result as one JSON line.
 * @example
 * export const command = jsonCommand({
 *   usage: WORLD_USAGE,
 *   permissions: worldPermissions,
 *   schema: WorldOptionsSchema,
 *   run: (opts) => runWorld(opts),
 * });
 */
export function jsonCommand<S extends z.ZodType, R>(spec: OptionsCommandSpec<S, R>): Command {
  return optionsCommand({
    ...spec,
    run: async (opts, raw) => console.log(JSON.stringify(await spec.run(opts, raw))),
  });
}
