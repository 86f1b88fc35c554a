// Repeated `--set key=value` overrides and a positional name for commands over splitArgs (which takes
// each option once and no positional words): fold them into `--<name> NAME --set k=v,k=v`, then split.

import { UsageError } from "./args.ts";

const KEY = /^[A-Za-z_$][\w$]*$/;
/** A comma that starts the next `key=` item (commas inside JSON values such as `[5,10]` stay). */
const ITEM_BOUNDARY = /,(?=\s*[A-Za-z_$][\w$]*=)/;

/**
 * Splits one `--set` value holding comma-separated `key=value` items; a comma belongs to the value
 * unless an identifier and `=` follow it.
 * @example
 * ```ts
 * const items = splitSetList('ks=[5,10],preset="smoke"'); // ["ks=[5,10]", 'preset="smoke"']
 * if (items.length !== 2 || items[0] !== "ks=[5,10]") throw new Error(JSON.stringify(items));
 * ```
 */
export function splitSetList(value: string): string[] {
  return value.split(ITEM_BOUNDARY).map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * `key=value` items → overrides, in order. A value is JSON when it parses (`7`, `"smoke"`, `[5,10]`,
 * `true`), else the raw string (as lib/notebook/run_notebook.py reads `--set`). Keys must be
 * TypeScript identifiers and given once.
 * @example
 * ```ts
 * const set = parseOverrides(["seed=7", "preset=smoke", "ks=[5,10]"]);
 * // { seed: 7, preset: "smoke", ks: [5, 10] }: JSON when it parses, else the raw string
 * if (set.seed !== 7 || set.preset !== "smoke" || JSON.stringify(set.ks) !== "[5,10]") {
 *   throw new Error(JSON.stringify(set));
 * }
 * ```
 */
export function parseOverrides(items: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq < 0) throw new UsageError(`--set ${item}: expected key=value`);
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1);
    if (!KEY.test(key)) {
      throw new UsageError(`--set ${item}: key "${key}" is not a TypeScript identifier`);
    }
    if (Object.hasOwn(out, key)) throw new UsageError(`--set ${key}: given twice`);
    try {
      out[key] = JSON.parse(raw);
    } catch {
      out[key] = raw;
    }
  }
  return out;
}

/** Options of {@link foldRepeated}. */
export interface FoldOptions {
  /** Options that may repeat; their values are joined with "," into one occurrence. */
  repeatable: readonly string[];
  /** Option name that receives the single positional word (e.g. "notebook"). */
  positional?: string;
}

/**
 * Rewrites argv so splitArgs accepts it: every `--opt v` / `--opt=v` of a repeatable option is joined
 * into one `--opt v1,v2`, and a single positional word becomes `--<positional> WORD`. Values of a
 * repeatable option must not themselves contain `,key=` (it would split there).
 * @example
 * ```ts
 * const argv = ["01_catalog_and_data", "--set", "seed=7", '--set=preset="smoke"'];
 * const folded = foldRepeated(argv, { repeatable: ["set"], positional: "notebook" });
 * const expected = ["--notebook", "01_catalog_and_data", "--set", 'seed=7,preset="smoke"'];
 * if (folded.join(" ") !== expected.join(" ")) throw new Error(folded.join(" "));
 * ```
 */
export function foldRepeated(argv: readonly string[], opts: FoldOptions): string[] {
  const rest: string[] = [];
  const joined = new Map<string, string[]>();
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      words.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!opts.repeatable.includes(key)) {
      rest.push(a);
      if (eq < 0 && i + 1 < argv.length && !argv[i + 1].startsWith("--")) rest.push(argv[++i]);
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[i + 1];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) {
      throw new UsageError(`--${key}: expected a value`);
    }
    if (eq < 0) i++;
    joined.set(key, [...(joined.get(key) ?? []), value]);
  }
  if (words.length > 0 && opts.positional === undefined) {
    throw new UsageError(`unexpected argument "${words[0]}"`);
  }
  if (words.length > 1) throw new UsageError(`unexpected argument "${words[1]}"`);
  return [
    ...(words.length === 1 ? [`--${opts.positional}`, words[0]] : []),
    ...rest,
    ...[...joined].flatMap(([key, values]) => [`--${key}`, values.join(",")]),
  ];
}
