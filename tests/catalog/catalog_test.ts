import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { catalogFromItems, loadCatalog, parseCatalog } from "../../lib/catalog/catalog.ts";

const REAL = new URL("../../../shared/data/reddit-v2/catalog.csv", import.meta.url).pathname;

Deno.test("loadCatalog: the real Reddit-v2 catalog (7,404 items, no duplicates, known rows)", async () => {
  const t0 = performance.now();
  const c = await loadCatalog(REAL);
  const ms = performance.now() - t0;
  console.log(`loadCatalog(${REAL}): ${c.items.length} items in ${ms.toFixed(1)} ms`);
  assertEquals(c.items.length, 7404);
  assertEquals(c.warnings.filter((w) => w.kind === "duplicate"), []);
  // the one odd year of the released catalog is kept and reported
  assertEquals(c.warnings.map((w) => [w.kind, w.title, w.year, w.line]), [[
    "year",
    "The Wall",
    201,
    6627,
  ]]);
  assert(c.has("The Wall", 201) && c.has("The Wall", 2012));
  await assertRejects(
    () => loadCatalog(REAL, { strictYears: true }),
    `${REAL}:6627:10: year: expected a year of exactly 4 ASCII digits, found "201"`,
  );
  assertEquals(c.items[0], { title: "'71", year: 2014, meta: {} });
  assert(c.has("'71", 2014));
  assert(c.has("10 Cloverfield Lane", 2016));
  assert(c.has("10,000 BC", 2008)); // quoted in the file
  assert(!c.has("10 cloverfield lane", 2016)); // case-sensitive
  assert(!c.has("10 Cloverfield Lane", 2015));
  assertEquals(c.lookup("  10  CLOVERFIELD lane ", 2017)?.year, 2016);
  // every item answers membership for itself
  assert(c.items.every((it) => c.has(it.title, it.year)));
});

Deno.test("has: exact (title, year) over a small catalog; 1e6 lookups timed (printed, not asserted)", () => {
  const c = parseCatalog("title,year\nHeat,1995\nHeat,1986\nAlien,1979\n");
  assert(c.has("Heat", 1995) && c.has("Heat", 1986) && c.has("Alien", 1979));
  assert(!c.has("Heat", 1996) && !c.has("heat", 1995) && !c.has("Heat ", 1995));
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < 1_000_000; i++) if (c.has("Heat", 1990 + (i % 8))) n++;
  const ms = performance.now() - t0;
  assertEquals(n, 125_000);
  console.log(`has(): 1e6 lookups in ${ms.toFixed(1)} ms`); // a timing, not a test: benches assert speed
});

Deno.test("lookup: titleKey match, exact year first, then +1, -1, +2, -2; tolerance option", () => {
  const c = parseCatalog(
    "title,year\nThe Thing,1982\nThe Thing,2011\nCrash,1996\nCrash,2004\nX,2000\nX,2002\nStraße,2001\n",
  );
  assertEquals(c.lookup("the  THING", 1982)?.year, 1982);
  assertEquals(c.lookup("The Thing", 1983)?.year, 1982);
  assertEquals(c.lookup("The Thing", 2013)?.year, 2011);
  assertEquals(c.lookup("The Thing", 2014), null);
  assertEquals(c.lookup("X", 2001)?.year, 2002); // +1 before -1
  assertEquals(c.lookup("X", 2000)?.year, 2000); // exact first
  assertEquals(c.lookup("Crash", 2000, { tolerance: 2 }), null);
  assertEquals(c.lookup("Crash", 2000, { tolerance: 4 })?.year, 2004); // +4 before -4
  assertEquals(c.lookup("The Thing", 1983, { tolerance: 0 }), null);
  assertEquals(c.lookup("STRASSE", 2001)?.title, "Straße"); // Python casefold
  assertEquals(c.lookup("Nope", 2001), null);
});

Deno.test("inCatalogShare: fraction of exact pairs; 0 for an empty list", () => {
  const c = parseCatalog("title,year\nHeat,1995\nAlien,1979\n");
  assertEquals(c.inCatalogShare([]), 0);
  assertEquals(
    c.inCatalogShare([["Heat", 1995], ["heat", 1995], ["Alien", 1979], ["Alien", 1980]]),
    0.5,
  );
  assertEquals(c.inCatalogShare([["Heat", 1995]]), 1);
});

Deno.test("parseCatalog: metadata columns, column order free, duplicates reported with both lines", () => {
  const c = parseCatalog("year,title,genre\n1995,Heat,crime\n1979,Alien,sf\n1995,Heat,drama\n", {
    file: "m.csv",
  });
  assertEquals(c.items, [
    { title: "Heat", year: 1995, meta: { genre: "crime" } },
    { title: "Alien", year: 1979, meta: { genre: "sf" } },
  ]);
  const dups = c.warnings.filter((w) => w.kind === "duplicate");
  assertEquals(dups.map((d) => [d.title, d.year, d.line, d.firstLine]), [["Heat", 1995, 4, 2]]);
  assert(dups[0].message.startsWith("m.csv:4: duplicate of line 2"));
  const d = catalogFromItems([
    { title: "A", year: 1, meta: {} },
    { title: "A", year: 1, meta: {} },
  ]);
  assertEquals(d.items.length, 1);
  assertEquals(d.warnings, [{
    kind: "duplicate",
    title: "A",
    year: 1,
    line: 2,
    firstLine: 1,
    message: '<catalog>:2: duplicate of line 1 ("A", 1); the first is kept',
  }]);
});

Deno.test("parseCatalog: errors name file:line:column and what was expected", () => {
  const bad = (text: string, includes: string) =>
    assertThrows(() => parseCatalog(text, { file: "c.csv", strictYears: true }), includes);
  bad("title,year\nHeat,1995\n,1999\n", 'c.csv:3:1: title: expected a non-empty title, found ""');
  bad("title,year\n  ,1999\n", "c.csv:2:1: title: expected a non-empty title");
  bad(
    "title,year\nHeat,95\n",
    'c.csv:2:6: year: expected a year of exactly 4 ASCII digits, found "95"',
  );
  bad(
    'title,year\n"Heat, the",1995 \n',
    "c.csv:2:13: year: expected a year of exactly 4 ASCII digits",
  );
  bad("title,year\nHeat,١٩٩٥\n", "c.csv:2:6: year: expected a year of exactly 4 ASCII digits");
  // lenient years (the default): digits only, odd lengths become warnings
  const lenient = (text: string) => parseCatalog(text, { file: "c.csv" });
  assertThrows(
    () => lenient("title,year\nHeat,١٩٩٥\n"),
    'c.csv:2:6: year: expected a year of ASCII digits (normally 4), found "١٩٩٥"',
  );
  assertThrows(
    () => lenient("title,year\nHeat,\n"),
    "c.csv:2:6: year: expected a year of ASCII digits",
  );
  assertThrows(
    () => lenient("title,year\nHeat, 1995\n"),
    "c.csv:2:6: year: expected a year of ASCII digits",
  );
  assertEquals(lenient("title,year\nHeat,95\n").warnings.map((w) => w.message), [
    'c.csv:2:6: year: "95" is not 4 digits; kept as 95',
  ]);
  bad("title,year\nHeat,19950\n", "c.csv:2:6: year");
  bad("title,year\nHeat\n", "c.csv:2:5: expected 2 fields (title,year), found 1");
  bad("title,year\nHeat,1995,x\n", "c.csv:2:11: expected 2 fields (title,year), found 3");
  bad('title,year\nH"eat,1995\n', "c.csv:2:2: bad CSV quoting");
  bad(
    "name,year\nHeat,1995\n",
    "c.csv:1:10: header: expected columns title,year[,metadata…], missing title",
  );
  bad("title\nHeat\n", "missing year");
  bad("title,year,title\n", 'c.csv:1:12: header: column "title" repeated');
  bad("", "c.csv:1:1: empty file");
  // several errors are listed together
  assertThrows(
    () => parseCatalog("title,year\n,1995\nB,x12\n", { file: "c.csv" }),
    'invalid catalog c.csv:\nc.csv:2:1: title: expected a non-empty title, found ""\nc.csv:3:3: year',
  );
});
