// The simulated teacher of the built-in world: a strong but imperfect LLM implementing `Teacher` —
// drafts from a noisy, partial, popularity-biased view of the hidden taste (sim_belief.ts), writes with
// an LLM's failure modes (sim_text.ts), judges through the real judge-output parser, describes items
// from catalog fields (sim_describe.ts). Not in the paper (which uses GPT-4o). Seeded per (conversation, call).
import type { Item } from "../../catalog/parse_list.ts";
import type { World } from "../../data/world/generate.ts";
import type { WorldMovie } from "../../data/world/movies.ts";
import { createPrng, fnv1a32 } from "../../data/prng.ts";
import { sampleWithoutReplacement } from "../../data/world/taste.ts";
import { parseRatings } from "./parse_ratings.ts";
import { conversationText, DEFAULT_LIST_LENGTH } from "./prompts.ts";
import { type BeliefOptions, beliefScores, findConversation, simWorld } from "./sim_belief.ts";
import { describeIndex, describeItem, resolveBase } from "./sim_describe.ts";
import {
  draftLength,
  type JudgeWritingOptions,
  writeDraft,
  writeJudge,
  type WritingOptions,
} from "./sim_text.ts";
import type { Description, DraftResult, RateResult, Teacher } from "./teacher.ts";

/** Every knob of the simulated teacher. */
export interface SimTeacherOptions {
  /** Root seed of the per-call randomness. */
  readonly seed: number;
  readonly belief: BeliefOptions;
  /** Temperature of the draft's Gumbel-top-k over belief scores. */
  readonly draft_temperature: number;
  /** Probability that a drafted item is a movie the conversation mentions (an LLM slip). */
  readonly seen_slip: number;
  readonly writing: WritingOptions;
  /** Sd of the judge's fresh per-call noise on top of the belief. */
  readonly judge_noise: number;
  /** Belief-percentile cut points (top fractions of the catalog) for ratings 2, 1, 0, −1; below: −2. */
  readonly judge_cuts: readonly [number, number, number, number];
  readonly judge_writing: JudgeWritingOptions;
}

/**
 * Defaults, calibrated on the default world's val split (tests/distill/teacher/simulated_test.ts measures
 * them): zero-shot in-catalog share ≈ 0.86, Recall@20 well above popularity and below the oracle.
 */
export const DEFAULT_SIM_TEACHER: SimTeacherOptions = {
  seed: 7,
  belief: { facet_visibility: 0.8, taste_scale: 1, popularity_bias: 0.4, item_noise: 0.5 },
  draft_temperature: 0.3,
  seen_slip: 0.01,
  writing: {
    hallucination: 0.12,
    repeat: 0.02,
    broken_line: 0.015,
    preamble: 0.25,
    closing: 0.2,
    short_list: 0.1,
    long_list: 0.1,
  },
  judge_noise: 0.6,
  judge_cuts: [0.02, 0.06, 0.2, 0.5],
  judge_writing: {
    skip: 0.02,
    invalid: 0.01,
    year_off: 0.02,
    other_separator: 0.05,
    duplicate: 0.01,
    preamble: 0.2,
  },
};

/** A partial override of {@link DEFAULT_SIM_TEACHER} (nested objects merged field by field). */
export interface SimTeacherOverrides {
  readonly seed?: number;
  readonly belief?: Partial<BeliefOptions>;
  readonly draft_temperature?: number;
  readonly seen_slip?: number;
  readonly writing?: Partial<WritingOptions>;
  readonly judge_noise?: number;
  readonly judge_cuts?: readonly [number, number, number, number];
  readonly judge_writing?: Partial<JudgeWritingOptions>;
}

/**
 * The full options from overrides.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(simTeacherOptions({ writing: { hallucination: 0 } }).writing.preamble, 0.25);
 * ```
 */
export function simTeacherOptions(o: SimTeacherOverrides = {}): SimTeacherOptions {
  const d = DEFAULT_SIM_TEACHER;
  return {
    ...d,
    ...o,
    belief: { ...d.belief, ...o.belief },
    writing: { ...d.writing, ...o.writing },
    judge_writing: { ...d.judge_writing, ...o.judge_writing },
  } as SimTeacherOptions;
}

/** Rating of a belief given the sorted (descending) beliefs of the catalog and the cut fractions. */
function ratingOf(b: number, sortedDesc: Float64Array, cuts: readonly number[]): number {
  let lo = 0, hi = sortedDesc.length; // rank = #items with belief > b
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedDesc[mid] > b) lo = mid + 1;
    else hi = mid;
  }
  const frac = lo / sortedDesc.length;
  for (let r = 0; r < cuts.length; r++) if (frac < cuts[r]) return 2 - r;
  return -2;
}

/**
 * A simulated teacher for `world`. `draft` and `rate` accept only conversations of this world (any
 * split); `describe` accepts any item. Same (options, conversation, call) → same answer.
 *
 * @example
 * ```ts
 * import { generateWorld } from "../../data/world/generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const teacher = simulatedTeacher(world);
 * const { text } = await teacher.draft(world.records.val[0].prompt[0].content); // a numbered list
 * ```
 */
export function simulatedTeacher(world: World, overrides: SimTeacherOverrides = {}): Teacher {
  const o = simTeacherOptions(overrides);
  const sim = simWorld(world);
  const index = describeIndex(world.catalog);
  const catalog: readonly WorldMovie[] = world.catalog;
  const has = (t: string, y: number) => sim.byPair.has(`${t}\u0000${y}`);
  const callPrng = (kind: string, conversation: string, extra: string) =>
    createPrng(o.seed).fork(`${kind}:${fnv1a32(conversationText(conversation))}:${extra}`);

  const draft = async (conversation: string, options: { readonly n?: number } = {}) => {
    await Promise.resolve();
    const n = options.n ?? DEFAULT_LIST_LENGTH;
    const conv = findConversation(sim, conversation);
    const prng = callPrng("draft", conversation, String(n));
    const belief = beliefScores(sim, conv, o.belief); // (N,)
    const length = draftLength(prng, n, o.writing);
    const exclude = new Set(conv.seen.filter(() => prng.float() >= o.seen_slip));
    const picks = sampleWithoutReplacement(prng.fork("pick"), belief, length, {
      exclude,
      temperature: o.draft_temperature,
    });
    const text = writeDraft(prng.fork("write"), picks.map((i) => catalog[i]), {
      catalog,
      has,
      options: o.writing,
    });
    return { text, truncated: false } satisfies DraftResult;
  };

  const rate = async (conversation: string, candidates: readonly Item[]) => {
    await Promise.resolve();
    const conv = findConversation(sim, conversation);
    const prng = callPrng("rate", conversation, candidates.map(([t, y]) => `${t}(${y})`).join("|"));
    const belief = beliefScores(sim, conv, o.belief); // (N,)
    const sorted = Float64Array.from(belief).sort().reverse();
    const noise = prng.fork("noise");
    const ratings = candidates.map((item) => {
      const i = sim.byPair.get(`${item[0]}\u0000${item[1]}`) ?? resolveBase(index, item);
      return ratingOf(belief[i] + o.judge_noise * noise.normal(), sorted, o.judge_cuts);
    });
    const text = writeJudge(prng.fork("write"), candidates, ratings, o.judge_writing);
    return { ...parseRatings(text, candidates), truncated: false } satisfies RateResult;
  };

  const describe = (item: Item) => Promise.resolve<Description>(describeItem(index, item));

  return { name: `simulated:seed${o.seed}`, draft, rate, describe };
}
