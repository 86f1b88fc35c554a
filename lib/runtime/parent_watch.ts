// A child process that stops when the process that started it dies: a launcher killed with kill -9
// cannot tell its child, so the child polls its parent pid and exits once it was re-parented.
// Polling Deno.ppid needs no permission and no pipe, and sees every kind of death (kill -9 included).
// A parent that names itself (CONVREC_PARENT_PID) is checked even if it died while the child started.

/** Env var in which a launcher passes its pid to the child it starts. */
export const PARENT_PID_ENV = "CONVREC_PARENT_PID";

/**
 * The parent pid a launcher passed in {@link PARENT_PID_ENV}, or undefined (not set, not a pid, or
 * this process may not read it).
 * @example watchParent({ parentPid: launcherPid() });
 */
export function launcherPid(): number | undefined {
  try {
    const pid = Number(Deno.env.get(PARENT_PID_ENV));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // no --allow-env for it
  }
}

/** Options of {@link watchParent}. */
export interface WatchParentOptions {
  /** Poll period in ms; @default 500 */
  intervalMs?: number;
  /** Called once when the parent is gone; @default print a line and `Deno.exit(1)` */
  onParentGone?: (parentPid: number) => void;
  /** The parent pid now (injectable for tests); @default () => Deno.ppid */
  ppid?: () => number;
  /** The process that started this one, when known: if it is already gone (this process was
   * re-parented while starting up) `onParentGone` fires on the first poll; @default the ppid now */
  parentPid?: number;
}

/**
 * Calls `onParentGone` (default: exit) as soon as this process's parent has exited — on Linux the
 * process is then re-parented, so its parent pid changes. The poll timer is unref'd: it never keeps
 * the process alive. Returns a function that stops watching.
 * @example
 * const stop = watchParent(); // in a child that must not outlive its launcher
 * stop(); // no longer needed
 */
export function watchParent(opts: WatchParentOptions = {}): () => void {
  const ppid = opts.ppid ?? (() => Deno.ppid);
  const parent = opts.parentPid ?? ppid();
  const gone = opts.onParentGone ?? ((pid: number) => {
    try {
      console.error(`convrec: parent process ${pid} exited; stopping (pid ${Deno.pid})`);
    } catch { /* stderr may be gone with the parent */ }
    Deno.exit(1);
  });
  const timer = setInterval(() => {
    if (ppid() === parent) return;
    clearInterval(timer);
    gone(parent);
  }, opts.intervalMs ?? 500);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
