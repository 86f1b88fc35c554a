// Reflect (paper.md §5 step 2): the teacher rates the top-N_r Remap candidates −2..2 given the
// conversation, and s_reflect = s_remap + γ·rating (γ = 0.5). A candidate the judge left without a valid
// rating gets rating 0 (neutral) and is counted; the paper does not say what it did with those.
import type { Item } from "../catalog/parse_list.ts";
import type { RateResult, Teacher } from "./teacher/teacher.ts";

/** Counts of one or many Reflect calls. */
export interface ReflectCounts {
  /** Candidates rated. */
  candidates: number;
  /** Candidates without a valid rating (missing or invalid → rating 0). */
  unrated: number;
  /** Judge lines the parser dropped (unparsed, unknown, duplicate). */
  droppedLines: number;
  /** Lines matched by title with another year. */
  yearMismatches: number;
}

/** Reflect's result for one conversation. */
export interface Reflected {
  /** (N_r) s_reflect, aligned with the candidates. */
  readonly scores: Float64Array;
  /** (N_r) rating used per candidate (0 where unrated). */
  readonly ratings: Int8Array;
  readonly counts: ReflectCounts;
}

/**
 * Empty counts.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(emptyReflectCounts().unrated, 0);
 * ```
 */
export function emptyReflectCounts(): ReflectCounts {
  return { candidates: 0, unrated: 0, droppedLines: 0, yearMismatches: 0 };
}

/**
 * Adds `b` into `a` (mutates and returns `a`).
 *
 * @example
 * ```ts
 * const total = emptyReflectCounts();
 * addReflectCounts(total, { ...emptyReflectCounts(), candidates: 3, unrated: 1 });
 * if (total.candidates !== 3 || total.unrated !== 1) throw new Error(JSON.stringify(total));
 * ```
 */
export function addReflectCounts(a: ReflectCounts, b: ReflectCounts): ReflectCounts {
  a.candidates += b.candidates;
  a.unrated += b.unrated;
  a.droppedLines += b.droppedLines;
  a.yearMismatches += b.yearMismatches;
  return a;
}

/**
 * s_reflect = s_remap + γ·rating from a judge's result (pure; no teacher call).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const rated = { ratings: [2, null], dropped: [], yearMismatches: 0 };
 * deepStrictEqual(reflectScores(Float64Array.of(1, 2), rated, 0.5).scores, Float64Array.of(2, 2));
 * ```
 */
export function reflectScores(
  remapScores: Float64Array,
  rated: Pick<RateResult, "ratings" | "dropped" | "yearMismatches">,
  gamma: number,
): Reflected {
  if (rated.ratings.length !== remapScores.length) {
    throw new Error(
      `lib/distill/reflect.ts: reflectScores: ratings: expected ${remapScores.length}, got ${rated.ratings.length}`,
    );
  }
  const ratings = new Int8Array(remapScores.length); // (N_r)
  const scores = new Float64Array(remapScores.length); // (N_r)
  let unrated = 0;
  rated.ratings.forEach((r, i) => {
    if (r === null) unrated++;
    ratings[i] = r ?? 0;
    scores[i] = remapScores[i] + gamma * ratings[i];
  });
  return {
    scores,
    ratings,
    counts: {
      candidates: remapScores.length,
      unrated,
      droppedLines: rated.dropped.filter((d) => d.reason !== "invalid").length,
      yearMismatches: rated.yearMismatches,
    },
  };
}

/**
 * Asks the teacher to rate the candidates and returns s_reflect.
 *
 * @example
 * ```ts
 * import { generateWorld } from "../data/world/generate.ts";
 * import { simulatedTeacher } from "./teacher/simulated.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const teacher = simulatedTeacher(world);
 * const record = world.records.val[0];
 * const items: [string, number][] = [["Heat", 1995], [world.catalog[0].title, world.catalog[0].year]];
 * const r = await reflect(teacher, record.prompt[0].content, items, Float64Array.of(1, 0), {
 *   gamma: 0.5,
 * });
 * if (r.scores.length !== 2) throw new Error("one s_reflect per candidate");
 * ```
 */
export async function reflect(
  teacher: Teacher,
  conversation: string,
  candidates: readonly Item[],
  remapScores: Float64Array,
  options: { readonly gamma?: number } = {},
): Promise<Reflected> {
  const rated = await teacher.rate(conversation, candidates);
  return reflectScores(remapScores, rated, options.gamma ?? 0.5);
}
