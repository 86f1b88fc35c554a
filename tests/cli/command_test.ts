// jsonCommand / optionsCommand: parse the raw options with the strict schema, run, print the result as
// one JSON line (jsonCommand); a misspelt option is a UsageError naming it; argv/v8Flags pass through.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { z } from "zod";
import { UsageError } from "../../lib/cli/args.ts";
import { jsonCommand, optionsCommand } from "../../lib/cli/command.ts";

const schema = z.strictObject({ n: z.coerce.number().int(), tag: z.string().default("x") });
const permissions = () => ({ read: ["a"], write: [] });

/** The lines `fn` prints through console.log. */
async function printed(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await fn();
  } finally {
    console.log = log;
  }
  return lines;
}

Deno.test("jsonCommand: parses, runs on the parsed and the raw options, prints one JSON line", async () => {
  const argv = (args: string[]) => args;
  const cmd = jsonCommand({
    usage: "u",
    permissions,
    argv,
    v8Flags: ["--optimize-for-size"],
    schema,
    run: (opts, raw) => Promise.resolve({ ...opts, raw: Object.keys(raw) }),
  });
  assertEquals([cmd.usage, cmd.argv, cmd.v8Flags, cmd.permissions({})], [
    "u",
    argv,
    ["--optimize-for-size"],
    { read: ["a"], write: [] },
  ]);
  assertEquals(await printed(() => cmd.run({ n: "3" })), ['{"n":3,"tag":"x","raw":["n"]}']);
  await assertRejects(() => cmd.run({ n: "3", tga: "y" }), "unknown option --tga");
  await assertRejects(() => cmd.run({ n: "a" }), "--n");
  assert(await cmd.run({ n: "a" }).catch((e) => e) instanceof UsageError, "a usage error");
});

Deno.test("optionsCommand: runs on the parsed options and prints nothing itself", async () => {
  const seen: unknown[] = [];
  const cmd = optionsCommand({
    usage: "u",
    permissions,
    schema,
    run: (opts) => {
      seen.push(opts);
      return Promise.resolve();
    },
  });
  assertEquals(await printed(() => cmd.run({ n: "1", tag: "t" })), []);
  assertEquals(seen, [{ n: 1, tag: "t" }]);
});
