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
 * ```ts
 * import { z } from "zod";
 *
 * const greeted: string[] = [];
 * const command = optionsCommand({
 *   usage: "convrec hello --name S",
 *   permissions: () => ({ read: [], write: [] }),
 *   schema: z.strictObject({ name: z.string() }),
 *   run: (o) => Promise.resolve(void greeted.push(o.name)),
 * });
 * await command.run({ name: "ada" });
 * if (greeted.join() !== "ada") throw new Error(greeted.join());
 * ```
 */
export function optionsCommand<S extends z.ZodType>(spec: OptionsCommandSpec<S, void>): Command {
  const { schema, run, ...rest } = spec;
  return { ...rest, run: async (raw) => await run(parseOptions(schema, raw), raw) };
}

/**
 * A command that parses its options with `schema`, runs, and prints the result as one JSON line.
 * @example
 * ```ts
 * import { z } from "zod";
 *
 * export const command = jsonCommand({
 *   usage: "convrec add --a N --b N",
 *   permissions: () => ({ read: [], write: [] }),
 *   schema: z.strictObject({ a: z.coerce.number(), b: z.coerce.number() }),
 *   run: (o) => Promise.resolve({ sum: o.a + o.b }),
 * });
 * await command.run({ a: "1", b: "2" }); // prints {"sum":3}
 * ```
 */
export function jsonCommand<S extends z.ZodType, R>(spec: OptionsCommandSpec<S, R>): Command {
  return optionsCommand({
    ...spec,
    run: async (opts, raw) => console.log(JSON.stringify(await spec.run(opts, raw))),
  });
}
