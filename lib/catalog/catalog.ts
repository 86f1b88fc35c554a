// The item catalog: loads and validates a `title,year[,metadata…]` CSV, answers exact (title, year)
// membership, normalised-title lookup with year tolerance, and the in-catalog share of a list.

import { z } from "zod";
import { csvFieldLocation, locatedMessage, readCsv } from "../data/csv.ts";
import type { CsvRow } from "../data/csv.ts";
import { collapseSpace, titleKey } from "./py_text.ts";

/** One catalog entry; `meta` holds the extra CSV columns (empty for the Reddit-v2 catalog). */
export interface CatalogItem {
  readonly title: string;
  readonly year: number;
  readonly meta: Readonly<Record<string, string>>;
}

/**
 * Something in the file that was accepted but deserves a look: a repeated (title, year) row (the
 * first, at `firstLine`, is kept and this one dropped), or a year that is all ASCII digits but not
 * exactly 4 of them (kept; the released Reddit-v2 catalog has one: `The Wall,201`).
 */
export type CatalogWarning =
  | {
    readonly kind: "duplicate";
    readonly title: string;
    readonly year: number;
    readonly line: number;
    readonly firstLine: number;
    /** `file:line: duplicate …` text ready to print. */
    readonly message: string;
  }
  | {
    readonly kind: "year";
    readonly title: string;
    readonly year: number;
    readonly line: number;
    readonly column: number;
    /** `file:line:column: …` text ready to print. */
    readonly message: string;
  };

/** Options of {@link Catalog.lookup}. */
export interface LookupOptions {
  /** Largest |year difference| accepted. @default 2 */
  readonly tolerance?: number;
}

/** A loaded catalog: plain data plus lookup functions over indexes built once. */
export interface Catalog {
  /** Items in file order, duplicates removed. */
  readonly items: readonly CatalogItem[];
  /** Duplicate rows (dropped) and odd years (kept), in file order. */
  readonly warnings: readonly CatalogWarning[];
  /** Exact, case-sensitive (title, year) membership. */
  readonly has: (title: string, year: number) => boolean;
  /**
   * For an exact catalog pair, its {@link titleKey} (computed once at load); null when the pair is not
   * in the catalog. The scorer's hot path: membership and match key in one lookup.
   */
  readonly memberKey: (title: string, year: number) => string | null;
  /**
   * The item whose {@link titleKey} equals `titleKey(title)` with the nearest year, trying the exact
   * year, then year+1, year−1, year+2, year−2 … up to `tolerance`; null if none.
   */
  readonly lookup: (title: string, year: number, options?: LookupOptions) => CatalogItem | null;
  /** Fraction of `items` whose exact (title, year) is in the catalog; 0 for an empty list. */
  readonly inCatalogShare: (items: readonly (readonly [string, number])[]) => number;
}

/** Options of {@link parseCatalog}. */
export interface ParseCatalogOptions {
  /** File name used in messages. @default "<catalog>" */
  readonly file?: string;
  /**
   * `true`: a year must be exactly 4 ASCII digits (error otherwise). `false`: a year of 1–9 ASCII
   * digits is accepted and one not of 4 digits is reported in `warnings`. Years with anything but
   * ASCII digits are always errors. @default false (the real Reddit-v2 catalog holds `The Wall,201`)
   */
  readonly strictYears?: boolean;
}

/** Options of {@link catalogFromItems}. */
export interface CatalogFromItemsOptions {
  /** File name used in messages. @default "<catalog>" */
  readonly file?: string;
  /** Warnings found while reading the items (kept in front of duplicate warnings). */
  readonly warnings?: readonly CatalogWarning[];
  /** Source line of each item, for duplicate messages. @default item index + 1 */
  readonly lines?: readonly number[];
}

const REQUIRED = ["title", "year"] as const;
const EMPTY_META: Readonly<Record<string, string>> = Object.freeze({});
const MAX_REPORTED_ERRORS = 20;

/** Schema of one data row (after the header has named its fields), strict or lenient on years. */
const rowSchema = (strictYears: boolean) =>
  z.object({
    title: z.string().refine((t) => collapseSpace(t) !== "", { message: "a non-empty title" }),
    year: strictYears
      ? z.string().regex(/^[0-9]{4}$/, { message: "a year of exactly 4 ASCII digits" })
      : z.string().regex(/^[0-9]{1,9}$/, { message: "a year of ASCII digits (normally 4)" }),
  }).catchall(z.string());

/**
 * Builds a catalog from items already in memory (duplicates after the first are dropped).
 * @example
 * const c = catalogFromItems([{ title: "Heat", year: 1995, meta: {} }]);
 * c.has("Heat", 1995); // true
 */
export function catalogFromItems(
  items: readonly CatalogItem[],
  options: CatalogFromItemsOptions = {},
): Catalog {
  const file = options.file ?? "<catalog>";
  const lines = options.lines;
  const exact = new Map<string, Map<number, CatalogItem>>(); // title -> year -> item
  const folded = new Map<string, Map<number, CatalogItem>>(); // titleKey -> year -> first item
  const firstLine = new Map<CatalogItem, number>();
  const kept: CatalogItem[] = [];
  const warnings: CatalogWarning[] = [...(options.warnings ?? [])];
  items.forEach((item, i) => {
    const line = lines?.[i] ?? i + 1;
    let years = exact.get(item.title);
    if (years === undefined) exact.set(item.title, years = new Map());
    const first = years.get(item.year);
    if (first !== undefined) {
      const at = firstLine.get(first)!;
      warnings.push({
        kind: "duplicate",
        title: item.title,
        year: item.year,
        line,
        firstLine: at,
        message: `${file}:${line}: duplicate of line ${at} (${
          JSON.stringify(item.title)
        }, ${item.year}); the first is kept`,
      });
      return;
    }
    years.set(item.year, item);
    firstLine.set(item, line);
    kept.push(item);
    const key = titleKey(item.title);
    let keyYears = folded.get(key);
    if (keyYears === undefined) folded.set(key, keyYears = new Map());
    if (!keyYears.has(item.year)) keyYears.set(item.year, item);
  });

  const has = (title: string, year: number): boolean => exact.get(title)?.has(year) === true;
  // exact title -> its titleKey and years: membership and match key in one string lookup
  const members = new Map<string, { key: string; years: Map<number, CatalogItem> }>();
  for (const [title, years] of exact) members.set(title, { key: titleKey(title), years });
  const memberKey = (title: string, year: number): string | null => {
    const m = members.get(title);
    return m !== undefined && m.years.has(year) ? m.key : null;
  };

  const lookup = (title: string, year: number, opts: LookupOptions = {}): CatalogItem | null => {
    const years = folded.get(titleKey(title));
    if (years === undefined) return null;
    const tolerance = opts.tolerance ?? 2;
    const hit = years.get(year);
    if (hit !== undefined) return hit;
    for (let d = 1; d <= tolerance; d++) {
      const up = years.get(year + d) ?? years.get(year - d);
      if (up !== undefined) return up;
    }
    return null;
  };

  const inCatalogShare = (list: readonly (readonly [string, number])[]): number => {
    if (list.length === 0) return 0;
    let n = 0;
    for (const [title, year] of list) if (has(title, year)) n++;
    return n / list.length;
  };

  return { items: kept, warnings, has, memberKey, lookup, inCatalogShare };
}

function headerIndexes(header: CsvRow, file: string): string[] {
  const names = [...header.fields];
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (seen.has(name)) {
      throw new Error(locatedMessage(
        file,
        csvFieldLocation(header, i),
        `header: column ${JSON.stringify(name)} repeated (first at field ${seen.get(name)! + 1})`,
      ));
    }
    seen.set(name, i);
  });
  const missing = REQUIRED.filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new Error(locatedMessage(
      file,
      csvFieldLocation(header, header.fields.length),
      `header: expected columns title,year[,metadata…], missing ${missing.join(",")} (found ${
        JSON.stringify(header.fields.join(","))
      })`,
    ));
  }
  return names;
}

/**
 * Parses catalog CSV text. Throws one error listing up to 20 `file:line:column: …` problems (empty
 * title, year not ASCII digits — or not exactly 4 of them with `strictYears` —, wrong field count,
 * bad quoting, missing header columns). Duplicate (title, year) rows are not errors: they are
 * returned in `warnings` with both line numbers, the first kept.
 * @example
 * const c = parseCatalog("title,year\n'71,2014\n", { file: "c.csv" });
 * c.items[0]; // { title: "'71", year: 2014, meta: {} }
 */
export function parseCatalog(
  text: string | Uint8Array,
  options: ParseCatalogOptions = {},
): Catalog {
  const file = options.file ?? "<catalog>";
  const rows = readCsv(text, { file });
  if (rows.length === 0) {
    throw new Error(`${file}:1:1: empty file: expected a header line title,year[,metadata…]`);
  }
  const names = headerIndexes(rows[0], file);
  const schema = rowSchema(options.strictYears ?? false);
  const warnings: CatalogWarning[] = [];
  const metaNames = names.filter((n) => n !== "title" && n !== "year");
  const items: CatalogItem[] = [];
  const lines: number[] = [];
  const errors: string[] = [];
  let r = 1;
  for (; r < rows.length && errors.length < MAX_REPORTED_ERRORS; r++) {
    const row = rows[r];
    if (row.fields.length !== names.length) {
      const at = csvFieldLocation(row, Math.min(row.fields.length, names.length));
      errors.push(locatedMessage(
        file,
        at,
        `expected ${names.length} fields (${names.join(",")}), found ${row.fields.length}`,
      ));
      continue;
    }
    const obj: Record<string, string> = {};
    names.forEach((name, i) => obj[name] = row.fields[i]);
    const parsed = schema.safeParse(obj);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0]);
        const value = obj[field];
        errors.push(locatedMessage(
          file,
          csvFieldLocation(row, names.indexOf(field)),
          `${field}: expected ${issue.message}, found ${JSON.stringify(value)}`,
        ));
      }
      continue;
    }
    let meta = EMPTY_META;
    if (metaNames.length > 0) {
      const m: Record<string, string> = {};
      for (const name of metaNames) m[name] = obj[name];
      meta = m;
    }
    const year = Number(obj.year);
    if (obj.year.length !== 4) {
      const at = csvFieldLocation(row, names.indexOf("year"));
      warnings.push({
        kind: "year",
        title: obj.title,
        year,
        line: row.line,
        column: at.column,
        message: locatedMessage(
          file,
          at,
          `year: ${JSON.stringify(obj.year)} is not 4 digits; kept as ${year}`,
        ),
      });
    }
    items.push({ title: obj.title, year, meta });
    lines.push(row.line);
  }
  if (errors.length > 0) {
    const more = r < rows.length ? `\n(stopped after ${errors.length} errors)` : "";
    throw new Error(`invalid catalog ${file}:\n${errors.join("\n")}${more}`);
  }
  return catalogFromItems(items, { file, lines, warnings });
}

/**
 * Reads and parses a catalog CSV file (see {@link parseCatalog}).
 * @example
 * const c = await loadCatalog("../shared/data/reddit-v2/catalog.csv");
 * c.items.length; // 7404
 */
export async function loadCatalog(
  path: string,
  options: Omit<ParseCatalogOptions, "file"> = {},
): Promise<Catalog> {
  return parseCatalog(await Deno.readFile(path), { ...options, file: path });
}
