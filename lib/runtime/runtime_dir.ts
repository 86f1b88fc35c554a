// A private XDG_RUNTIME_DIR for processes started without a login session (containers, CI, ssh -T):
// wgpu's WebGPU start-up probes Wayland, and libwayland prints "error: XDG_RUNTIME_DIR is invalid or
// not set in the environment." when the variable is missing — harmless, but it reads as a failure.

/** Env var through which the launcher hands its child a path to create as that private folder. */
export const RUNTIME_DIR_ENV = "CONVREC_RUNTIME_DIR";

/**
 * Why `value` cannot serve as XDG_RUNTIME_DIR (libwayland needs an absolute path), or undefined.
 * @example runtimeDirProblem(undefined) // "not set"
 * @example runtimeDirProblem("/run/user/1000") // undefined
 */
export function runtimeDirProblem(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return "not set";
  if (!value.startsWith("/")) return `"${value}" is not an absolute path`;
  return undefined;
}

/** Options of {@link ensureRuntimeDir}. */
export interface RuntimeDirOptions {
  /** Folder to create (mode 0700) when XDG_RUNTIME_DIR needs one; @default a new temp folder */
  create?: string;
}

/**
 * Makes XDG_RUNTIME_DIR usable for this process and the processes it starts: keeps a valid one,
 * else creates a private folder (mode 0700, removed when the process exits normally) and sets the
 * variable to it. Returns the folder in use, or undefined when this process may not read or set the
 * variable or create the folder (the harmless libwayland line then stays).
 * @example
 * ensureRuntimeDir(); // before navigator.gpu.requestAdapter()
 */
export function ensureRuntimeDir(opts: RuntimeDirOptions = {}): string | undefined {
  try {
    const current = Deno.env.get("XDG_RUNTIME_DIR");
    if (runtimeDirProblem(current) === undefined) return current;
    let dir: string;
    if (opts.create !== undefined) {
      Deno.mkdirSync(opts.create, { mode: 0o700 }); // throws if it exists: never adopt a folder
      dir = opts.create;
    } else {
      dir = Deno.makeTempDirSync({ prefix: "convrec-runtime-" });
    }
    Deno.chmodSync(dir, 0o700); // the umask may have narrowed mkdir's mode, never widened it
    Deno.env.set("XDG_RUNTIME_DIR", dir);
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already gone */ }
    });
    return dir;
  } catch (e) {
    if (
      e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied ||
      e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotFound
    ) return undefined;
    throw e;
  }
}
