// The command table: every command's module loads and exports a whole `command`; a command runs as
// its own module (the launcher's child entry); and `score` starts without the heavy code — its
// static module graph (what Deno loads before the first line runs) has no tfjs and no apache-arrow.

import { assert, assertEquals } from "../_assert.ts";
import { commandPath, COMMANDS, loadCommand } from "../../lib/cli/commands.ts";

Deno.test("commands: every entry's module exports a command with usage, permissions and run", async () => {
  for (const name of Object.keys(COMMANDS)) {
    const c = await loadCommand(name);
    assert(c.usage.startsWith(`convrec ${name}`), `${name}: usage starts with "convrec ${name}"`);
    assertEquals([typeof c.permissions, typeof c.run], ["function", "function"], name);
    assert((await Deno.stat(commandPath(name))).isFile, name);
  }
  let threw = false;
  await loadCommand("nope").catch(() => threw = true);
  assert(threw, "an unknown command is an error");
});

/** Modules Deno loads at start-up for `entry`: its graph without dynamic-import edges. */
async function staticGraph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    redirects: Record<string, string>;
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const resolve = (s: string) => info.redirects[s] ?? s;
  const seen = new Set<string>();
  const stack = info.roots.map(resolve);
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpecifier.get(s)?.dependencies ?? []) {
      if (!d.isDynamic && d.code !== undefined) stack.push(resolve(d.code.specifier));
    }
  }
  return [...seen];
}

Deno.test("commands: score starts without tfjs or apache-arrow (its static module graph)", async () => {
  const graph = await staticGraph(commandPath("score"));
  assert(graph.some((s) => s.endsWith("/lib/reward/score.ts")) === false, "scoring loads when run");
  const heavy = graph.filter((s) => /tensorflow|apache-arrow|lib\/model\//.test(s));
  assertEquals(heavy, [], "score's start-up graph");
  const whole = await staticGraph(
    new URL("../../lib/reward/score_file.ts", import.meta.url).pathname,
  );
  assertEquals(whole.filter((s) => /tensorflow|apache-arrow|lib\/model\//.test(s)), []);
  assert(whole.some((s) => s.endsWith("/lib/catalog/catalog.ts")), "the graph is followed");
});

Deno.test("commands: a command module run as the main module is the CLI for that command", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", commandPath("score"), "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assert(new TextDecoder().decode(out.stdout).startsWith("convrec score --catalog"));
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", commandPath("score"), "--nope", "1"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(bad.code, 2);
  assert(new TextDecoder().decode(bad.stderr).includes("convrec score:"));
});
