// Reads RFC 4180 CSV text into rows that know their file line, wrapping `csv-parse/sync` (the only
// module that imports it); syntax errors are reported as file:line:column with what was expected.

import { parse } from "csv-parse/sync";

/** One CSV record: its fields and where it sits in the file. */
export interface CsvRow {
  /** 1-based line on which the record starts (a quoted field may carry it over several lines). */
  readonly line: number;
  /** The parsed field values (quotes removed, `""` unescaped). */
  readonly fields: readonly string[];
  /** The record's source text, without its line ending; used to locate fields. */
  readonly text: string;
}

/** A position in a text file: 1-based line and 1-based column (in Unicode code points). */
export interface TextLocation {
  readonly line: number;
  readonly column: number;
}

/** Options of {@link readCsv}. */
export interface ReadCsvOptions {
  /** File name used in error messages. @default "<csv>" */
  readonly file?: string;
}

interface RecordScan {
  /** String offsets (into the scanned text) where each field starts. */
  readonly fieldStarts: number[];
  /** Offset and description of the first syntax problem, if any. */
  readonly problem?: { readonly offset: number; readonly expected: string };
}

/**
 * Scans one CSV record starting at `start` the way RFC 4180 reads it, to find field positions and
 * the first quoting problem. Used only to locate things; csv-parse does the actual parsing.
 */
function scanRecord(text: string, start: number): RecordScan {
  const fieldStarts = [start];
  let i = start;
  while (i < text.length) {
    if (text[i] === '"') {
      const open = i;
      i++;
      for (;;) {
        if (i >= text.length) {
          return {
            fieldStarts,
            problem: { offset: open, expected: "a closing quote for the field opened here" },
          };
        }
        if (text[i] === '"') {
          if (text[i + 1] === '"') i += 2;
          else break;
        } else i++;
      }
      i++; // past the closing quote
      const c = text[i];
      if (i < text.length && c !== "," && c !== "\n" && !(c === "\r" && text[i + 1] === "\n")) {
        return {
          fieldStarts,
          problem: {
            offset: i,
            expected: `a comma or line end after a closing quote, found ${JSON.stringify(c)}`,
          },
        };
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\n") {
        if (text[i] === '"') {
          return {
            fieldStarts,
            problem: {
              offset: i,
              expected:
                'no quote inside an unquoted field (quote the whole field and write "" for ")',
            },
          };
        }
        i++;
      }
    }
    if (i >= text.length || text[i] === "\n" || text[i] === "\r") break;
    i++; // past the comma
    fieldStarts.push(i);
  }
  return { fieldStarts };
}

/** Line and column (1-based, code points) of string offset `offset` in `text`, counted from `base`. */
function locate(text: string, offset: number, base: TextLocation): TextLocation {
  let line = base.line;
  let column = base.column;
  for (let i = 0; i < offset;) {
    const cp = text.codePointAt(i)!;
    if (cp === 0x0a) {
      line++;
      column = 1;
    } else column++;
    i += cp > 0xffff ? 2 : 1;
  }
  return { line, column };
}

/**
 * Location of field `index` of a row (its first character), or of the record's end when `index`
 * equals the number of fields (where a missing field would go).
 * @example
 * const [row] = readCsv('a,"b"\n');
 * csvFieldLocation(row, 1); // { line: 1, column: 3 }
 */
export function csvFieldLocation(row: CsvRow, index: number): TextLocation {
  const { fieldStarts } = scanRecord(row.text, 0);
  const offset = index < fieldStarts.length ? fieldStarts[index] : row.text.length;
  return locate(row.text, offset, { line: row.line, column: 1 });
}

/** Formats `file:line:column: message`, the form every reader error takes. */
export function locatedMessage(file: string, at: TextLocation, message: string): string {
  return `${file}:${at.line}:${at.column}: ${message}`;
}

function stripLineEnd(s: string): string {
  if (s.endsWith("\r\n")) return s.slice(0, -2);
  if (s.endsWith("\n")) return s.slice(0, -1);
  return s;
}

/**
 * Parses CSV (comma-separated, `"` quoting, `""` escapes, LF or CRLF line ends, optional UTF-8 BOM)
 * into rows with their starting line. Empty lines are skipped. The header, if any, is row 0.
 * Throws `file:line:column: …` on bad quoting.
 * @example
 * const rows = readCsv('title,year\n"10,000 BC",2008\n', { file: "c.csv" });
 * rows[1]; // { line: 2, fields: ["10,000 BC", "2008"], text: '"10,000 BC",2008' }
 */
export function readCsv(input: string | Uint8Array, options: ReadCsvOptions = {}): CsvRow[] {
  const file = options.file ?? "<csv>";
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const ends: number[] = []; // byte offset just past each record (its line ending included)
  let records: string[][];
  try {
    records = parse(bytes, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ["\r\n", "\n"],
      on_record: (record: string[], context: { bytes: number }) => {
        ends.push(context.bytes);
        return record;
      },
    });
  } catch (err) {
    throw new Error(syntaxErrorMessage(file, bytes, ends.at(-1) ?? 0, err), { cause: err });
  }
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
  const rows: CsvRow[] = new Array(records.length);
  let line = 1;
  let pos = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let r = 0; r < records.length; r++) {
    // Skip the empty lines csv-parse folded into this record's span.
    while (pos < ends[r] && (bytes[pos] === 0x0a || bytes[pos] === 0x0d)) {
      if (bytes[pos] === 0x0a) line++;
      pos++;
    }
    const text = stripLineEnd(decoder.decode(bytes.subarray(pos, ends[r])));
    rows[r] = { line, fields: records[r], text };
    for (let p = pos; p < ends[r]; p++) if (bytes[p] === 0x0a) line++;
    pos = ends[r];
  }
  return rows;
}

function syntaxErrorMessage(file: string, bytes: Uint8Array, start: number, err: unknown): string {
  const text = new TextDecoder().decode(bytes); // drops a leading BOM, like csv-parse
  const bomBytes = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const before = new TextDecoder().decode(bytes.subarray(bomBytes, Math.max(start, bomBytes)));
  let offset = before.length;
  while (text[offset] === "\n" || text[offset] === "\r") offset++;
  const { problem } = scanRecord(text, offset);
  const at = locate(text, problem?.offset ?? offset, { line: 1, column: 1 });
  if (problem) return locatedMessage(file, at, `bad CSV quoting: expected ${problem.expected}`);
  return locatedMessage(file, at, `CSV syntax error: ${err instanceof Error ? err.message : err}`);
}
