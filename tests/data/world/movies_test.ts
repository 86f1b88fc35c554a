// Tests of the world catalog: title cleaning, release-year parsing, drops and dedupe, the real
// vega-datasets file, and RFC-4180 CSV writing (read back with csv-parse).
import { assert, assertEquals } from "../../_assert.ts";
import { parse } from "csv-parse/sync";
import { catalogToCsv, csvField } from "../../../lib/data/world/catalog_csv.ts";
import {
  buildCatalog,
  cleanTitle,
  LATEST_PLAUSIBLE_YEAR,
  parseReleaseYear,
  readVegaMovies,
  type VegaMovie,
} from "../../../lib/data/world/movies.ts";

Deno.test("cleanTitle: numbers, mojibake, articles, year suffixes, spaces", () => {
  assertEquals(cleanTitle(1941), "1941");
  assertEquals(cleanTitle(null), null);
  assertEquals(cleanTitle("   "), null);
  assertEquals(cleanTitle("DÈj‡ Vu"), "Déjà Vu");
  assertEquals(cleanTitle("MoliËre"), "Molière");
  assertEquals(cleanTitle("Per qualche dollaro in pi˘"), "Per qualche dollaro in più");
  assertEquals(
    cleanTitle("The Naked Gun 2Ω: The Smell of Fear"),
    "The Naked Gun 2½: The Smell of Fear",
  );
  assertEquals(cleanTitle("I Love You Ö Don't Touch Me!"), "I Love You … Don't Touch Me!");
  assertEquals(cleanTitle("Alien³"), "Alien³");
  assertEquals(cleanTitle("Ri¢hie Ri¢h"), "Ri¢hie Ri¢h");
  assertEquals(cleanTitle("Barbarians, The"), "The Barbarians");
  assertEquals(cleanTitle("King Kong (1933)"), "King Kong");
  assertEquals(cleanTitle("Halloween:  The Curse"), "Halloween: The Curse");
});

Deno.test("parseReleaseYear: format and plausible range", () => {
  assertEquals(parseReleaseYear("Jun 12 1998"), 1998);
  assertEquals(parseReleaseYear("Jan 28 2011"), 2011);
  assertEquals(parseReleaseYear("Dec 15 2039"), null);
  assertEquals(parseReleaseYear("1998-06-12"), null);
  assertEquals(parseReleaseYear("Foo 12 1998"), null);
  assertEquals(parseReleaseYear("Jun 40 1998"), null);
  assertEquals(parseReleaseYear(null), null);
});

function row(over: Partial<VegaMovie>): VegaMovie {
  return {
    "Title": "Heat",
    "Release Date": "Dec 15 1995",
    "Major Genre": "Action",
    "Creative Type": "Contemporary Fiction",
    "Director": "Michael Mann",
    "MPAA Rating": "R",
    "IMDB Rating": 8.2,
    "IMDB Votes": 200000,
    ...over,
  };
}

Deno.test("buildCatalog counts each drop reason and keeps the first duplicate", () => {
  const built = buildCatalog([
    row({}),
    row({ "Title": "heat", "Director": null }), // duplicate (case-folded)
    row({ "Title": null }),
    row({ "Title": "Gone", "Release Date": "Dec 15 2039" }),
    row({ "Title": "NoGenre", "Major Genre": null }),
    row({ "Title": "NoVotes", "IMDB Votes": null }),
    row({ "Title": "Heat", "Release Date": "Jan 01 1986", "Director": null, "MPAA Rating": null }),
  ]);
  assertEquals(built.drops, { missing_title: 1, bad_date: 1, missing_fields: 2, duplicate: 1 });
  assertEquals(built.movies.map((m) => [m.title, m.year]), [["Heat", 1995], ["Heat", 1986]]);
  assertEquals(built.movies[0].meta.director, "Michael Mann");
  assertEquals(built.movies[1].meta.director, null);
  assertEquals(built.movies[1].meta.mpaa, null);
});

Deno.test("the real movies.json: 3,201 rows, drops add up, unique (title, year), plausible years", async () => {
  const rows = await readVegaMovies();
  assertEquals(rows.length, 3201);
  const built = buildCatalog(rows);
  const d = built.drops;
  assertEquals(
    built.movies.length + d.missing_title + d.bad_date + d.missing_fields + d.duplicate,
    3201,
  );
  assert(d.bad_date > 0 && d.missing_title > 0, JSON.stringify(d));
  assert(built.movies.length > 2000, `${built.movies.length} movies`);
  const keys = new Set(built.movies.map((m) => `${m.title.toLowerCase()}|${m.year}`));
  assertEquals(keys.size, built.movies.length);
  for (const m of built.movies) {
    assert(m.year >= 1900 && m.year <= LATEST_PLAUSIBLE_YEAR, `${m.title} ${m.year}`);
    assert(typeof m.title === "string" && m.title === m.title.trim() && m.title.length > 0);
    assert(m.meta.imdb_votes > 0 && m.meta.genre && m.meta.creative_type);
  }
  assert(built.movies.some((m) => m.title === "300" && m.year === 2007));
  assert(built.movies.some((m) => m.title === "Déjà Vu"));
});

Deno.test("catalogToCsv quotes per RFC 4180 and reads back with csv-parse", () => {
  assertEquals(csvField("plain"), "plain");
  assertEquals(csvField("a,b"), '"a,b"');
  assertEquals(csvField('Say "Hi"'), '"Say ""Hi"""');
  assertEquals(csvField("two\nlines"), '"two\nlines"');
  const movies = buildCatalog([
    row({ "Title": 'Crouching Tiger, "Hidden" Dragon' }),
    row({ "Title": "Heat", "Director": null, "MPAA Rating": null }),
  ]).movies;
  const csv = catalogToCsv(movies);
  assert(csv.startsWith("title,year,genre,creative_type,director,mpaa,imdb_rating,imdb_votes\n"));
  const back = parse(csv, { columns: true }) as Record<string, string>[];
  assertEquals(back.length, 2);
  assertEquals(back[0].title, 'Crouching Tiger, "Hidden" Dragon');
  assertEquals(back[0].year, "1995");
  assertEquals(back[1].director, "");
  assertEquals(Number(back[0].imdb_votes), 200000);
});
