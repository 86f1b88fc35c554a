import { assertAlmostEquals, assertEquals } from "../../_assert.ts";
import { itemSegments, newlineCounts } from "../../../lib/train/rl/item_segments.ts";
import { DEFAULT_LENGTH_SHAPING, lengthShaping } from "../../../lib/train/rl/length_shaping.ts";
import {
  sequenceTokenAdvantages,
  tokenAdvantages,
} from "../../../lib/train/rl/token_advantages.ts";

// vocab: 0 "Heat (1995)", 1 "\n", 2 <eos>, 3 <pad>, 4 "\n\n"
const NL = newlineCounts(["Heat (1995)", "\n", "<eos>", "<pad>", "\n\n"]);
const EOS = 2;

function rows(ids: number[][], n: number) {
  const t = Math.max(...ids.map((r) => r.length));
  const flat = new Int32Array(ids.length * t).fill(3);
  const mask = new Uint8Array(ids.length * t);
  ids.forEach((r, i) => r.forEach((id, c) => (flat[i * t + c] = id, mask[i * t + c] = 1)));
  const dims = { b: ids.length, t };
  return { dims, mask, segments: itemSegments(flat, mask, { dims, newlines: NL, eosId: EOS, n }) };
}

Deno.test("tokenAdvantages: item broadcast; overflow, EOS and padding get 0", () => {
  // N = 2. Row 0: "H\nH<eos>" (EOS in item 1). Row 1: "H\nH\nH<eos>" (item 2 = overflow).
  // Row 2: "H<eos>" + padding.
  const { dims, segments } = rows([[0, 1, 0, EOS], [0, 1, 0, 1, 0, EOS], [0, EOS]], 2);
  const itemAdv = Float64Array.of(0.5, -1, 2, 3, -4, 7); // (B, N)
  const a = tokenAdvantages(itemAdv, segments, dims);
  assertEquals(Array.from(a), [
    0.5,
    0.5,
    -1,
    0,
    0,
    0, // row 0 (EOS 0, padding 0)
    2,
    2,
    3,
    3,
    0,
    0, // row 1 (overflow item 2 and its EOS 0)
    -4,
    0,
    0,
    0,
    0,
    0, // row 2
  ]);
});

Deno.test("tokenAdvantages: an empty item from \\n\\n leaves its advantage unused", () => {
  const { dims, segments } = rows([[0, 4, 0, EOS]], 3); // items 0, (1 empty), 2
  const a = tokenAdvantages(Float64Array.of(1, 5, 2), segments, dims);
  assertEquals(Array.from(a), [1, 1, 2, 0]);
});

Deno.test("sequenceTokenAdvantages: every masked token, EOS and overflow included", () => {
  const { dims, mask } = rows([[0, 1, 0, EOS], [0, EOS]], 1);
  const a = sequenceTokenAdvantages(Float64Array.of(1.5, -2), mask, dims);
  assertEquals(Array.from(a), [1.5, 1.5, 1.5, 1.5, -2, -2, 0, 0]);
});

Deno.test("lengthShaping: overflow tokens −0.1, early EOS −0.1, exact-N EOS +0.1", () => {
  // N = 2. Row 0: 2 items ending in EOS (exact). Row 1: 1 item (early). Row 2: 3 items (overflow).
  // Row 3: 2 items + trailing newline then EOS (EOS is item 2 = overflow: −0.1, no bonus).
  // Row 4: 3 items, cut off (no EOS): only the overflow term.
  const { dims, segments } = rows([
    [0, 1, 0, EOS],
    [0, EOS],
    [0, 1, 0, 1, 0, EOS],
    [0, 1, 0, 1, EOS],
    [0, 1, 0, 1, 0],
  ], 2);
  const base = new Float64Array(dims.b * dims.t).fill(1);
  const s = lengthShaping(base, segments, { dims });
  const t = dims.t; // 6
  const row = (r: number) => Array.from(s.advantages.subarray(r * t, (r + 1) * t));
  const close = (got: number[], want: number[]) =>
    got.forEach((g, i) => assertAlmostEquals(g, want[i], 1e-15, `index ${i}`));
  close(row(0), [1, 1, 1, 1.1, 1, 1]);
  close(row(1), [1, 0.9, 1, 1, 1, 1]);
  close(row(2), [1, 1, 1, 1, 0.9, 0.9]);
  close(row(3), [1, 1, 1, 1, 0.9, 1]);
  close(row(4), [1, 1, 1, 1, 0.9, 1]);
  assertEquals([s.overflowTokens, s.earlyEosRows, s.exactEosRows], [4, 1, 1]);
  assertEquals(base[3], 1); // input untouched
});

Deno.test("lengthShaping: each term switchable, constants configurable", () => {
  const { dims, segments } = rows([[0, 1, 0, EOS], [0, EOS], [0, 1, 0, 1, 0, EOS]], 2);
  const zero = new Float64Array(dims.b * dims.t);
  const off = lengthShaping(zero, segments, {
    dims,
    config: { ...DEFAULT_LENGTH_SHAPING, overflow: false, early_eos: false, exact_eos: false },
  });
  assertEquals(off.advantages, zero);
  const custom = lengthShaping(zero, segments, {
    dims,
    config: {
      ...DEFAULT_LENGTH_SHAPING,
      early_eos: false,
      overflow_penalty: -1,
      exact_eos_reward: 2,
    },
  });
  assertEquals(Array.from(custom.advantages), [
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    -1,
    -1,
  ]);
});
