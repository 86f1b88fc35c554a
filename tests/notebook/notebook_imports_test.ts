// Notebooks reach lib through its public surface only: one `import * as convrec from "../lib/mod.ts"`
// per notebook, no deep module paths (the surface is what a user's own notebook would import).
import { assertEquals } from "../_assert.ts";

const NOTEBOOKS = new URL("../../notebooks/", import.meta.url).pathname;

Deno.test("notebooks import lib only through lib/mod.ts", async () => {
  const deep: string[] = [];
  for await (const e of Deno.readDir(NOTEBOOKS)) {
    if (!e.name.endsWith(".ipynb")) continue;
    const nb = JSON.parse(await Deno.readTextFile(NOTEBOOKS + e.name));
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code")
      .map((c: { source: string[] }) => c.source.join("")).join("\n");
    for (const m of code.matchAll(/from\s+"([^"]+)"/g)) {
      if (m[1] !== "../lib/mod.ts") deep.push(`${e.name}: ${m[1]}`);
    }
  }
  assertEquals(deep, []);
});
