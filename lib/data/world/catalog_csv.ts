// Writes the built-in world's catalog as RFC-4180 CSV `title,year,genre,…` (reading CSV lives in
// lib/data, not here). Not in the paper: the Reddit-v2 catalog has only `title,year`.
import type { WorldMovie } from "./movies.ts";

/** Column order of the world catalog CSV. */
export const CATALOG_COLUMNS = [
  "title",
  "year",
  "genre",
  "creative_type",
  "director",
  "mpaa",
  "imdb_rating",
  "imdb_votes",
] as const;

/**
 * Quote one CSV field per RFC 4180: fields holding a comma, quote, CR or LF (or leading/trailing
 * space) are wrapped in double quotes with inner quotes doubled; others are written as is.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(csvField("Crouching Tiger, Hidden Dragon"), '"Crouching Tiger, Hidden Dragon"');
 * strictEqual(csvField('Say "Hi"'), '"Say ""Hi"""');
 * ```
 */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The catalog as CSV text: a header line then one line per movie, CRLF-free (`\n` line ends), ending
 * with a newline. Missing director / MPAA rating are empty fields.
 *
 * @example
 * ```ts
 * const meta = {
 *   genre: "Action", creative_type: "Contemporary Fiction", director: "Michael Mann", mpaa: "R",
 *   imdb_rating: 8.2, imdb_votes: 300000,
 * };
 * const csv = catalogToCsv([{ title: "Heat", year: 1995, meta }]); // "title,year,genre,…\nHeat,1995,Action,…\n"
 * if (!csv.split("\n")[1].startsWith("Heat,1995,Action")) throw new Error(csv);
 * ```
 */
export function catalogToCsv(movies: readonly WorldMovie[]): string {
  const lines = [CATALOG_COLUMNS.join(",")];
  for (const m of movies) {
    const fields = [
      m.title,
      String(m.year),
      m.meta.genre,
      m.meta.creative_type,
      m.meta.director ?? "",
      m.meta.mpaa ?? "",
      String(m.meta.imdb_rating),
      String(m.meta.imdb_votes),
    ];
    lines.push(fields.map(csvField).join(","));
  }
  return lines.join("\n") + "\n";
}
