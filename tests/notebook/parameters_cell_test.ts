// lib/notebook/parameters_cell.ts on hand-made notebooks: the knobs of the cell tagged "parameters",
// their default's source and value; a notebook without one declares nothing; errors name the knob.
import { assertEquals, assertThrows } from "../_assert.ts";
import { declaredDefaults, declaredKnobs } from "../../lib/notebook/parameters_cell.ts";

function notebook(...cells: { source: string[]; tags?: string[]; markdown?: boolean }[]): string {
  return JSON.stringify({
    cells: cells.map((c) => ({
      cell_type: c.markdown ? "markdown" : "code",
      metadata: c.tags ? { tags: c.tags } : {},
      source: c.source,
    })),
  });
}

const NB = notebook(
  { source: ["let before = 1;\n"] },
  { source: ["let seed = 0;\n"], tags: ["parameters"], markdown: true },
  {
    source: [
      "let seed = 7; // root seed; any text\n",
      'let formats: ("svg" | "png")[] = ["svg"];\n',
      "  const steps: number | null = null;\n",
      "let multi = [\n",
      "  1,\n",
      "];\n",
    ],
    tags: ["parameters"],
  },
);

Deno.test("declaredKnobs: names in order with their one-line default's source", () => {
  assertEquals(declaredKnobs(NB, "nb.ipynb"), [
    { name: "seed", source: "7" },
    { name: "formats", source: '["svg"]' },
    { name: "steps", source: "null" },
    { name: "multi", source: null },
  ]);
  assertEquals(declaredKnobs(notebook({ source: ["let a = 1;"] }), "x.ipynb"), []);
  assertThrows(() => declaredKnobs("{", "bad.ipynb"), "bad.ipynb: not JSON");
});

Deno.test("declaredDefaults: JSON values; a default that is not one names the notebook and knob", () => {
  const one = notebook({
    source: ["let seed = 7;\n", 'let f = ["svg"]; // x\n'],
    tags: ["parameters"],
  });
  assertEquals(declaredDefaults(one, "nb.ipynb"), { seed: 7, f: ["svg"] });
  assertThrows(() => declaredDefaults(NB, "nb.ipynb"), "nb.ipynb: parameters cell: multi");
  const call = notebook({ source: ["let n = Math.max(1, 2);\n"], tags: ["parameters"] });
  assertThrows(() => declaredDefaults(call, "c.ipynb"), "c.ipynb: parameters cell: n");
});
