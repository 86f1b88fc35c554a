// A child stops when its launcher dies: `kill -9` on lib/cli/launch.ts (or on the `deno task` above it)
// leaves no command running. The command here is `convrec score` blocked reading a FIFO nobody writes.
// Needs `ps` and `mkfifo` (procps, coreutils).
import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";

const LAUNCH = new URL("../../lib/cli/launch.ts", import.meta.url).pathname;
const FIX = new URL("../fixtures/cli/", import.meta.url).pathname;

/** `ps` output lines (Deno wants --allow-all to read /proc; `ps` needs only --allow-run). */
function ps(args: string[]): string[] {
  const o = new Deno.Command("ps", { args, stdout: "piped", stderr: "null" }).outputSync();
  return new TextDecoder().decode(o.stdout).split("\n").map((l) => l.trim()).filter((l) => l);
}

/** Pids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return ps(["-o", "pid=", "--ppid", String(pid)]).map(Number);
}

/** Whether `pid` is a live (not zombie) process. */
function alive(pid: number): boolean {
  const state = ps(["-o", "stat=", "-p", String(pid)])[0];
  return state !== undefined && !state.startsWith("Z");
}

/** Polls `cond` every 100 ms for up to `ms`; whether it became true and after how long. */
async function within(ms: number, cond: () => boolean): Promise<[boolean, number]> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (cond()) return [true, performance.now() - t0];
    await new Promise((r) => setTimeout(r, 100));
  }
  return [cond(), performance.now() - t0];
}

/** `convrec score` on a FIFO: the child Deno blocks reading it, the way a long command runs on. */
async function blockedScoreArgs(dir: string): Promise<string[]> {
  const fifo = join(dir, "records.jsonl");
  assertEquals((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
  return ["score", "--catalog", `${FIX}catalog.csv`, "--data", fifo];
}

const launcherArgs = ["run", "--quiet", "--allow-read", "--allow-run", "--allow-env=CONVREC_DENO"];

Deno.test("launcher killed with kill -9: its child exits within seconds and removes its runtime dir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-orphan-" });
  try {
    const launcher = new Deno.Command(Deno.execPath(), {
      args: [...launcherArgs, LAUNCH, ...await blockedScoreArgs(dir)],
      env: { NO_COLOR: "1", CONVREC_DENO: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let child = 0;
    const [started] = await within(30_000, () => (child = childrenOf(launcher.pid)[0] ?? 0) > 0);
    assert(started, "the launcher started no child");
    // the child's private XDG_RUNTIME_DIR (this machine has none set): a 0700 folder it created
    const stderr = launcher.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const flags = (await stderr.read()).value ?? "";
    const runtime = /--allow-write=(\/tmp\/convrec-runtime-[\w-]+)/.exec(flags)?.[1];
    assert(runtime !== undefined, flags);
    const hasRuntime = () => {
      try {
        return (Deno.statSync(runtime).mode! & 0o777) === 0o700;
      } catch {
        return false;
      }
    };
    if (Deno.env.get("XDG_RUNTIME_DIR") === undefined) {
      assert((await within(30_000, hasRuntime))[0], `${runtime} not created`);
    }
    launcher.kill("SIGKILL");
    await launcher.status;
    const [gone, ms] = await within(5_000, () => !alive(child));
    assert(gone, `child ${child} still running 5 s after its launcher was killed`);
    console.log(`child exited ${ms.toFixed(0)} ms after kill -9 of the launcher`);
    const rest = (await stderr.read()).value ?? "";
    assert(rest.includes(`parent process ${launcher.pid} exited; stopping`), rest);
    await stderr.cancel();
    assert((await within(2_000, () => !hasRuntime()))[0], `${runtime} left behind`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the launcher's parent killed with kill -9 (as `deno task` would be): launcher and child exit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-orphan-" });
  try {
    // sh stands in for `deno task`: it starts the launcher and waits for it
    const quoted = [Deno.execPath(), ...launcherArgs, LAUNCH, ...await blockedScoreArgs(dir)]
      .map((a) => `'${a}'`).join(" ");
    const sh = new Deno.Command("sh", {
      args: ["-c", `${quoted} & wait`],
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    let launcher = 0, child = 0;
    const [started] = await within(30_000, () => {
      launcher = childrenOf(sh.pid)[0] ?? 0;
      child = launcher === 0 ? 0 : childrenOf(launcher)[0] ?? 0;
      return child > 0;
    });
    assert(started, "no launcher/child started");
    sh.kill("SIGKILL");
    await sh.status;
    const [gone, ms] = await within(5_000, () => !alive(launcher) && !alive(child));
    assert(gone, `launcher ${launcher} alive: ${alive(launcher)}, child ${child}: ${alive(child)}`);
    console.log(`launcher and child exited ${ms.toFixed(0)} ms after kill -9 of their parent`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
