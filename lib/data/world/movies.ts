// Builds the built-in world's catalog from vega-datasets `data/movies.json` (read at run time from
// node_modules): title cleaning, release year parsing, dedupe by (title, year). Not in the paper.
import { z } from "zod";

/** Metadata the generative story uses; `director` and `mpaa` may be missing in the source. */
export interface MovieMeta {
  genre: string;
  creative_type: string;
  director: string | null;
  mpaa: string | null;
  imdb_rating: number;
  imdb_votes: number;
}

/** One catalog row of the built-in world. */
export interface WorldMovie {
  title: string;
  year: number;
  meta: MovieMeta;
}

/** How many source rows were dropped, by reason (each row counted once, first reason wins). */
export interface CatalogDrops {
  missing_title: number;
  bad_date: number;
  missing_fields: number;
  duplicate: number;
}

/** The cleaned catalog plus the drop counts. */
export interface BuiltCatalog {
  movies: WorldMovie[];
  drops: CatalogDrops;
  source_rows: number;
}

/** The fields of a vega-datasets movie we read (others are ignored); every field may be null. */
export const VegaMovieSchema = z.object({
  "Title": z.union([z.string(), z.number()]).nullable(),
  "Release Date": z.string().nullable(),
  "Major Genre": z.string().nullable(),
  "Creative Type": z.string().nullable(),
  "Director": z.string().nullable(),
  "MPAA Rating": z.string().nullable(),
  "IMDB Rating": z.number().nullable(),
  "IMDB Votes": z.number().nullable(),
}).loose();

/** One source row as read from movies.json. */
export type VegaMovie = z.infer<typeof VegaMovieSchema>;

/**
 * The newest release year believed genuine: movies.json was compiled around 2010–2011, and its pre-1950
 * classics carry century-shifted dates ("Gone with the Wind", "Dec 15 2039"). Later years are bad dates.
 */
export const LATEST_PLAUSIBLE_YEAR = 2011;
/** The oldest release year accepted. */
export const EARLIEST_PLAUSIBLE_YEAR = 1900;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DATE_RE = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{4})$/;

/**
 * The path of movies.json inside the installed vega-datasets package (resolved through the import map).
 *
 * @example
 * ```ts
 * const path = vegaMoviesPath(); // .../node_modules/.deno/vega-datasets@3.2.1/.../data/movies.json
 * if (!path.endsWith("movies.json")) throw new Error(path);
 * ```
 */
export function vegaMoviesPath(): string {
  const entry = import.meta.resolve("vega-datasets"); // file:///…/vega-datasets/build/index.js
  if (!entry.startsWith("file:")) {
    throw new Error(
      `lib/data/world/movies.ts: vegaMoviesPath: expected vega-datasets to resolve to a file in ` +
        `node_modules (deno.json nodeModulesDir "auto"), got ${entry}; run \`deno install\``,
    );
  }
  return decodeURIComponent(new URL("../data/movies.json", entry).pathname);
}

/**
 * Read and validate the raw movies.json rows.
 *
 * @example
 * ```ts
 * const rows = await readVegaMovies(); // 3,201 rows
 * if (rows.length !== 3201) throw new Error(`${rows.length} rows`);
 * ```
 */
export async function readVegaMovies(path: string = vegaMoviesPath()): Promise<VegaMovie[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(
      `lib/data/world/movies.ts: readVegaMovies: cannot read ${path} (is vega-datasets installed? ` +
        `run \`deno install\`): ${(err as Error).message}`,
    );
  }
  const parsed = z.array(VegaMovieSchema).safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${path}: row ${String(issue.path[0])}: field ${
        issue.path.slice(1).join(".")
      }: ${issue.message}`,
    );
  }
  return parsed.data;
}

// Mac Roman glyphs (bytes 0x80–0xFF) and the Windows-1252 characters of the same bytes: movies.json
// stores accented titles as Windows-1252 bytes read as Mac Roman ("DÈj‡ Vu" for "Déjà Vu",
// "The Naked Gun 2Ω" for "2½", "I Love You Ö Don't Touch Me!" for "…").
const MAC_ROMAN =
  "\u00c4\u00c5\u00c7\u00c9\u00d1\u00d6\u00dc\u00e1\u00e0\u00e2\u00e4\u00e3\u00e5\u00e7\u00e9\u00e8\u00ea\u00eb\u00ed\u00ec\u00ee\u00ef\u00f1\u00f3\u00f2\u00f4\u00f6\u00f5\u00fa\u00f9\u00fb\u00fc\u2020\u00b0\u00a7\u2022\u00b6\u00df\u00ae\u2122\u00b4\u00a8\u2260\u00c6\u00d8\u221e\u2264\u2265\u00a5\u2202\u2211\u220f\u03c0\u222b\u00aa\u00ba\u03a9\u00e6\u00f8\u00bf\u00a1\u00ac\u221a\u0192\u2248\u2206\u00ab\u00bb\u2026\u00a0\u00c0\u00c3\u00d5\u0152\u0153\u2013\u2014\u201c\u201d\u2018\u2019\u00f7\u25ca\u00ff\u0178\u2044\u20ac\u2039\u203a\ufb01\ufb02\u2021\u00b7\u201a\u201e\u2030\u00c2\u00ca\u00c1\u00cb\u00c8\u00cd\u00ce\u00cf\u00cc\u00d3\u00d4\uf8ff\u00d2\u00da\u00db\u00d9\u0131\u02c6\u02dc\u00af\u02d8\u02d9\u02da\u00b8\u02dd\u02db\u02c7";
const CP1252 =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178\u00a0\u00a1\u00a4\u00a5\u00a6\u00a7\u00a8\u00aa\u00ab\u00ac\u00ad\u00ae\u00af\u00b0\u00b2\u00b3\u00b4\u00b6\u00b7\u00b8\u00b9\u00ba\u00bb\u00bc\u00bd\u00be\u00bf\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf\u00d0\u00d1\u00d2\u00d3\u00d4\u00d5\u00d6\u00d7\u00d8\u00d9\u00da\u00db\u00dc\u00dd\u00de\u00df\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef\u00f0\u00f1\u00f2\u00f3\u00f4\u00f5\u00f6\u00f7\u00f8\u00f9\u00fa\u00fb\u00fc\u00fd\u00fe\u00ff";
// Signs that a title is such mojibake: a glyph that does not occur in real titles, an uppercase accented
// letter right after a letter ("MoliËre"), or one standing alone between spaces.
const MOJIBAKE_SIGNS =
  /[\u2021\u00b7\u201a\u201e\u2030\u0131\u02c6\u02dc\u00af\u02d8\u02d9\u02da\u00b8\u02dd\u02db\u02c7\u03a9\u03c0\u2202\u2211\u220f\u222b\u2248\u2206\u221a\u0192\u2260\u221e\u2264\u2265\u25ca]|[A-Za-z][\u00c0-\u00de]|\s[\u00c0-\u00de]\s/;

/**
 * Clean one source title: stringify numbers ("300"), repair Mac-Roman mojibake, collapse spaces,
 * move a trailing article to the front ("Barbarians, The" → "The Barbarians") and drop a trailing
 * "(1933)" year disambiguator. Returns null for a missing or empty title.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(cleanTitle("DÈj‡ Vu"), "Déjà Vu");
 * strictEqual(cleanTitle(1941), "1941");
 * ```
 */
export function cleanTitle(raw: string | number | null): string | null {
  if (raw === null) return null;
  let t = String(raw);
  if (MOJIBAKE_SIGNS.test(t)) {
    t = Array.from(t, (ch) => {
      const i = MAC_ROMAN.indexOf(ch);
      return i >= 0 ? CP1252[i] : ch;
    }).join("");
  }
  t = t.replace(/\s+/g, " ").trim();
  const article = t.match(/^(.*), (The|A|An)$/);
  if (article) t = `${article[2]} ${article[1]}`;
  t = t.replace(/ \((19|20)\d\d\)$/, "").trim();
  return t.length > 0 ? t : null;
}

/**
 * The release year of a vega "Mon DD YYYY" date, or null when the date is missing, malformed or
 * outside [EARLIEST_PLAUSIBLE_YEAR, LATEST_PLAUSIBLE_YEAR].
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(parseReleaseYear("Jun 12 1998"), 1998);
 * strictEqual(parseReleaseYear("Dec 15 2039"), null); // century-shifted
 * ```
 */
export function parseReleaseYear(raw: string | null): number | null {
  if (raw === null) return null;
  const m = raw.trim().match(DATE_RE);
  if (!m || !MONTHS.includes(m[1])) return null;
  const day = Number(m[2]);
  const year = Number(m[3]);
  if (day < 1 || day > 31) return null;
  if (year < EARLIEST_PLAUSIBLE_YEAR || year > LATEST_PLAUSIBLE_YEAR) return null;
  return year;
}

/**
 * Clean, filter and dedupe the source rows into catalog movies, keeping source order. A row is
 * dropped for a missing title, a bad date, a missing genre / creative type / IMDB rating / IMDB votes,
 * or when its (case-folded title, year) was already kept.
 *
 * @example
 * ```ts
 * const { movies, drops } = buildCatalog(await readVegaMovies());
 * if (movies.length !== 2576 || drops.duplicate < 0) throw new Error(`${movies.length} movies`);
 * ```
 */
export function buildCatalog(rows: readonly VegaMovie[]): BuiltCatalog {
  const drops: CatalogDrops = { missing_title: 0, bad_date: 0, missing_fields: 0, duplicate: 0 };
  const seen = new Set<string>();
  const movies: WorldMovie[] = [];
  for (const row of rows) {
    const title = cleanTitle(row["Title"]);
    if (title === null) {
      drops.missing_title++;
      continue;
    }
    const year = parseReleaseYear(row["Release Date"]);
    if (year === null) {
      drops.bad_date++;
      continue;
    }
    const genre = row["Major Genre"]?.trim();
    const creativeType = row["Creative Type"]?.trim();
    const rating = row["IMDB Rating"];
    const votes = row["IMDB Votes"];
    if (!genre || !creativeType || rating === null || votes === null || votes < 1) {
      drops.missing_fields++;
      continue;
    }
    const key = `${title.toLowerCase()}\u0000${year}`;
    if (seen.has(key)) {
      drops.duplicate++;
      continue;
    }
    seen.add(key);
    movies.push({
      title,
      year,
      meta: {
        genre,
        creative_type: creativeType,
        director: row["Director"]?.trim() || null,
        mpaa: row["MPAA Rating"]?.trim() || null,
        imdb_rating: rating,
        imdb_votes: votes,
      },
    });
  }
  return { movies, drops, source_rows: rows.length };
}

/**
 * The canonical key of a (title, year) pair, as used for ground-truth matching in this module.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(movieKey("Heat", 1995), "Heat (1995)");
 * ```
 */
export function movieKey(title: string, year: number | string): string {
  return `${title} (${year})`;
}
