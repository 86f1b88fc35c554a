// Cached SFT and RL runs for notebooks 03–06 and the demo: each run's folder is named by the hash of its
// full config and the code version (inside the cache folder), so a cached result always points at its own
// checkpoint. Not in the paper; SFT trains on the distilled demonstrations (training_inputs.ts).

import { join } from "node:path";
import { cached, cacheRunFolder, codeVersion, removeStaleFolder } from "./cache.ts";
import { reporter, type ReporterOptions } from "../notebook/progress.ts";
import { cachedTrainingInputs, type DemonstrationSource } from "./training_inputs.ts";
import type { WorldConfigInput } from "../data/world/mod.ts";
import { type BackendName, useBackend } from "../model/backend.ts";
import { openBlasAvailable } from "../model/blas/openblas.ts";
import { BACKEND_CHOICES } from "../model/backend_names.ts";
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
import { sha256File } from "../train/run/export_model.ts";
import type { WorldSftInputs } from "../train/sft/world_demos.ts";

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

/** The run folder of `key` under the options' cache folder and code version. */
async function runFolder(what: string, key: unknown, opts: CachedRunOptions): Promise<string> {
  const version = opts.version ?? await codeVersion();
  return await cacheRunFolder(what, key, { cacheDir: opts.cacheDir, version });
}

/**
 * The SFT input paths of a built-in world (train/val demonstrations, catalog, world tokenizer): the
 * distilled demonstrations by default, the oracle STAND-IN ones with `demonstrations: "stand-in"`
 * (see {@link cachedTrainingInputs}, which also gives the RL prompts and the test split).
 * @example Type-checked only (it distils a world on a cache miss)
 * ```ts
 * import { worldPreset } from "./presets.ts";
 *
 * async function _inputs(): Promise<string> {
 *   const inputs = await cachedSftInputs(worldPreset("smoke", { seed: 1 }), {
 *     cacheDir: "runs/cache",
 *   });
 *   return inputs.data; // the train demonstrations (.jsonl)
 * }
 * ```
 */
export async function cachedSftInputs(
  world: WorldConfigInput,
  opts: CachedRunOptions & { demonstrations?: DemonstrationSource | string },
): Promise<WorldSftInputs> {
  return (await cachedTrainingInputs(world, opts)).sft;
}

/**
 * Runs SFT with `input` (everything but `run_dir`) in `<cacheDir>/sft-<hash>/`, or serves the run of
 * the same config and code from the cache.
 * @example Type-checked only (an SFT training run)
 * ```ts
 * import type { WorldSftInputs } from "../train/sft/world_demos.ts";
 * import { sftPreset } from "./presets.ts";
 *
 * async function _sft(inputs: WorldSftInputs): Promise<string> {
 *   const sft = await cachedSft({ ...sftPreset("smoke"), ...inputs, seed: 1 }, {
 *     cacheDir: "runs/cache",
 *   });
 *   return sft.checkpoint; // "runs/cache/sft-…/checkpoints/step-6"
 * }
 * ```
 */
export async function cachedSft(
  input: Omit<SftConfigInput, "run_dir">,
  opts: CachedRunOptions,
): Promise<SftRun> {
  const version = opts.version ?? await codeVersion();
  const probe = parseSftConfig({ ...input, run_dir: "-" }, "cachedSft input");
  const { run_dir: _, ...config0 } = probe;
  // the init folder's weights are part of the run's identity (a rebuilt base must not hit the cache)
  const key = {
    ...config0,
    init_sha256: probe.init === null
      ? null
      : await sha256File(join(probe.init, "model.safetensors")),
  };
  const config = { ...probe, run_dir: await runFolder("sft", key, { ...opts, version }) };
  return await cached({ what: "sft", config }, opts.cacheDir, async (): Promise<SftRun> => {
    await removeStaleFolder(config.run_dir);
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
 * @example
 * ```ts
 * if (rlLabel("rank-grpo", "exp_inf") !== "rank-grpo (exp_inf)") throw new Error("rank-grpo");
 * if (rlLabel("grpo", "exp_inf") !== "grpo") throw new Error("grpo has no reward in its label");
 * ```
 */
export function rlLabel(algo: string, reward: string): string {
  return algo === "rank-grpo" ? `rank-grpo (${reward})` : algo;
}

/**
 * Runs RL with `algo` from `base` (same init, data and seed for every algorithm) in
 * `<cacheDir>/rl-<hash>/`, or serves the same config's run from the cache. `reward` applies to
 * rank-grpo only (GRPO/GSPO score the sequence DCG@N).
 * @example Type-checked only (an RL training run)
 * ```ts
 * async function _grpo(base: RlBaseInput): Promise<number[]> {
 *   const r = await cachedRl(base, "grpo", { cacheDir: "runs/cache" });
 *   return r.rows.map((row) => row.in_catalog);
 * }
 * ```
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
    await removeStaleFolder(config.run_dir);
    const result = await runRl(config, { onStep: opts.onStep, log: opts.log ?? (() => {}) });
    const { rows } = await readStepRows(join(config.run_dir, "metrics.jsonl"));
    return { label, config, result, rows: rows as RlStepRecord[] };
  }, { version, log: opts.log });
}

/**
 * The entries of `knobs` that are not null (notebook knobs use null for "the preset's value").
 * @example
 * ```ts
 * const knobs = withoutNulls({ lr: null, epochs: 2 });
 * if (JSON.stringify(knobs) !== '{"epochs":2}') throw new Error(JSON.stringify(knobs));
 * ```
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
 * @example Type-checked only (each run is an RL training run)
 * ```ts
 * async function _compare(base: RlBaseInput): Promise<string[]> {
 *   const rl = rlComparison(base, { cacheDir: "runs/cache", reward: "exp_inf" });
 *   await rl.run("grpo");
 *   await rl.run("rank-grpo");
 *   return rl.runs().map((r) => r.label); // ["grpo", "rank-grpo (exp_inf)"]
 * }
 * ```
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

/** Backend knob values of the notebooks and the demo: "auto" or a tfjs backend. */
export const TRAINING_BACKENDS = BACKEND_CHOICES;

/** A training backend with the reason it was picked. */
export interface ResolvedBackend {
  backend: BackendName;
  reason: string;
}

/**
 * The tfjs backend of a `backend` knob: "auto" is "cpu-blas" when OpenBLAS loads here (installed,
 * --allow-ffi granted, the backend starts), else "wasm" with the reason; a named backend must start.
 * Leaves the picked backend active.
 * @example Without --allow-ffi, "auto" falls back to wasm and says why
 * ```ts
 * // "cpu-blas" where OpenBLAS loads
 * const { backend, reason } = await resolveTrainingBackend("auto");
 * if (backend !== "cpu-blas" && backend !== "wasm") throw new Error(`${backend}: ${reason}`);
 * ```
 */
export async function resolveTrainingBackend(name: string): Promise<ResolvedBackend> {
  if (!(TRAINING_BACKENDS as readonly string[]).includes(name)) {
    throw new Error(
      `lib/experiment/training_runs.ts: resolveTrainingBackend: backend: expected one of ${
        TRAINING_BACKENDS.map((n) => `"${n}"`).join(", ")
      }, got ${JSON.stringify(name)}`,
    );
  }
  if (name !== "auto") {
    return { backend: await useBackend(name as BackendName), reason: "asked for" };
  }
  const blas = openBlasAvailable();
  if (blas.ok) {
    try {
      return { backend: await useBackend("cpu-blas"), reason: "auto: OpenBLAS loaded" };
    } catch (e) {
      return {
        backend: await useBackend("wasm"),
        reason: `auto: OpenBLAS did not load (${(e as Error).message})`,
      };
    }
  }
  return { backend: await useBackend("wasm"), reason: `auto: ${blas.reason}` };
}
