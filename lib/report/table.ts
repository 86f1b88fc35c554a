// Tables of run results: as a plotly `table` figure (notebooks, exported figures) and as aligned
// plain text (the terminal, e.g. the demo's results table).

import type { Figure } from "./figure.ts";

/** A table row: column name → cell value. */
export type Row = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Options of {@link table} and {@link formatTable}. */
export interface TableOptions {
  /** Columns in display order; @default the keys of the rows in first-seen order */
  columns?: readonly string[];
  /** Decimal places for non-integer numbers; @default 4 */
  digits?: number;
  title?: string;
}

/** The columns to show: the given ones, else every key in first-seen order. */
export function tableColumns(rows: readonly Row[], columns?: readonly string[]): string[] {
  if (columns !== undefined) return [...columns];
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/**
 * One cell as text: integers as is, other numbers with `digits` decimals, missing as "".
 * @example formatCell(0.123456, 3) // "0.123"
 */
export function formatCell(value: Row[string], digits = 4): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    return Number.isFinite(value) ? value.toFixed(digits) : String(value);
  }
  return String(value);
}

/**
 * A plotly table figure (header row plus one row per `rows` entry).
 * @example
 * const fig = table([{ algo: "grpo", recall: 0.12 }, { algo: "rank_grpo", recall: 0.15 }], { digits: 3 });
 */
export function table(rows: readonly Row[], opts: TableOptions = {}): Figure {
  const columns = tableColumns(rows, opts.columns);
  const cells = columns.map((c) => rows.map((r) => formatCell(r[c], opts.digits ?? 4)));
  const titled = opts.title !== undefined;
  return {
    data: [{
      type: "table",
      header: { values: columns, align: "left", fill: { color: "#e8ecf2" }, font: { size: 13 } },
      cells: { values: cells, align: "left", height: 26, font: { size: 12 } },
    }],
    layout: {
      ...(titled ? { title: { text: opts.title } } : {}),
      height: (titled ? 60 : 20) + 30 * (rows.length + 1) + 20,
      margin: { l: 10, r: 10, t: titled ? 50 : 10, b: 10 },
    },
  };
}

/**
 * Aligned plain-text table: header, rule, one line per row; numbers right-aligned.
 * @example
 * formatTable([{ algo: "grpo", recall: 0.1 }], { digits: 2 });
 * // "algo  recall\n----  ------\ngrpo    0.10"
 */
export function formatTable(rows: readonly Row[], opts: TableOptions = {}): string {
  const columns = tableColumns(rows, opts.columns);
  const text = rows.map((r) => columns.map((c) => formatCell(r[c], opts.digits ?? 4)));
  const widths = columns.map((c, j) => Math.max(c.length, ...text.map((t) => t[j].length)));
  const numeric = columns.map((c) =>
    rows.length > 0 && rows.every((r) => typeof r[c] === "number")
  );
  const pad = (s: string, j: number) => (numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j]));
  const lines = [
    ...(opts.title === undefined ? [] : [opts.title]),
    columns.map(pad).join("  ").trimEnd(),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...text.map((t) => t.map(pad).join("  ").trimEnd()),
  ];
  return lines.join("\n");
}
