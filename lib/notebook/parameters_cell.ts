// Reads a notebook's `parameters` cell (the code cell tagged "parameters", which `convrec nb --set` and
// papermill-style runners override): the knobs it declares and their default values.

/** One knob a parameters cell declares. */
export interface DeclaredKnob {
  name: string;
  /** the default's source text on its `let name[: type] = …;` line; null when not on one line */
  source: string | null;
}

/** The source of the code cell tagged `parameters`; null when the notebook has none. */
function parametersSource(notebookJson: string, path: string): string | null {
  let nb: { cells?: { cell_type: string; metadata?: { tags?: string[] }; source: unknown }[] };
  try {
    nb = JSON.parse(notebookJson);
  } catch (e) {
    throw new Error(`${path}: not JSON: ${(e as Error).message}`);
  }
  const cell = nb.cells?.find((c) =>
    c.cell_type === "code" && (c.metadata?.tags ?? []).includes("parameters")
  );
  if (cell === undefined) return null;
  return Array.isArray(cell.source) ? cell.source.join("") : String(cell.source);
}

const DECLARATION = /^\s*(?:let|const|var)\s+([A-Za-z_$][\w$]*)(.*)$/gm;
const ONE_LINE_VALUE = /^\s*(?::[^=]+)?=\s*(.+?);[ \t]*(?:\/\/.*)?$/;

/**
 * The knobs (let/const/var names, in order) of a notebook's parameters cell, each with its default's
 * source text; [] when the notebook has no parameters cell. `notebookJson` is the .ipynb text, `path`
 * names it in errors.
 * @example A notebook whose parameters cell declares two knobs
 * ```ts
 * const nb = JSON.stringify({
 *   cells: [{
 *     cell_type: "code",
 *     metadata: { tags: ["parameters"] },
 *     source: ['let title = "smoke";\n', "let points: number = 5; // per chart\n"],
 *   }],
 * });
 * const knobs = declaredKnobs(nb, "smoke.ipynb");
 * if (knobs[0].name !== "title" || knobs[0].source !== '"smoke"') throw new Error("title");
 * if (knobs[1].name !== "points" || knobs[1].source !== "5") throw new Error("points");
 * ```
 */
export function declaredKnobs(notebookJson: string, path: string): DeclaredKnob[] {
  const source = parametersSource(notebookJson, path);
  if (source === null) return [];
  return [...source.matchAll(DECLARATION)].map((m) => ({
    name: m[1],
    source: ONE_LINE_VALUE.exec(m[2])?.[1] ?? null,
  }));
}

/**
 * Each declared knob's default value; every default must be a JSON literal (numbers, strings, arrays,
 * null — the values `--set` accepts), else this throws naming the notebook and the knob.
 * @example
 * ```ts
 * const nb = JSON.stringify({
 *   cells: [{
 *     cell_type: "code",
 *     metadata: { tags: ["parameters"] },
 *     source: 'let title = "smoke";\nlet points = 5;\n',
 *   }],
 * });
 * const defaults = declaredDefaults(nb, "smoke.ipynb");
 * if (defaults.title !== "smoke" || defaults.points !== 5) {
 *   throw new Error(JSON.stringify(defaults));
 * }
 * ```
 */
export function declaredDefaults(notebookJson: string, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, source } of declaredKnobs(notebookJson, path)) {
    try {
      if (source === null) throw new Error("no one-line `let name = value;` declaration");
      out[name] = JSON.parse(source);
    } catch (e) {
      throw new Error(
        `${path}: parameters cell: ${name}: expected a JSON literal default (${
          (e as Error).message
        })`,
      );
    }
  }
  return out;
}
