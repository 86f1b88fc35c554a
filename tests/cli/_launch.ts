// Runs `convrec <command>` the way `deno task cli` does: through lib/cli/launch.ts, which re-runs the
// command in a child Deno with only that command's permissions. Shared by the CLI tests.

const LAUNCH = new URL("../../lib/cli/launch.ts", import.meta.url).pathname;

/**
 * Runs `convrec` with `args` through the least-privilege launcher; exit code, stdout and stderr.
 * @example const r = await launchCli(["score", "--catalog", "c.csv", "--data", "r.jsonl"]); r.code // 0
 */
export async function launchCli(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-run",
      "--allow-env=CONVREC_DENO",
      LAUNCH,
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}
