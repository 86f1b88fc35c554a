// Cached SFT and RL runs for notebooks 03/04: each run's folder is named by the hash of its full config
// and the code version (inside the cache folder), so a cached result always points at its own checkpoint.
// Not in the paper; the demonstrations it writes are the world's oracle-ranked STAND-IN lists.

import { join } from "node:path";
import { canonicalJson, sha256Hex } from "../distill/teacher/response_cache.ts";
import { cached, codeVersion } from "./cache.ts";
import { reporter, type ReporterOptions } from "./progress.ts";
import { worldPreset } from "../report/world_presets.ts";
import type { WorldConfigInput } from "../data/world/mod.ts";
import { readStepRows, type StepRow } from "../train/run/metrics_log.ts";
import type { RlAlgo } from "../train/rl/algo_config.ts";
import {
  parseRlRunConfig,
  type RlRunConfig,
  type RlRunConfigInput,
} from "../train/rl_loop/config.ts";
import type { RlStepRecord } from "../train/rl_loop/step_record.ts";
import { type RlResult, runRl } from "../train/rl_loop/trainer.ts";
import { parseSftConfig, type SftConfig, type SftConfigInput } from "../train/sft/config.ts";
import { runSft, type SftResult } from "../train/sft/trainer.ts";
import { sftPreset } from "../train/sft/presets.ts";
import { rlPreset } from "../train/rl_loop/presets.ts";
import { type WorldSftInputs, writeWorldSftInputs } from "../train/sft/world_demos.ts";

/** Options shared by the cached runs. */
export interface CachedRunOptions {
  /** Cache folder: results as `<hash>.json`, run folders as `<what>-<hash>/`. */
  cacheDir: string;
  /** Receives every StepRecord of a computed run (e.g. a notebook reporter); @default none */
  onStep?: (row: StepRow) => Promise<void>;
  /** Cache and trainer log lines; @default none */
  log?: (line: string) => void;
  /** Code version folded into keys and folder names; @default await codeVersion() */
  version?: string;
}

/** A finished SFT run: its config, result, every metrics row and its final checkpoint. */
export interface SftRun {
  config: SftConfig;
  result: SftResult;
  rows: StepRow[];
  /** folder of the final checkpoint (HF layout + tokenizer): an RL `init` */
  checkpoint: string;
}

/** A finished RL run: its config, a legend label, result and every StepRecord. */
export interface RlRun {
  /** "grpo", "gspo" or "rank-grpo (exp_inf)" */
  label: string;
  config: RlRunConfig;
  result: RlResult;
  rows: RlStepRecord[];
}

/** `<cacheDir>/<what>-<first 16 hex of sha256(key, version)>`: one folder per config and code. */
async function runFolder(what: string, key: unknown, opts: CachedRunOptions): Promise<string> {
  const version = opts.version ?? await codeVersion();
  const hash = await sha256Hex(canonicalJson({ what, key, version }));
  return join(opts.cacheDir, `${what}-${hash.slice(0, 16)}`);
}

/** Removes a folder left by an interrupted run (a new run refuses a folder with a config.json). */
async function fresh(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

/**
 * Writes the SFT inputs of a built-in world (STAND-IN oracle-ranked demonstrations, catalog, world
 * tokenizer) once per world config and code version, and returns their paths.
 * @example
 * const inputs = await cachedSftInputs(worldPreset("smoke", { seed: 1 }), { cacheDir: "runs/cache" });
 */
export async function cachedSftInputs(
  world: WorldConfigInput,
  opts: CachedRunOptions,
): Promise<WorldSftInputs> {
  const version = opts.version ?? await codeVersion();
  const dir = await runFolder("sft-inputs", world, { ...opts, version });
  const paths = await cached({ what: "sft-inputs", world, dir }, opts.cacheDir, async () => {
    await fresh(dir);
    return await writeWorldSftInputs(dir, world);
  }, { version, log: opts.log });
  await Deno.stat(paths.tokenizer).catch(() => {
    throw new Error(
      `lib/report/training_runs.ts: cachedSftInputs: ${paths.tokenizer}: missing although cached ` +
        `(delete ${opts.cacheDir} to rebuild)`,
    );
  });
  return paths;
}

/**
 * Runs SFT with `input` (everything but `run_dir`) in `<cacheDir>/sft-<hash>/`, or serves the run of
 * the same config and code from the cache.
 * @example
 * const sft = await cachedSft({ ...sftPreset("smoke"), ...inputs, seed: 1 }, { cacheDir: "runs/cache" });
 * sft.checkpoint; // "runs/cache/sft-…/checkpoints/step-6"
 */
export async function cachedSft(
  input: Omit<SftConfigInput, "run_dir">,
  opts: CachedRunOptions,
): Promise<SftRun> {
  const version = opts.version ?? await codeVersion();
  const probe = parseSftConfig({ ...input, run_dir: "-" }, "cachedSft input");
  const { run_dir: _, ...key } = probe;
  const config = { ...probe, run_dir: await runFolder("sft", key, { ...opts, version }) };
  return await cached({ what: "sft", config }, opts.cacheDir, async (): Promise<SftRun> => {
    await fresh(config.run_dir);
    const result = await runSft(config, { onStep: opts.onStep, log: opts.log ?? (() => {}) });
    const { rows } = await readStepRows(join(config.run_dir, "metrics.jsonl"));
    const checkpoint = join(config.run_dir, "checkpoints", `step-${result.step}`);
    return { config, result, rows, checkpoint };
  }, { version, log: opts.log });
}

/** What {@link cachedRl} needs besides the algorithm: the run config without algo, reward, run_dir. */
export type RlBaseInput = Omit<RlRunConfigInput, "algo" | "reward" | "run_dir">;

/**
 * The legend label of an algorithm: its name, with the reward for rank-grpo.
 * @example rlLabel("rank-grpo", "exp_inf") // "rank-grpo (exp_inf)"
 */
export function rlLabel(algo: string, reward: string): string {
  return algo === "rank-grpo" ? `rank-grpo (${reward})` : algo;
}

/**
 * Runs RL with `algo` from `base` (same init, data and seed for every algorithm) in
 * `<cacheDir>/rl-<hash>/`, or serves the same config's run from the cache. `reward` applies to
 * rank-grpo only (GRPO/GSPO score the sequence DCG@N).
 * @example
 * const r = await cachedRl(base, "grpo", { cacheDir: "runs/cache" });
 * r.rows.map((row) => row.in_catalog);
 */
export async function cachedRl(
  base: RlBaseInput,
  algo: RlAlgo | string,
  opts: CachedRunOptions & { reward?: string },
): Promise<RlRun> {
  const version = opts.version ?? await codeVersion();
  const reward = opts.reward ?? "exp_inf";
  const input = { ...base, algo, ...(algo === "rank-grpo" ? { reward } : {}) };
  const probe = parseRlRunConfig({ ...input, run_dir: "-" }, "cachedRl input");
  const { run_dir: _, ...key } = probe;
  const config = { ...probe, run_dir: await runFolder("rl", key, { ...opts, version }) };
  const label = rlLabel(algo, reward);
  return await cached({ what: "rl", config }, opts.cacheDir, async (): Promise<RlRun> => {
    await fresh(config.run_dir);
    const result = await runRl(config, { onStep: opts.onStep, log: opts.log ?? (() => {}) });
    const { rows } = await readStepRows(join(config.run_dir, "metrics.jsonl"));
    return { label, config, result, rows: rows as RlStepRecord[] };
  }, { version, log: opts.log });
}

/** The notebook presets of training: "smoke" (tests, seconds) | "builtin-small" (the built-in model). */
export const TRAINING_PRESETS = ["smoke", "builtin-small"] as const;

/** World, SFT and RL settings of one {@link TRAINING_PRESETS} name. */
export interface TrainingPreset {
  world: WorldConfigInput;
  sft: Partial<SftConfigInput>;
  /** RL settings; `steps` always set */
  rl: Partial<RlRunConfigInput> & { steps: number };
}

/** An RL preset with its step count checked present. */
function rlSettings(name: "smoke" | "default"): TrainingPreset["rl"] {
  const rl = rlPreset(name);
  if (rl.steps === undefined) {
    throw new Error(`lib/report/training_runs.ts: rlPreset("${name}").steps: expected a number`);
  }
  return { ...rl, steps: rl.steps };
}

/**
 * The settings of a training preset: smoke = smoke world + sftPreset("smoke") + rlPreset("smoke");
 * builtin-small = default world + sftPreset("builtin-small") + rlPreset("default"). An unknown name
 * fails with the valid ones (notebook knobs arrive as untyped JSON through `--set`).
 * @example trainingPreset("smoke", { seed: 1 }).sft.max_steps // 6
 */
export function trainingPreset(name: string, opts: { seed?: number } = {}): TrainingPreset {
  if (name === "smoke") {
    return { world: worldPreset("smoke", opts), sft: sftPreset("smoke"), rl: rlSettings("smoke") };
  }
  if (name === "builtin-small") {
    return {
      world: worldPreset("default", opts),
      sft: sftPreset("builtin-small"),
      rl: rlSettings("default"),
    };
  }
  throw new Error(
    `lib/report/training_runs.ts: trainingPreset: preset: expected one of ${
      TRAINING_PRESETS.map((n) => `"${n}"`).join(", ")
    }, got ${JSON.stringify(name)}`,
  );
}

/**
 * The entries of `knobs` that are not null (notebook knobs use null for "the preset's value").
 * @example withoutNulls({ lr: null, epochs: 2 }) // { epochs: 2 }
 */
export function withoutNulls<T extends Record<string, unknown>>(
  knobs: T,
): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(knobs).filter(([, v]) => v !== null)) as {
    [K in keyof T]?: Exclude<T[K], null>;
  };
}

/** A set of RL runs from one base config, one per algorithm label, in the order first run. */
export interface RlComparison {
  /** Runs (or serves from the cache) `algo` and keeps it, replacing an earlier run of the same label. */
  run(algo: string): Promise<RlRun>;
  /** The runs kept so far. */
  runs(): RlRun[];
}

/**
 * Collects RL runs that share `base` (init, data, seed, steps) and differ in the algorithm: each
 * `run(algo)` is a {@link cachedRl} call with a live progress reporter (`progress` mode; "auto" is a
 * display in Jupyter, a line per step in a terminal).
 * @example
 * const rl = rlComparison(base, { cacheDir: "runs/cache", reward: "exp_inf" });
 * await rl.run("grpo"); await rl.run("rank-grpo");
 * rl.runs().map((r) => r.label); // ["grpo", "rank-grpo (exp_inf)"]
 */
export function rlComparison(
  base: RlBaseInput,
  opts: CachedRunOptions & { reward?: string; progress?: ReporterOptions["mode"] },
): RlComparison {
  const kept = new Map<string, RlRun>();
  return {
    async run(algo: string): Promise<RlRun> {
      const onStep = reporter({
        label: rlLabel(algo, opts.reward ?? "exp_inf"),
        total: base.steps,
        mode: opts.progress ?? "auto",
      });
      const r = await cachedRl(base, algo, { ...opts, onStep });
      kept.set(r.label, r);
      return r;
    },
    runs: () => [...kept.values()],
  };
}
