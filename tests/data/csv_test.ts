import { assertEquals, assertThrows } from "../_assert.ts";
import { csvFieldLocation, readCsv } from "../../lib/data/csv.ts";

Deno.test("readCsv: rows carry their start line; quotes, escapes and commas in fields", () => {
  const rows = readCsv('title,year\n"10,000 BC",2008\n"Say ""Hi""",2001\n', { file: "c.csv" });
  assertEquals(rows.map((r) => [r.line, r.fields]), [
    [1, ["title", "year"]],
    [2, ["10,000 BC", "2008"]],
    [3, ['Say "Hi"', "2001"]],
  ]);
  assertEquals(rows[2].text, '"Say ""Hi""",2001');
});

Deno.test("readCsv: BOM, CRLF, blank lines, multi-line field, no final newline", () => {
  const text = '\uFEFFtitle,year\r\n\r\n"two\r\nlines",2000\r\n\nb,2001';
  const rows = readCsv(text);
  assertEquals(rows.map((r) => [r.line, r.fields]), [
    [1, ["title", "year"]],
    [3, ["two\r\nlines", "2000"]],
    [6, ["b", "2001"]],
  ]);
  // the same from bytes
  assertEquals(readCsv(new TextEncoder().encode(text)).map((r) => r.line), [1, 3, 6]);
});

Deno.test("csvFieldLocation: 1-based columns in code points, end of record for a missing field", () => {
  const [, row] = readCsv('t,y\n"é😀",1999\n');
  assertEquals(csvFieldLocation(row, 0), { line: 2, column: 1 });
  assertEquals(csvFieldLocation(row, 1), { line: 2, column: 6 });
  assertEquals(csvFieldLocation(row, 2), { line: 2, column: 10 });
});

Deno.test("readCsv: bad quoting names file:line:column and what was expected", () => {
  assertThrows(
    () => readCsv('title,year\nab,1999\nc"b,1999\n', { file: "c.csv" }),
    "c.csv:3:2: bad CSV quoting: expected no quote inside an unquoted field",
  );
  assertThrows(
    () => readCsv('title,year\nok,1\n"a"x,1999\n', { file: "c.csv" }),
    'c.csv:3:4: bad CSV quoting: expected a comma or line end after a closing quote, found "x"',
  );
  assertThrows(
    () => readCsv('title,year\r\n\r\nx,1\r\nz,"1999\r\n', { file: "c.csv" }),
    "c.csv:4:3: bad CSV quoting: expected a closing quote",
  );
});
