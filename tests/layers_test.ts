// The house rules of lib/ and kernels/, read from the import statements themselves: layers import
// downward only, and no file takes part in an import cycle. Static, type-only and literal dynamic
// imports all count.
//
//   cli         argument parsing, permissions, process entry points
//   experiment  running experiments: cached runs, training inputs, the cache, ablation/paper runs,
//               the reproduction driver
//   notebook    display and progress (the only place that knows Jupyter)
//   report      figure specs and tables over rows
//   core        runtime, catalog, data, reward, model, gpu, kernels, distill, train

import { assert, assertEquals } from "./_assert.ts";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Layer rank: a file may import files of its own rank or lower. */
const RANK: Record<string, number> = { core: 0, report: 1, notebook: 2, experiment: 3, cli: 4 };
const TOP_FOLDERS = new Set(["report", "notebook", "experiment", "cli"]);

/** The layer of a repo-relative path: lib/<folder>/… → folder if it is a top layer, else core. */
export function layerOf(path: string): string {
  const [top, folder] = path.split("/");
  if (top === "kernels") return "core";
  if (top === "lib" && folder.endsWith(".ts")) return "root"; // lib/mod.ts: the public surface
  return TOP_FOLDERS.has(folder) ? folder : "core";
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(["'])(\.{1,2}\/[^"']+)\1/gm;

/** Block comments and whole-line comments (doc examples hold import statements). */
const COMMENTS = /\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm;

/** Repo-relative paths of the local modules `source` (at repo-relative `file`) imports. */
export function importsOf(file: string, source: string): string[] {
  const out: string[] = [];
  for (const m of source.replace(COMMENTS, "").matchAll(IMPORT)) {
    out.push(normalize(join(dirname(file), m[2])));
  }
  return out;
}

/** Every .ts file under the given repo folders. */
async function sources(folders: string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(join(ROOT, dir))) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.name.endsWith(".ts")) files.set(p, await Deno.readTextFile(join(ROOT, p)));
    }
  };
  for (const f of folders) await walk(f);
  return files;
}

/** Import edges that go up a layer, as `from → to` lines. */
export function upwardImports(graph: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of graph) {
    const a = layerOf(from);
    if (a === "root") continue;
    for (const to of tos) {
      const b = layerOf(to);
      if (b === "root" || RANK[b] > RANK[a]) bad.push(`${from} (${a}) → ${to} (${b})`);
    }
  }
  return bad;
}

/** Strongly connected components with more than one file (or a file importing itself). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

Deno.test("layers: lib/ and kernels/ import downward only, with no import cycles", async () => {
  const files = await sources(["lib", "kernels"]);
  const graph = new Map([...files].map(([f, s]) => [f, importsOf(f, s)]));
  for (const [from, tos] of graph) {
    for (const to of tos) assert(files.has(to), `${from} imports ${to}, which does not exist`);
  }
  assert(graph.size > 200, `read ${graph.size} files`);
  assertEquals(upwardImports(graph), []);
  assertEquals(importCycles(graph), []);
});

Deno.test("layers: the checks see an upward import and a cycle when there is one", () => {
  const src = (imports: string[]) => imports.map((i) => `import { x } from "${i}";`).join("\n");
  const graph = new Map([
    ["lib/train/a.ts", importsOf("lib/train/a.ts", src(["../report/r.ts", "./b.ts"]))],
    ["lib/train/b.ts", importsOf("lib/train/b.ts", src(["./a.ts"]))],
    ["lib/report/r.ts", importsOf("lib/report/r.ts", `import type { y } from "../notebook/n.ts";`)],
    ["lib/notebook/n.ts", importsOf("lib/notebook/n.ts", `const m = await import("../cli/c.ts");`)],
    ["lib/cli/c.ts", importsOf("lib/cli/c.ts", src(["../experiment/e.ts"]))],
  ]);
  assertEquals(upwardImports(graph), [
    "lib/train/a.ts (core) → lib/report/r.ts (report)",
    "lib/report/r.ts (report) → lib/notebook/n.ts (notebook)",
    "lib/notebook/n.ts (notebook) → lib/cli/c.ts (cli)",
  ]);
  assertEquals(importCycles(graph), [["lib/train/a.ts", "lib/train/b.ts"]]);
  assertEquals(
    importsOf("lib/a.ts", '/** @example import { b } from "./b.ts"; */\n// from "./c.ts"'),
    [],
  );
});
