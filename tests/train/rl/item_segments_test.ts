import { assertEquals, assertThrows } from "../../_assert.ts";
import { itemSegments, newlineCounts } from "../../../lib/train/rl/item_segments.ts";

// Tiny vocabulary: decoded piece per id.
const PIECES = ["Heat", " (1995)", "\n", "\n\n", "<eos>", "Up (2009)\n", "x\r\n", "<pad>"];
const NL = newlineCounts(PIECES);
const EOS = 4;
const PAD = 7;

function seg(ids: number[], options: { n?: number; mask?: number[] } = {}) {
  const mask = Uint8Array.from(options.mask ?? ids.map(() => 1));
  return itemSegments(Int32Array.from(ids), mask, {
    dims: { b: 1, t: ids.length },
    newlines: NL,
    eosId: EOS,
    n: options.n,
  });
}

Deno.test("newlineCounts counts \\n per piece, \\r\\n as one", () => {
  assertEquals(NL, Int32Array.of(0, 0, 1, 2, 0, 1, 1, 0));
});

Deno.test("itemSegments: newline belongs to the item before it; EOS to the last item", () => {
  // "Heat (1995)\nHeat<eos>"
  const s = seg([0, 1, 2, 0, EOS]);
  assertEquals(s.segIds, Int32Array.of(0, 0, 0, 1, 1));
  assertEquals(s.itemsEmitted, Int32Array.of(2));
  assertEquals(s.eosPos, Int32Array.of(4));
  assertEquals(s.hasOverflow, Uint8Array.of(0));
});

Deno.test("itemSegments: EOS after a trailing newline opens a new (EOS-only) item", () => {
  const s = seg([0, 2, EOS]);
  assertEquals(s.segIds, Int32Array.of(0, 0, 1));
  assertEquals(s.itemsEmitted, Int32Array.of(2));
});

Deno.test("itemSegments: a \\n\\n token leaves an empty item index", () => {
  const s = seg([0, 3, 0, EOS]);
  assertEquals(s.segIds, Int32Array.of(0, 0, 2, 2));
  assertEquals(s.itemsEmitted, Int32Array.of(3));
});

Deno.test("itemSegments: one-token items and \\r\\n", () => {
  const s = seg([5, 5, 6, EOS]);
  assertEquals(s.segIds, Int32Array.of(0, 1, 2, 3));
  assertEquals(s.itemsEmitted, Int32Array.of(4));
});

Deno.test("itemSegments: padding gets −1 and does not advance the index", () => {
  const s = seg([0, 2, 0, EOS, PAD, PAD], { mask: [1, 1, 1, 1, 0, 0] });
  assertEquals(s.segIds, Int32Array.of(0, 0, 1, 1, -1, -1));
  assertEquals(s.eosPos, Int32Array.of(3));
});

Deno.test("itemSegments: overflow past N, exact N, and N with a trailing newline", () => {
  const over = seg([0, 2, 0, 2, 0, 2, 0, EOS], { n: 2 });
  assertEquals(over.segIds, Int32Array.of(0, 0, 1, 1, 2, 2, 3, 3));
  assertEquals(over.itemsEmitted, Int32Array.of(4));
  assertEquals(over.hasOverflow, Uint8Array.of(1));
  const exact = seg([0, 2, 0, EOS], { n: 2 });
  assertEquals(exact.itemsEmitted, Int32Array.of(2));
  assertEquals(exact.hasOverflow, Uint8Array.of(0));
  const trailing = seg([0, 2, 0, 2, EOS], { n: 2 });
  assertEquals(trailing.segIds, Int32Array.of(0, 0, 1, 1, 2));
  assertEquals(trailing.itemsEmitted, Int32Array.of(3));
  assertEquals(trailing.hasOverflow, Uint8Array.of(1)); // the EOS sits in item 3 = overflow
});

Deno.test("itemSegments: default N = 20; 21 items overflow, 20 do not; cut-off rows have no EOS", () => {
  const twenty = seg([...Array(19).fill(5), 0, EOS]);
  assertEquals(twenty.itemsEmitted, Int32Array.of(20));
  assertEquals(twenty.hasOverflow, Uint8Array.of(0));
  assertEquals(twenty.n, 20);
  const more = seg([...Array(21).fill(5), 0]); // 22 items, no EOS
  assertEquals(more.itemsEmitted, Int32Array.of(22));
  assertEquals(more.hasOverflow, Uint8Array.of(1));
  assertEquals(more.eosPos, Int32Array.of(-1));
});

Deno.test("itemSegments: two rows are independent", () => {
  const s = itemSegments(Int32Array.of(5, 5, EOS, 0, EOS, PAD), Uint8Array.of(1, 1, 1, 1, 1, 0), {
    dims: { b: 2, t: 3 },
    newlines: NL,
    eosId: EOS,
  });
  assertEquals(s.segIds, Int32Array.of(0, 1, 2, 0, 0, -1));
  assertEquals(s.itemsEmitted, Int32Array.of(3, 1));
  assertEquals(s.eosPos, Int32Array.of(2, 1));
});

Deno.test("itemSegments: errors name the argument", () => {
  assertThrows(() => seg([0, 99]), "tokenIds[0, 1]");
  assertThrows(
    () =>
      itemSegments(Int32Array.of(0), Uint8Array.of(1, 1), {
        dims: { b: 1, t: 1 },
        newlines: NL,
        eosId: EOS,
      }),
    "mask: expected 1 entries",
  );
});
