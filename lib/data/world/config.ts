// The one strict config of the built-in world (zod at the boundary; unknown keys fail) and its defaults.
// Not in the paper: the paper uses Reddit-v2; this world is the lab's offline stand-in.
import { z } from "zod";

const IntRange = z.tuple([z.int().min(0), z.int().min(0)]).refine(([lo, hi]) => lo <= hi, {
  message: "expected [min, max] with min ≤ max",
});

const SplitCounts = z.strictObject({
  train: z.int().min(1),
  val: z.int().min(1),
  test: z.int().min(1),
});

/** Strengths of each facet of the hidden taste (multipliers on the sampled weights; 0 turns one off). */
export const TasteStrengthsSchema = z.strictObject({
  genre: z.number().min(0),
  creative_type: z.number().min(0),
  director: z.number().min(0),
  era: z.number().min(0),
  popularity: z.number().min(0),
  rating: z.number().min(0),
});

/** Typed taste strengths. */
export type TasteStrengths = z.infer<typeof TasteStrengthsSchema>;

/** Defaults for every knob; README data/README.md justifies the sizes. */
export const DEFAULT_WORLD_CONFIG = {
  seed: 20240601,
  start_month: "2012-01",
  conversations: { train: 1500, val: 150, test: 150 },
  months: { train: 24, val: 3, test: 3 },
  replies_per_conversation: [1, 3] as [number, number],
  groundtruth_per_reply: [1, 5] as [number, number],
  mentions_per_conversation: [1, 3] as [number, number],
  turns_per_conversation: [1, 3] as [number, number],
  taste_temperature: 0.35,
  mention_temperature: 0.35,
  replier_popularity_tilt: 0.3,
  facet_mention_prob: 0.7,
  distractor_prob: 0.15,
  year_mention_prob: 0.4,
  taste_strengths: { genre: 1, creative_type: 1, director: 1, era: 1, popularity: 1, rating: 1 },
  catalog_path: null as string | null,
};

/**
 * The world config. Every field has a default; an unknown key, a wrong type or a bad range fails.
 * `catalog_path` null means vega-datasets' movies.json from node_modules.
 */
export const WorldConfigSchema = z.strictObject({
  seed: z.int().min(0).max(0xffffffff).default(DEFAULT_WORLD_CONFIG.seed),
  start_month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "expected YYYY-MM").default(
    DEFAULT_WORLD_CONFIG.start_month,
  ),
  conversations: SplitCounts.default(DEFAULT_WORLD_CONFIG.conversations),
  months: SplitCounts.default(DEFAULT_WORLD_CONFIG.months),
  replies_per_conversation: IntRange.default(DEFAULT_WORLD_CONFIG.replies_per_conversation),
  groundtruth_per_reply: IntRange.default(DEFAULT_WORLD_CONFIG.groundtruth_per_reply),
  mentions_per_conversation: IntRange.default(DEFAULT_WORLD_CONFIG.mentions_per_conversation),
  turns_per_conversation: IntRange.default(DEFAULT_WORLD_CONFIG.turns_per_conversation),
  taste_temperature: z.number().positive().default(DEFAULT_WORLD_CONFIG.taste_temperature),
  mention_temperature: z.number().positive().default(DEFAULT_WORLD_CONFIG.mention_temperature),
  replier_popularity_tilt: z.number().min(0).default(DEFAULT_WORLD_CONFIG.replier_popularity_tilt),
  facet_mention_prob: z.number().min(0).max(1).default(DEFAULT_WORLD_CONFIG.facet_mention_prob),
  distractor_prob: z.number().min(0).max(1).default(DEFAULT_WORLD_CONFIG.distractor_prob),
  year_mention_prob: z.number().min(0).max(1).default(DEFAULT_WORLD_CONFIG.year_mention_prob),
  taste_strengths: TasteStrengthsSchema.default(DEFAULT_WORLD_CONFIG.taste_strengths),
  catalog_path: z.string().nullable().default(DEFAULT_WORLD_CONFIG.catalog_path),
}).superRefine((c, ctx) => {
  const checks: [string, [number, number], number, number][] = [
    ["replies_per_conversation", c.replies_per_conversation, 1, 50],
    ["groundtruth_per_reply", c.groundtruth_per_reply, 1, 50],
    ["mentions_per_conversation", c.mentions_per_conversation, 1, 3],
    ["turns_per_conversation", c.turns_per_conversation, 1, 3],
  ];
  for (const [field, [lo, hi], min, max] of checks) {
    if (lo < min || hi > max) {
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: `expected a range within [${min}, ${max}], got [${lo}, ${hi}]`,
      });
    }
  }
});

/** A parsed, complete world config. */
export type WorldConfig = z.infer<typeof WorldConfigSchema>;

/**
 * Parse a partial config (e.g. from a notebook cell or CLI) into a complete one; errors name the field.
 *
 * @example
 * ```ts
 * const config = parseWorldConfig({ seed: 7, conversations: { train: 200, val: 20, test: 20 } });
 * if (config.facet_mention_prob !== 0.7) throw new Error("unset fields take their defaults");
 * ```
 */
export function parseWorldConfig(input: unknown, source = "world config"): WorldConfig {
  const r = WorldConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) =>
      `${source}: field ${i.path.join(".") || "(root)"}: ${i.message}`
    );
    throw new Error(`lib/data/world/config.ts: parseWorldConfig: ${lines.join("; ")}`);
  }
  return r.data;
}
