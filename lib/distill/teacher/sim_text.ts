// How the simulated teacher writes: the failure modes paper.md §5 motivates Remap with — hallucinated
// titles (wrong years, sequels, recombined titles), formatting noise, commentary lines, repeats — for
// draft lists, and the Reflect judge's `Title (Year)####rating` lines with their own noise. Not in the paper.
import type { Item } from "../../catalog/parse_list.ts";
import type { WorldMovie } from "../../data/world/movies.ts";
import { pick, type Prng } from "../../data/prng.ts";

/** Knobs of the teacher's writing noise (probabilities). */
export interface WritingOptions {
  /** An intended movie is written as a hallucinated title instead. */
  readonly hallucination: number;
  /** A position repeats an earlier item. */
  readonly repeat: number;
  /** A line is written without a parseable `(Year)`. */
  readonly broken_line: number;
  /** The list opens with a commentary line. */
  readonly preamble: number;
  /** The list ends with a commentary line. */
  readonly closing: number;
  /** The list has fewer items than asked (12..n−1). */
  readonly short_list: number;
  /** The list has more items than asked (n+1..n+5). */
  readonly long_list: number;
}

const PREAMBLES = [
  "Here are 20 movies you might enjoy:",
  "Sure! Based on the conversation, here are my recommendations:",
  "Great question — here's a list:",
  "Here are some recommendations:",
];
const CLOSINGS = [
  "Enjoy your movie night!",
  "Let me know if you want more suggestions.",
  "Hope this helps!",
];
const SEQUEL_SUFFIX = [" 2", " II", ": Part II", " Returns"];
const STYLES = ["plain", "numbered", "bullet", "bold", "quoted"] as const;
const STYLE_WEIGHTS = [0.4, 0.3, 0.1, 0.1, 0.1];

/**
 * A plausible out-of-catalog version of `movie`: a wrong year (±1..3), a sequel ("Title 2", year +2..4)
 * or a title recombined with another movie of the same genre. Never an exact catalog pair (`has`).
 *
 * @example
 * ```ts
 * import { createPrng } from "../../data/prng.ts";
 * import { generateWorld } from "../../data/world/generate.ts";
 * const { catalog } = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const titanic = catalog.find((m) => m.title === "Titanic")!;
 * const has = (title: string, year: number) => catalog.some((m) => m.title === title && m.year === year);
 * const [title, year] = hallucinate(createPrng(1), titanic, catalog, has); // e.g. ["Titanic 2", 1999]
 * if (has(title, year)) throw new Error("a hallucination is not in the catalog");
 * ```
 */
export function hallucinate(
  prng: Prng,
  movie: WorldMovie,
  catalog: readonly WorldMovie[],
  has: (title: string, year: number) => boolean,
): Item {
  for (let attempt = 0; attempt < 8; attempt++) {
    const u = prng.float();
    let item: Item;
    if (u < 0.4) {
      const shift = (1 + prng.int(3)) * (prng.float() < 0.5 ? -1 : 1);
      item = [movie.title, movie.year + shift];
    } else if (u < 0.7) {
      item = [movie.title + pick(prng, SEQUEL_SUFFIX), movie.year + 2 + prng.int(3)];
    } else {
      const other = pick(prng, catalog.filter((m) => m.meta.genre === movie.meta.genre));
      const a = movie.title.split(" ");
      const b = other.title.split(" ");
      const head = a.slice(0, Math.max(1, Math.ceil(a.length / 2)));
      const tail = b.slice(Math.floor(b.length / 2));
      item = [[...head, ...tail].join(" "), movie.year];
      if (item[0] === movie.title || item[0] === other.title) continue;
    }
    if (!has(item[0], item[1])) return item;
  }
  return [`${movie.title} 2`, movie.year + 3];
}

function styled(style: typeof STYLES[number], rank: number, [title, year]: Item): string {
  switch (style) {
    case "numbered":
      return `${rank}. ${title} (${year})`;
    case "bullet":
      return `- ${title} (${year})`;
    case "bold":
      return `**${title}** (${year})`;
    case "quoted":
      return `"${title}" (${year})`;
    default:
      return `${title} (${year})`;
  }
}

function weightedStyle(prng: Prng): typeof STYLES[number] {
  let u = prng.float();
  for (let i = 0; i < STYLES.length; i++) {
    u -= STYLE_WEIGHTS[i];
    if (u < 0) return STYLES[i];
  }
  return "plain";
}

/**
 * The list length the teacher writes for a request of `n`: usually n, sometimes fewer or more.
 *
 * @example
 * ```ts
 * import { createPrng } from "../../data/prng.ts";
 * import { DEFAULT_SIM_TEACHER } from "./simulated.ts";
 * const n = draftLength(createPrng(1), 20, DEFAULT_SIM_TEACHER.writing); // 20 most of the time
 * if (n < 1) throw new Error(`${n}`);
 * ```
 */
export function draftLength(prng: Prng, n: number, options: WritingOptions): number {
  const u = prng.float();
  if (u < options.short_list) {
    return Math.max(1, Math.min(n - 1, 12 + prng.int(Math.max(1, n - 12))));
  }
  if (u < options.short_list + options.long_list) return n + 1 + prng.int(5);
  return n;
}

/**
 * Writes a draft answer from intended movies (best first): one list style per answer, hallucinations,
 * repeats, broken lines, commentary. Lines are joined with "\n" (no trailing newline).
 *
 * @example
 * ```ts
 * import { createPrng } from "../../data/prng.ts";
 * import { generateWorld } from "../../data/world/generate.ts";
 * import { DEFAULT_SIM_TEACHER } from "./simulated.ts";
 * const { catalog } = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const has = (title: string, year: number) => catalog.some((m) => m.title === title && m.year === year);
 * const options = DEFAULT_SIM_TEACHER.writing;
 * const text = writeDraft(createPrng(1), catalog.slice(0, 3), { catalog, has, options });
 * // e.g. "1. Slam (1998)\n2. …\n…"
 * ```
 */
export function writeDraft(
  prng: Prng,
  intended: readonly WorldMovie[],
  ctx: {
    readonly catalog: readonly WorldMovie[];
    readonly has: (title: string, year: number) => boolean;
    readonly options: WritingOptions;
  },
): string {
  const o = ctx.options;
  const style = weightedStyle(prng);
  const lines: string[] = [];
  if (prng.float() < o.preamble) lines.push(pick(prng, PREAMBLES));
  const written: Item[] = [];
  for (const movie of intended) {
    let item: Item;
    if (written.length > 0 && prng.float() < o.repeat) item = pick(prng, written);
    else if (prng.float() < o.hallucination) item = hallucinate(prng, movie, ctx.catalog, ctx.has);
    else item = [movie.title, movie.year];
    written.push(item);
    const rank = written.length;
    if (prng.float() < o.broken_line) {
      lines.push(prng.float() < 0.5 ? `${rank}. ${item[0]} - ${item[1]}` : `${rank}. ${item[0]}`);
    } else {
      lines.push(styled(style, rank, item));
    }
  }
  if (prng.float() < o.closing) lines.push(pick(prng, CLOSINGS));
  return lines.join("\n");
}

/** Knobs of the judge's writing noise (probabilities per candidate line). */
export interface JudgeWritingOptions {
  /** The candidate gets no line. */
  readonly skip: number;
  /** The line carries a non-rating ("N/A") or an out-of-range one ("3"). */
  readonly invalid: number;
  /** The year is written ±1 off. */
  readonly year_off: number;
  /** The line is written `Title (Year): r` / `N. Title (Year) - r` instead of `####`. */
  readonly other_separator: number;
  /** The line is written twice. */
  readonly duplicate: number;
  /** The answer opens with a commentary line. */
  readonly preamble: number;
}

/**
 * Writes the judge's answer: one `Title (Year)####rating` line per candidate in order, with noise.
 *
 * @example
 * ```ts
 * import { createPrng } from "../../data/prng.ts";
 * import { DEFAULT_SIM_TEACHER } from "./simulated.ts";
 * const options = { ...DEFAULT_SIM_TEACHER.judge_writing, skip: 0, invalid: 0, year_off: 0, preamble: 0 };
 * const text = writeJudge(createPrng(1), [["Heat", 1995]], [2], { ...options, other_separator: 0 });
 * if (!text.includes("Heat (1995)####2")) throw new Error(text);
 * ```
 */
export function writeJudge(
  prng: Prng,
  candidates: readonly Item[],
  ratings: readonly number[],
  options: JudgeWritingOptions,
): string {
  const lines: string[] = [];
  if (prng.float() < options.preamble) lines.push("Here are my ratings:");
  candidates.forEach(([title, year], i) => {
    if (prng.float() < options.skip) return;
    const y = prng.float() < options.year_off ? year + (prng.float() < 0.5 ? -1 : 1) : year;
    const r = prng.float() < options.invalid
      ? pick(prng, ["N/A", "3", "great"])
      : String(ratings[i]);
    const line = prng.float() < options.other_separator
      ? (prng.float() < 0.5 ? `${title} (${y}): ${r}` : `${i + 1}. ${title} (${y}) - ${r}`)
      : `${title} (${y})####${r}`;
    lines.push(line);
    if (prng.float() < options.duplicate) lines.push(line);
  });
  return lines.join("\n");
}
