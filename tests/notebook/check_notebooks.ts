// Type-checks notebook code cells: each notebooks/*.ipynb becomes one temporary .ts module (code cells
// concatenated in order, relative imports made absolute, top-level await allowed) run through `deno check`.
// Usage: deno run --allow-read --allow-write --allow-run tests/notebook/check_notebooks.ts [NB.ipynb …]

import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Where one cell's code sits in the generated module (1-based, inclusive lines). */
export interface CellSpan {
  /** Index of the cell in the notebook's `cells` array. */
  cell: number;
  startLine: number;
  endLine: number;
}

/** A notebook as one TypeScript module. */
export interface NotebookModule {
  source: string;
  spans: CellSpan[];
}

const RELATIVE_SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.\.?\/[^"']*)\2/g;

/**
 * The code cells of a notebook (.ipynb JSON text) as one module: cells in order, each after a
 * `// cell N` marker, relative import specifiers resolved against `notebookDir` (so the module can
 * live anywhere), `export {};` appended so top-level await is allowed even without imports.
 * @example notebookToModule(await Deno.readTextFile("notebooks/00_smoke.ipynb"), { notebookDir: "notebooks" }).spans.length
 */
export function notebookToModule(text: string, opts: { notebookDir: string }): NotebookModule {
  const nb = JSON.parse(text) as { cells?: { cell_type: string; source: string | string[] }[] };
  const base = pathToFileURL(resolve(opts.notebookDir) + "/");
  const lines: string[] = [];
  const spans: CellSpan[] = [];
  (nb.cells ?? []).forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const code = (Array.isArray(cell.source) ? cell.source.join("") : cell.source)
      .replace(
        RELATIVE_SPECIFIER,
        (_, pre, q, spec) => `${pre}${q}${new URL(spec, base).href}${q}`,
      );
    lines.push(`// cell ${index}`);
    const cellLines = code.split("\n");
    spans.push({
      cell: index,
      startLine: lines.length + 1,
      endLine: lines.length + cellLines.length,
    });
    lines.push(...cellLines);
  });
  lines.push("export {};", "");
  return { source: lines.join("\n"), spans };
}

/**
 * Rewrites `file:///…/<stem>.ts:LINE:COL` locations in deno's output to `<notebook> cell N line L`.
 * @example mapLocations("at file:///tmp/x/01.ts:5:3", "file:///tmp/x/01.ts", "notebooks/01.ipynb", spans)
 */
export function mapLocations(
  output: string,
  moduleUrl: string,
  notebook: string,
  spans: readonly CellSpan[],
): string {
  const escaped = moduleUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return output.replace(new RegExp(`${escaped}:(\\d+):(\\d+)`, "g"), (whole, l, c) => {
    const line = Number(l);
    const span = spans.find((s) => line >= s.startLine && line <= s.endLine);
    return span === undefined
      ? whole
      : `${notebook} cell ${span.cell} line ${line - span.startLine + 1}:${c}`;
  });
}

/** Result of {@link checkNotebooks}. */
export interface CheckResult {
  ok: boolean;
  /** deno check's output with locations mapped back to notebook cells. */
  output: string;
}

/**
 * Type-checks the notebooks (one `deno check` over all of them) with the project's deno.json.
 * @example const r = await checkNotebooks(["notebooks/01_catalog_and_data.ipynb"]); if (!r.ok) console.error(r.output);
 */
export async function checkNotebooks(
  paths: readonly string[],
  opts: { config?: string } = {},
): Promise<CheckResult> {
  const config = opts.config ?? fileURLToPath(new URL("../../deno.json", import.meta.url));
  const dir = await Deno.makeTempDir({ prefix: "convrec-nbcheck-" });
  try {
    const modules = await Promise.all(paths.map(async (path, i) => {
      const mod = notebookToModule(await Deno.readTextFile(path), { notebookDir: dirname(path) });
      const file = join(dir, `${i}_${basename(path, ".ipynb").replace(/[^\w.-]/g, "_")}.ts`);
      await Deno.writeTextFile(file, mod.source);
      return { path, file, spans: mod.spans };
    }));
    if (modules.length === 0) return { ok: true, output: "" };
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", `--config=${config}`, ...modules.map((m) => m.file)],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    let output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    for (const m of modules) {
      output = mapLocations(output, pathToFileURL(m.file).href, m.path, m.spans);
    }
    return { ok: out.success, output: output.trim() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(args: string[]): Promise<number> {
  const notebooks = fileURLToPath(new URL("../../notebooks", import.meta.url));
  const paths = args.length > 0 ? args : [...Deno.readDirSync(notebooks)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb") && !e.name.startsWith("."))
    .map((e) => join(notebooks, e.name))
    .sort();
  const r = await checkNotebooks(paths);
  if (r.output) console.error(r.output);
  console.error(`check_notebooks: ${paths.length} notebook(s) ${r.ok ? "ok" : "FAILED"}`);
  return r.ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
