// Runs `convrec <command>` the way `deno task cli` does: through lib/cli/launch.ts, which re-runs the
// command in a child Deno with only that command's permissions. Shared by the CLI tests.

const LAUNCH = new URL("../../lib/cli/launch.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** Where and how {@link launchCli} runs the launcher. */
export interface LaunchOptions {
  /** working directory of the launcher (default: this process's) */
  cwd?: string;
  /** variables added to the inherited environment (e.g. CONVREC_DENO: "1" to print the child's flags) */
  env?: Record<string, string>;
  /** the environment the launcher itself may read @default ["CONVREC_DENO"] */
  launcherEnv?: readonly string[] | "all";
}

/**
 * Runs `convrec` with `args` through the least-privilege launcher, in `opts.cwd` (default: this
 * process's), with the repository's deno.json; exit code, stdout and stderr.
 * @example const r = await launchCli(["score", "--catalog", "c.csv", "--data", "r.jsonl"]); r.code // 0
 */
export async function launchCli(
  args: readonly string[],
  opts: LaunchOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const allowEnv = opts.launcherEnv === "all"
    ? "--allow-env"
    : `--allow-env=${(opts.launcherEnv ?? ["CONVREC_DENO"]).join(",")}`;
  const o = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-run",
      allowEnv,
      `--config=${CONFIG}`,
      LAUNCH,
      ...args,
    ],
    cwd: opts.cwd,
    env: { NO_COLOR: "1", ...opts.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}
