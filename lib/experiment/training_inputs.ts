// SFT and RL inputs of the built-in world, written once per full config into the notebook cache: the
// distilled demonstrations (variant "full" on every train conversation; the paper's 25% is GPT-4o's
// cost, and the simulated teacher is free) or, on request, the
// oracle STAND-IN ones; RL prompts (every train record), the test split, the catalog and the base model's
// tokenizer.

import { join } from "node:path";
import { writeFileAtomic, writeJsonlAtomic } from "../data/atomic_write.ts";
import type { ConversationRecord } from "../data/record.ts";
import { catalogToCsv, generateWorld, type WorldConfigInput } from "../data/world/mod.ts";
import { distill, type DistillConfig, parseDistillConfig } from "../distill/pipeline.ts";
import { canonicalJson, sha256Hex } from "../distill/teacher/response_cache.ts";
import { saveTokenizer } from "../model/tokenizer/save.ts";
import { BUILTIN_BASE_DIR, modelTokenizerFiles } from "../model/builtin_base.ts";
import type { ScoreSummary } from "../reward/score.ts";
import { type WorldSftInputs, writeWorldSftInputs } from "../train/sft/world_demos.ts";
import { cached, cacheRunFolder, codeVersion, removeStaleFolder } from "./cache.ts";

/** Where the SFT demonstrations come from: the distillation pipeline, or the world's oracle lists. */
export const DEMONSTRATION_SOURCES = ["distilled", "stand-in"] as const;
/** One of {@link DEMONSTRATION_SOURCES}. */
export type DemonstrationSource = typeof DEMONSTRATION_SOURCES[number];

/** The model folder whose tokenizer the inputs ship (the shipped base: SFT starts from it). */
export const INPUT_TOKENIZER_FROM = BUILTIN_BASE_DIR;

/** Record counts of the written inputs. */
export interface TrainingInputCounts {
  /** train.jsonl records (one per distinct (prompt, completion)) */
  sft_train: number;
  /** val.jsonl records (every val record) */
  val: number;
  /** rl.jsonl records (every train-split record) */
  rl: number;
  /** test.jsonl records */
  test: number;
}

/** The files of {@link cachedTrainingInputs} and what produced them. */
export interface TrainingInputs {
  /** Paths for an SFT config: spread them into `cachedSft`'s input. */
  sft: WorldSftInputs;
  /** RL prompts: every train-split record (prompt, seen titles, ground truth; no completion). */
  rl: string;
  /** The test split's records, for the final greedy evaluation. */
  test: string;
  demonstrations: DemonstrationSource;
  /** The full distillation config ("distilled" only). */
  distill: DistillConfig | null;
  /** Distillation metrics on val and test: the teacher's raw lists and every variant ("distilled"). */
  evaluation: Record<string, Record<string, ScoreSummary>> | null;
  counts: TrainingInputCounts;
}

/**
 * Share of train conversations distilled into SFT demonstrations: all of them. The paper distils 25%
 * (paper.md §5) because each costs a GPT-4o call; the simulated teacher costs ~5 ms, and on the
 * default world (seed 0) SFT from the base on all 1,500 reached val loss 0.795 after 188 steps where
 * the 25% (375) reached 0.860 after 94 (data/REPRODUCTION.md, session 6).
 */
export const SFT_TRAIN_FRACTION = 1;

/**
 * The distillation config behind the distilled inputs of `world`: the simulated teacher, variant
 * "full", EVERY train conversation (train fraction {@link SFT_TRAIN_FRACTION}), train/val
 * demonstrations and every variant scored on val and test; Remap top-k on the CPU (same lists as a
 * GPU, no adapter probe).
 * @example
 * ```ts
 * const config = distilledInputsConfig({ seed: 1 });
 * if (config.train_fraction !== 1 || config.variant !== "full") {
 *   throw new Error("full train split");
 * }
 * ```
 */
export function distilledInputsConfig(world: WorldConfigInput): DistillConfig {
  return parseDistillConfig({
    source: { kind: "world", world },
    variant: "full",
    train_fraction: SFT_TRAIN_FRACTION,
    splits: ["train", "val", "test"],
    evaluate: true,
    gpu: "cpu",
    out: null,
  }, "distilledInputsConfig");
}

/**
 * One record per distinct (prompt, completion): the replies of one conversation share its prompt and
 * its distilled list, so for SFT they would only repeat the same example (their ground truths differ,
 * which SFT does not read). First occurrence kept, order preserved.
 * @example Two replies of one conversation share prompt and distilled list
 * ```ts
 * const a = {
 *   prompt: [{ role: "user" as const, content: "something like Heat?" }],
 *   completion: [{ role: "assistant" as const, content: "Ronin (1998)" }],
 * };
 * const b = { ...a, prompt: [{ role: "user" as const, content: "a comedy?" }] };
 * const kept = dedupeDemonstrations([a, { ...a }, b]);
 * if (kept.length !== 2 || kept[0] !== a || kept[1] !== b) throw new Error("expected [a, b]");
 * ```
 */
export function dedupeDemonstrations<R extends Pick<ConversationRecord, "prompt" | "completion">>(
  records: readonly R[],
): R[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const key = canonicalJson([r.prompt, r.completion]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Paths of the files every input folder holds. */
function inputPaths(dir: string) {
  return {
    sft: {
      data: join(dir, "train.jsonl"),
      val: join(dir, "val.jsonl"),
      catalog: join(dir, "catalog.csv"),
      tokenizer: join(dir, "tokenizer"),
    },
    rl: join(dir, "rl.jsonl"),
    test: join(dir, "test.jsonl"),
  };
}

/**
 * Distils the built-in world (see {@link distilledInputsConfig}) and writes to `dir`: train.jsonl
 * (distilled, deduplicated), val.jsonl (every val record with its distilled list, for the val loss),
 * rl.jsonl (every train record), test.jsonl, catalog.csv and tokenizer/ (the shipped base's).
 * @example Type-checked only (it distils a whole world)
 * ```ts
 * async function _inputs(): Promise<string> {
 *   const inputs = await writeDistilledInputs(await Deno.makeTempDir(), { seed: 1 });
 *   return inputs.sft.data; // "<dir>/train.jsonl"
 * }
 * ```
 */
export async function writeDistilledInputs(
  dir: string,
  world: WorldConfigInput,
  opts: { log?: (line: string) => void } = {},
): Promise<TrainingInputs> {
  const config = distilledInputsConfig(world);
  const distilled = await distill(config, { log: opts.log });
  const w = await generateWorld(world);
  const paths = inputPaths(dir);
  const train = dedupeDemonstrations(distilled.demonstrations.train);
  const val = distilled.demonstrations.val;
  await Deno.mkdir(dir, { recursive: true });
  await writeJsonlAtomic(paths.sft.data, train);
  await writeJsonlAtomic(paths.sft.val, val);
  await writeJsonlAtomic(paths.rl, w.records.train);
  await writeJsonlAtomic(paths.test, w.records.test);
  await writeFileAtomic(paths.sft.catalog, catalogToCsv(w.catalog));
  await saveTokenizer(paths.sft.tokenizer, await modelTokenizerFiles(INPUT_TOKENIZER_FROM));
  return {
    ...paths,
    demonstrations: "distilled",
    distill: config,
    evaluation: distilled.evaluation,
    counts: {
      sft_train: train.length,
      val: val.length,
      rl: w.records.train.length,
      test: w.records.test.length,
    },
  };
}

/** The stand-in inputs: world_demos.ts's oracle-ranked files plus rl.jsonl and test.jsonl. */
async function writeStandInInputs(dir: string, world: WorldConfigInput): Promise<TrainingInputs> {
  const sft = await writeWorldSftInputs(dir, world, { tokenizerFrom: INPUT_TOKENIZER_FROM });
  const w = await generateWorld(world);
  const paths = inputPaths(dir);
  await writeJsonlAtomic(paths.rl, w.records.train);
  await writeJsonlAtomic(paths.test, w.records.test);
  const lines = async (p: string) =>
    (await Deno.readTextFile(p)).split("\n").filter((l) => l !== "").length;
  return {
    sft,
    rl: paths.rl,
    test: paths.test,
    demonstrations: "stand-in",
    distill: null,
    evaluation: null,
    counts: {
      sft_train: await lines(sft.data),
      val: await lines(sft.val),
      rl: w.records.train.length,
      test: w.records.test.length,
    },
  };
}

/** Options of {@link cachedTrainingInputs}. */
export interface TrainingInputOptions {
  /** Cache folder: the result as `<hash>.json`, the files in `inputs-<hash>/`. */
  cacheDir: string;
  /** @default "distilled" */
  demonstrations?: DemonstrationSource | string;
  /** Cache and distillation log lines; @default none */
  log?: (line: string) => void;
  /** Code version folded into the key and folder name; @default await codeVersion() */
  version?: string;
}

/**
 * The SFT and RL inputs of a built-in world, written once per full config (world, demonstration
 * source, distillation config, tokenizer size) and code version into `<cacheDir>/inputs-<hash>/`.
 * An unknown `demonstrations` value fails with the valid ones (notebook knobs are untyped).
 * @example Type-checked only (it distils a world, then trains)
 * ```ts
 * import { sftPreset, worldPreset } from "./presets.ts";
 * import { cachedSft } from "./training_runs.ts";
 *
 * async function _sft(): Promise<string> {
 *   const cacheDir = "runs/cache";
 *   const inputs = await cachedTrainingInputs(worldPreset("smoke", { seed: 1 }), { cacheDir });
 *   const sft = await cachedSft({ ...sftPreset("smoke"), ...inputs.sft, seed: 1 }, { cacheDir });
 *   return sft.checkpoint;
 * }
 * ```
 */
export async function cachedTrainingInputs(
  world: WorldConfigInput,
  opts: TrainingInputOptions,
): Promise<TrainingInputs> {
  const source = opts.demonstrations ?? "distilled";
  if (!(DEMONSTRATION_SOURCES as readonly string[]).includes(source)) {
    throw new Error(
      `lib/experiment/training_inputs.ts: cachedTrainingInputs: demonstrations: expected one of ${
        DEMONSTRATION_SOURCES.map((s) => `"${s}"`).join(", ")
      }, got ${JSON.stringify(source)}`,
    );
  }
  const version = opts.version ?? await codeVersion();
  const key = {
    what: "training-inputs",
    demonstrations: source,
    world,
    distill: source === "distilled" ? distilledInputsConfig(world) : null,
    tokenizer_sha256: await sha256Hex(
      await Deno.readTextFile(join(INPUT_TOKENIZER_FROM, "tokenizer.json")),
    ),
  };
  const dir = await cacheRunFolder("inputs", key, { cacheDir: opts.cacheDir, version });
  const inputs = await cached(key, opts.cacheDir, async () => {
    await removeStaleFolder(dir);
    return source === "distilled"
      ? await writeDistilledInputs(dir, world, { log: opts.log })
      : await writeStandInInputs(dir, world);
  }, { version, log: opts.log });
  for (const p of [inputs.sft.data, inputs.sft.tokenizer, inputs.rl, inputs.test]) {
    await Deno.stat(p).catch(() => {
      throw new Error(
        `lib/experiment/training_inputs.ts: cachedTrainingInputs: ${p}: missing although cached ` +
          `(delete ${opts.cacheDir} to rebuild)`,
      );
    });
  }
  return inputs;
}
