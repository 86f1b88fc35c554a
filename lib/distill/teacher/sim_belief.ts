// What the simulated teacher "believes" about a conversation of the built-in world: a noisy, partial,
// popularity-biased copy of the hidden taste. Not in the paper (a stand-in for GPT-4o's world knowledge).
//
// Honest statement of the channel: the simulator is handed the world and finds a conversation's hidden
// taste by its TEXT (a private index: text → taste), then sees it through noise — each taste facet is
// kept only with probability `facet_visibility` (a real LLM only knows what the user said), every item
// gets fixed per-conversation Gaussian noise (its misunderstanding), and a popularity bias is added.
// It never sees a record's ground truth or the replier's tilt.
import type { World } from "../../data/world/generate.ts";
import { createPrng, fnv1a32, type Prng } from "../../data/prng.ts";
import { conversationText } from "./prompts.ts";
import {
  type CatalogFeatures,
  catalogFeatures,
  tasteScores,
  type UserTaste,
} from "../../data/world/taste.ts";

/** Knobs of the teacher's noisy view (calibrated in tests/distill/teacher/simulated_test.ts). */
export interface BeliefOptions {
  /** Probability that each facet of the taste is visible to the teacher. */
  readonly facet_visibility: number;
  /** Multiplier on the visible taste score. */
  readonly taste_scale: number;
  /** Added weight on z-scored log votes (LLMs favour famous titles). */
  readonly popularity_bias: number;
  /** Sd of the fixed per-(conversation, item) noise. */
  readonly item_noise: number;
}

/** What the simulator knows about one conversation (from its private index). */
export interface SimConversation {
  /** The conversation text (wrapper removed): the index key. */
  readonly text: string;
  readonly taste: UserTaste;
  /** Catalog indices of the movies the conversation mentions. */
  readonly seen: readonly number[];
  /** Seed of everything fixed per conversation. */
  readonly seed: number;
}

/** The simulator's private copy of the world. */
export interface SimWorld {
  readonly features: CatalogFeatures;
  /** Conversation text → what the simulator knows. */
  readonly conversations: ReadonlyMap<string, SimConversation>;
  /** `title\u0000year` → catalog index. */
  readonly byPair: ReadonlyMap<string, number>;
}

/**
 * Builds the simulator's private index over every split of the world.
 *
 * @example
 * ```ts
 * import { generateWorld } from "../../data/world/generate.ts";
 * const sim = simWorld(await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } }));
 * if (sim.conversations.size !== 30) throw new Error(`${sim.conversations.size} conversations`);
 * ```
 */
export function simWorld(world: World): SimWorld {
  const features = catalogFeatures(world.catalog);
  const byPair = new Map<string, number>();
  world.catalog.forEach((m, i) => byPair.set(`${m.title}\u0000${m.year}`, i));
  const conversations = new Map<string, SimConversation>();
  for (const split of ["train", "val", "test"] as const) {
    for (const r of world.records[split]) {
      const text = conversationText(r.prompt[0].content);
      if (conversations.has(text)) continue;
      const truth = world.truth[r.id];
      if (!truth) {
        throw new Error(
          `lib/distill/teacher/sim_belief.ts: simWorld: truth: no entry for record ${r.id}`,
        );
      }
      const seen = truth.seen.map(([t, y]) => byPair.get(`${t}\u0000${y}`))
        .filter((i): i is number => i !== undefined);
      conversations.set(text, {
        text,
        taste: truth.taste,
        seen,
        seed: fnv1a32(truth.conversation_id) ^ world.config.seed,
      });
    }
  }
  return { features, conversations, byPair };
}

/**
 * The simulator's record of a conversation; throws when the text is not one of its world's.
 *
 * @example
 * ```ts
 * import { generateWorld } from "../../data/world/generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const conv = findConversation(simWorld(world), world.records.val[0].prompt[0].content);
 * ```
 */
export function findConversation(sim: SimWorld, conversation: string): SimConversation {
  const c = sim.conversations.get(conversationText(conversation));
  if (c === undefined) {
    throw new Error(
      "lib/distill/teacher/sim_belief.ts: findConversation: conversation: expected a conversation of " +
        `the simulator's world, got ${
          JSON.stringify(conversationText(conversation).slice(0, 60))
        }…`,
    );
  }
  return c;
}

/**
 * The visible part of a taste: each facet (a favourite/disliked genre, creative type, director, the era,
 * the popularity appetite, the rating sensitivity) survives with probability `visibility`; small
 * background genre/type weights (|w| < 0.8) are always dropped (nobody states them).
 *
 * @example
 * ```ts
 * import { createPrng } from "../../data/prng.ts";
 * import { generateWorld } from "../../data/world/generate.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const taste = world.truth[world.records.val[0].id].taste;
 * const seenByTeacher = visibleTaste(createPrng(1), taste, 0.7); // some strong facets dropped
 * ```
 */
export function visibleTaste(prng: Prng, taste: UserTaste, visibility: number): UserTaste {
  const keep = () => prng.float() < visibility;
  const filter = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).filter(([, w]) => Math.abs(w) >= 0.8 && keep()));
  return {
    genres: filter(taste.genres),
    creative_types: filter(taste.creative_types),
    directors: filter(taste.directors),
    era: taste.era && keep() ? taste.era : null,
    popularity: keep() ? taste.popularity : 0,
    rating: keep() ? taste.rating : 0,
  };
}

/**
 * A standard normal from a 32-bit hash (two hashed uniforms through Box–Muller): noise that depends
 * only on (seed, item), so the drafter and the judge share the same misunderstanding.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(hashNormal(123, 7), hashNormal(123, 7)); // the same value every time
 * ```
 */
export function hashNormal(seed: number, i: number): number {
  const h1 = fnv1a32(`${seed}:${i}:a`);
  const h2 = fnv1a32(`${seed}:${i}:b`);
  const u1 = (h1 + 1) / 4294967297;
  const u2 = h2 / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * The teacher's belief score of every catalog movie for a conversation, shape (N,):
 * taste_scale · s_visible(i) + popularity_bias · z_pop(i) + item_noise · η(conversation, i).
 * Deterministic per conversation (no per-call randomness here).
 *
 * @example
 * ```ts
 * import { generateWorld } from "../../data/world/generate.ts";
 * import { DEFAULT_SIM_TEACHER } from "./simulated.ts";
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const sim = simWorld(world);
 * const conv = findConversation(sim, world.records.val[0].prompt[0].content);
 * const b = beliefScores(sim, conv, DEFAULT_SIM_TEACHER.belief); // Float64Array(catalog size)
 * if (b.length !== world.catalog.length) throw new Error(`${b.length}`);
 * ```
 */
export function beliefScores(
  sim: SimWorld,
  conv: SimConversation,
  options: BeliefOptions,
): Float64Array {
  const view = visibleTaste(
    createPrng(conv.seed).fork("view"),
    conv.taste,
    options.facet_visibility,
  );
  const s = tasteScores(view, sim.features); // (N,)
  const zPop = sim.features.z_popularity;
  for (let i = 0; i < s.length; i++) {
    s[i] = options.taste_scale * s[i] + options.popularity_bias * zPop[i] +
      options.item_noise * hashNormal(conv.seed, i);
  }
  return s;
}
