// `convrec nb`: executes notebooks/<name>.ipynb headless through real Jupyter with `--set` overrides and
// writes the executed notebook, its HTML export and the figures it exports under runs/<run-name>/.

import { join, resolve } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../data/atomic_write.ts";
import {
  DEFAULT_PYTHON,
  executeNotebook,
  type RerunCell,
  type RerunResult,
} from "../notebook/jupyter.ts";
import { fnv1a } from "../report/figure_html.ts";
import { notebooksDir } from "../notebook/jupyter.ts";
import { declaredKnobs } from "../notebook/parameters_cell.ts";
import { type RawOptions, UsageError } from "./args.ts";
import { parseOverrides, splitSetList } from "./repeated.ts";
import { type Command, jsonCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";
import { foldRepeated } from "./repeated.ts";

export const NB_USAGE =
  `convrec nb <name> [--set key=value …] [--name RUN] [--runs DIR] [--timeout S]
                [--rerun-cell N [--rerun-replace 'OLD=>NEW']]

  <name>          a notebook in notebooks/ without .ipynb, e.g. 01_catalog_and_data
                  (also spelt --notebook NAME)
  --set k=v       assign a knob of the notebook's parameters cell (value as JSON when it parses,
                  e.g. --set seed=7 --set preset='"smoke"'); repeat it, or join items with commas:
                  --set seed=7,preset='"smoke"'
  --name RUN      run folder name (default: <name>-<hash of the overrides>)
  --runs DIR      parent of the run folder (default runs)
  --timeout S     per-cell timeout in seconds (default 600)
  --rerun-cell N  after the whole notebook ran, re-run its cell N (0-based index in the .ipynb,
                  markdown cells counted) once more in the same kernel, as a user re-runs one cell
  --rerun-replace 'OLD=>NEW'
                  edit that cell first: every OLD (split at the first =>) becomes NEW, and OLD must
                  occur, e.g. --rerun-cell 8 --rerun-replace 'rl.run(algo)=>rl.run("gspo")'; the
                  executed notebook keeps the edited source with its new outputs

Writes DIR/RUN/<name>.ipynb (executed), <name>.html, figures/ (when the notebook declares a
figures_dir knob) and nb.json (the run's config and summary); prints the paths as JSON.`;

const NOTEBOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.=-]*$/;

/** The knob `convrec nb` points at `<run>/figures` when the notebook declares it. */
export const FIGURES_KNOB = "figures_dir";

export const NbOptionsSchema = z.strictObject({
  notebook: z.string().regex(NOTEBOOK_NAME, "expected a notebook name like 01_catalog_and_data"),
  set: z.string().optional(),
  name: z.string().regex(RUN_NAME, "expected a folder name of letters, digits, _ . = -").optional(),
  runs: z.string().default("runs"),
  timeout: z.coerce.number().positive().default(600),
  "rerun-cell": z.coerce.number().int().nonnegative().optional(),
  "rerun-replace": z.string().optional(),
});
export type NbOptions = z.infer<typeof NbOptionsSchema>;

/**
 * The overrides of a `--set` value (comma-separated items), {} when absent.
 * @example
 * ```ts
 * const set = nbOverrides('seed=7,preset="smoke"'); // { seed: 7, preset: "smoke" }
 * if (set.seed !== 7 || set.preset !== "smoke") throw new Error(JSON.stringify(set));
 * ```
 */
export function nbOverrides(set: string | undefined): Record<string, unknown> {
  return set === undefined ? {} : parseOverrides(splitSetList(set));
}

/**
 * The re-run of `--rerun-cell N [--rerun-replace 'OLD=>NEW']` (split at the first "=>"), undefined
 * without --rerun-cell. Throws a UsageError for --rerun-replace alone or without "=>".
 * @example
 * ```ts
 * const rerun = nbRerun({ "rerun-cell": 8, "rerun-replace": "run(a)=>run(b)" });
 * // { cell: 8, replace: [{ old: "run(a)", new: "run(b)" }] }
 * if (JSON.stringify(rerun) !== '{"cell":8,"replace":[{"old":"run(a)","new":"run(b)"}]}') {
 *   throw new Error(JSON.stringify(rerun));
 * }
 * ```
 */
export function nbRerun(
  opts: Pick<NbOptions, "rerun-cell" | "rerun-replace">,
): RerunCell | undefined {
  const edit = opts["rerun-replace"];
  if (opts["rerun-cell"] === undefined) {
    if (edit !== undefined) throw new UsageError("--rerun-replace: needs --rerun-cell N");
    return undefined;
  }
  if (edit === undefined) return { cell: opts["rerun-cell"], replace: [] };
  const at = edit.indexOf("=>");
  if (at <= 0) {
    throw new UsageError(`--rerun-replace ${edit}: expected OLD=>NEW with a non-empty OLD`);
  }
  return {
    cell: opts["rerun-cell"],
    replace: [{ old: edit.slice(0, at), new: edit.slice(at + 2) }],
  };
}

/**
 * The default run name: the notebook name and an 8-hex-digit hash of the overrides (key order does
 * not matter) and, when given, the re-run (so it does not overwrite the plain run's folder).
 * @example
 * ```ts
 * const name = defaultRunName("01_catalog_and_data", { seed: 7, preset: "smoke" });
 * if (!/^01_catalog_and_data-[0-9a-f]{8}$/.test(name)) throw new Error(name);
 * const same = defaultRunName("01_catalog_and_data", { preset: "smoke", seed: 7 });
 * if (same !== name) throw new Error("key order does not matter");
 * ```
 */
export function defaultRunName(
  notebook: string,
  overrides: Record<string, unknown>,
  rerun?: RerunCell,
): string {
  const pairs: unknown[] = Object.keys(overrides).sort().map((k) => [k, overrides[k]]);
  if (rerun !== undefined) pairs.push(["--rerun", rerun.cell, rerun.replace ?? []]);
  return `${notebook}-${fnv1a(JSON.stringify(pairs))}`;
}

/** The run folder of validated options. */
export function nbRunDir(
  opts: Pick<NbOptions, "notebook" | "set" | "name" | "runs" | "rerun-cell" | "rerun-replace">,
): string {
  return join(
    opts.runs,
    opts.name ?? defaultRunName(opts.notebook, nbOverrides(opts.set), nbRerun(opts)),
  );
}

/**
 * Least privilege: read notebooks/, write the run folder only, JUPYTER_PATH from the environment, and
 * run Debian's python3 (which starts Jupyter and the kernel).
 * @example
 * ```ts
 * const perms = nbPermissions({ notebook: "01_catalog_and_data", name: "a" });
 * if (perms.write.join() !== "runs/a/nb.json") throw new Error(perms.write.join());
 * ```
 */
export function nbPermissions(
  raw: RawOptions,
): { read: string[]; write: string[]; env: string[]; run: string[] } {
  const opts = NbOptionsSchema.parse(raw);
  return {
    read: [notebooksDir()],
    write: [join(nbRunDir(opts), "nb.json")],
    env: ["JUPYTER_PATH"],
    run: [DEFAULT_PYTHON],
  };
}

/** What {@link runNb} wrote. */
export interface NbResult {
  /** The run folder. */
  dir: string;
  /** Executed notebook. */
  notebook: string;
  html: string | null;
  /** Files under `<dir>/figures`, sorted (empty when the notebook exported none). */
  figures: string[];
  /** Every `--set` override given to the runner (figures_dir included). */
  parameters: Record<string, unknown>;
  cells: number;
  outputs: number;
  wall_s: number;
  /** The re-run of `--rerun-cell` (absent without it). */
  rerun?: RerunResult;
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(join(dir, e.name));
    return names.sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/**
 * Executes a notebook headless with its overrides into its run folder (see NB_USAGE); the runner's
 * per-cell progress lines go to `log`. Throws naming the failing cell (the executed notebook is still
 * written) or, for an unknown notebook, listing the available ones.
 * @example Type-checked only (it runs Jupyter through python3)
 * ```ts
 * async function _nb(): Promise<void> {
 *   const r = await runNb(NbOptionsSchema.parse({ notebook: "00_smoke", set: "scale=3" }));
 *   console.log(r.html);
 * }
 * ```
 */
export async function runNb(
  opts: NbOptions,
  log: (l: string) => void = console.error,
): Promise<NbResult> {
  const path = join(notebooksDir(), `${opts.notebook}.ipynb`);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const names = (await listFiles(notebooksDir())).filter((f) => f.endsWith(".ipynb"))
      .map((f) => f.slice(f.lastIndexOf("/") + 1, -".ipynb".length));
    throw new Error(
      `--notebook: ${path} not found; expected one of ${names.join(", ") || "(none)"}`,
    );
  }
  const overrides = nbOverrides(opts.set);
  const rerun = nbRerun(opts);
  const dir = nbRunDir(opts);
  const figuresDir = join(dir, "figures");
  const knobs = declaredKnobs(text, path).map((k) => k.name);
  const parameters = knobs.includes(FIGURES_KNOB) && !Object.hasOwn(overrides, FIGURES_KNOB)
    ? { ...overrides, [FIGURES_KNOB]: resolve(figuresDir) } // the kernel runs in notebooks/
    : overrides;
  await Deno.mkdir(dir, { recursive: true });
  log(`convrec nb: ${opts.notebook} → ${dir} (${JSON.stringify(overrides)})`);
  const r = await executeNotebook(path, {
    outDir: dir,
    params: parameters,
    timeoutS: opts.timeout,
    onLog: (line) => log(line),
    rerun,
  });
  const result: NbResult = {
    dir,
    notebook: r.notebook,
    html: r.html,
    figures: await listFiles(figuresDir),
    parameters,
    cells: r.cells,
    outputs: r.outputs,
    wall_s: r.wall_s,
    ...(r.rerun ? { rerun: r.rerun } : {}),
  };
  await writeFileAtomic(
    join(dir, "nb.json"),
    JSON.stringify(
      { ...result, notebook_name: opts.notebook, overrides, timeout_s: opts.timeout },
      null,
      2,
    ) +
      "\n",
  );
  return result;
}

/** `convrec nb`. */
export const command: Command = jsonCommand({
  usage: NB_USAGE,
  argv: (args) => foldRepeated(args, { repeatable: ["set"], positional: "notebook" }),
  permissions: nbPermissions,
  schema: NbOptionsSchema,
  run: (opts) => runNb(opts),
});

if (import.meta.main) await runAsChild("nb", command);
