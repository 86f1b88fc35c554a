// Training checkpoints runs/<name>/checkpoints/step-N/: an HF model folder (config.json, model.safetensors,
// tokenizer files) plus optimizer.safetensors (AdamW moments) and trainer_state.json (step, data position,
// seed). Built in a temp folder and renamed into place, so a crash never leaves a half-written step-N;
// leftovers of a crashed save or prune are ignored by checkpointSteps and cleaned up by the next save.
import * as tf from "@tensorflow/tfjs";
import {
  recoverDirWrites,
  removeDirAtomic,
  writeDirAtomic,
  writeFileAtomic,
} from "../../data/atomic_write.ts";
import { loadCheckpoint, writeCheckpointFiles } from "../../model/checkpoint.ts";
import type { ModelConfig } from "../../model/config.ts";
import { openSafetensors, writeSafetensors } from "../../model/safetensors.ts";
import { saveTokenizer } from "../../model/tokenizer/save.ts";
import type { TokenizerFiles } from "../../model/tokenizer/world_tokenizer.ts";
import type { DecoderWeights } from "../../model/weights.ts";
import type { AdamWState } from "../optim/adamw.ts";

/** Everything a checkpoint holds. */
export interface TrainCheckpoint {
  step: number;
  weights: DecoderWeights;
  modelConfig: ModelConfig;
  tokenizer: TokenizerFiles;
  optimizer: AdamWState;
  /** JSON-serialisable trainer state (data position, seed, counters) */
  trainerState: Record<string, unknown>;
}

/**
 * Folder of checkpoint `step` inside `runDir`.
 *
 * @example
 * ```ts
 * if (checkpointDir("runs/a", 50) !== "runs/a/checkpoints/step-50") {
 *   throw new Error("checkpointDir");
 * }
 * ```
 */
export function checkpointDir(runDir: string, step: number): string {
  return `${runDir}/checkpoints/step-${step}`;
}

/**
 * Write checkpoint `ckpt.step` atomically (an existing step-N is replaced). First removes what a
 * crashed earlier save or prune left in `runDir/checkpoints` (half-built `.step-N.*.tmp` folders),
 * and moves back a step-N whose replacement died between its two renames.
 *
 * @example A 1-layer model's checkpoint in a temp run folder
 * ```ts
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { adamwInit } from "../optim/adamw.ts";
 * const tokenizer = trainChatTokenizer(["Heat (1995)\n"], { vocabSize: 300, seed: 0 });
 * const modelConfig = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: 300,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const weights = initWeights(modelConfig, { seed: 0 });
 * const optimizer = adamwInit(weights);
 * const runDir = await Deno.makeTempDir();
 * const ckpt = { step: 10, weights, modelConfig, tokenizer, optimizer, trainerState: {} };
 * const dir = await saveTrainCheckpoint(runDir, ckpt);
 * if (dir !== checkpointDir(runDir, 10)) throw new Error(dir);
 * const ckpt2 = await loadTrainCheckpoint(dir); // the round trip
 * if (ckpt2.step !== 10 || ckpt2.optimizer.step !== 0) {
 *   throw new Error(JSON.stringify(ckpt2.trainerState));
 * }
 * await Deno.remove(runDir, { recursive: true });
 * ```
 */
export async function saveTrainCheckpoint(runDir: string, ckpt: TrainCheckpoint): Promise<string> {
  const dir = checkpointDir(runDir, ckpt.step);
  await Deno.mkdir(`${runDir}/checkpoints`, { recursive: true });
  await recoverDirWrites(`${runDir}/checkpoints`);
  await writeDirAtomic(dir, async (tmp) => {
    await writeCheckpointFiles(tmp, ckpt.weights, ckpt.modelConfig, { dtype: "F32" });
    await saveTokenizer(tmp, ckpt.tokenizer);
    const names = Object.keys(ckpt.optimizer.m).sort();
    const moment = (t: tf.Tensor) => async () => new Float32Array(await t.data());
    await writeSafetensors(`${tmp}/optimizer.safetensors`, [
      ...names.map((n) => ({
        name: `m.${n}`,
        shape: ckpt.optimizer.m[n].shape,
        data: moment(ckpt.optimizer.m[n]),
      })),
      ...names.map((n) => ({
        name: `v.${n}`,
        shape: ckpt.optimizer.v[n].shape,
        data: moment(ckpt.optimizer.v[n]),
      })),
    ], { dtype: "F32", metadata: { optimizer: "adamw", step: String(ckpt.optimizer.step) } });
    const state = { step: ckpt.step, optimizer_step: ckpt.optimizer.step, ...ckpt.trainerState };
    await writeFileAtomic(`${tmp}/trainer_state.json`, JSON.stringify(state, null, 2) + "\n");
  });
  return dir;
}

/**
 * Steps of the complete checkpoints in `runDir` (folders step-N holding trainer_state.json), ascending.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const runDir = await Deno.makeTempDir();
 * for (const step of [20, 10]) {
 *   await Deno.mkdir(checkpointDir(runDir, step), { recursive: true });
 *   await Deno.writeTextFile(`${checkpointDir(runDir, step)}/trainer_state.json`, "{}");
 * }
 * await Deno.mkdir(checkpointDir(runDir, 30)); // no trainer_state.json: incomplete, not listed
 * deepStrictEqual(await checkpointSteps(runDir), [10, 20]);
 * await Deno.remove(runDir, { recursive: true });
 * ```
 */
export async function checkpointSteps(runDir: string): Promise<number[]> {
  const steps: number[] = [];
  try {
    for await (const e of Deno.readDir(`${runDir}/checkpoints`)) {
      const m = /^step-(\d+)$/.exec(e.name);
      if (!e.isDirectory || m === null) continue;
      try {
        await Deno.stat(`${runDir}/checkpoints/${e.name}/trainer_state.json`);
        steps.push(Number(m[1]));
      } catch { /* incomplete: ignored */ }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return steps.sort((a, b) => a - b);
}

/**
 * Load checkpoint folder `dir`: weights (as plain tensors), optimizer moments, trainer state.
 *
 * @example Needs a checkpoint folder ({@link saveTrainCheckpoint}'s example runs the round trip)
 * ```ts ignore
 * const ckpt = await loadTrainCheckpoint("runs/a/checkpoints/step-10");
 * ```
 */
export async function loadTrainCheckpoint(
  dir: string,
): Promise<Omit<TrainCheckpoint, "tokenizer">> {
  const statePath = `${dir}/trainer_state.json`;
  const trainerState = JSON.parse(await Deno.readTextFile(statePath)) as Record<string, unknown>;
  const step = trainerState.step, optStep = trainerState.optimizer_step;
  if (!Number.isInteger(step) || !Number.isInteger(optStep)) {
    throw new Error(`${statePath}: expected integer "step" and "optimizer_step"`);
  }
  const { config, weights } = await loadCheckpoint(dir);
  const file = await openSafetensors(`${dir}/optimizer.safetensors`);
  const m: Record<string, tf.Tensor> = {}, v: Record<string, tf.Tensor> = {};
  try {
    for (const name of Object.keys(weights)) {
      for (const [prefix, into] of [["m", m], ["v", v]] as const) {
        if (!file.tensors.has(`${prefix}.${name}`)) {
          throw new Error(`${file.path}: no moment "${prefix}.${name}" for parameter "${name}"`);
        }
        const { shape, data } = await file.read(`${prefix}.${name}`);
        into[name] = tf.tensor(data, shape, "float32");
      }
    }
  } catch (e) {
    [...Object.values(m), ...Object.values(v), ...Object.values(weights)].forEach((t) =>
      t.dispose()
    );
    throw e;
  } finally {
    file.close();
  }
  return {
    step: step as number,
    weights,
    modelConfig: config,
    optimizer: { step: optStep as number, m, v },
    trainerState,
  };
}

/**
 * Remove all but the newest `keep` complete checkpoints (keep ≥ 1). Each folder is renamed aside
 * before it is deleted, so a crash mid-prune never leaves a half-deleted step-N that looks complete.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const runDir = await Deno.makeTempDir();
 * for (const step of [10, 20, 30]) {
 *   await Deno.mkdir(checkpointDir(runDir, step), { recursive: true });
 *   await Deno.writeTextFile(`${checkpointDir(runDir, step)}/trainer_state.json`, "{}");
 * }
 * await pruneCheckpoints(runDir, 2);
 * deepStrictEqual(await checkpointSteps(runDir), [20, 30]); // the oldest is gone
 * await Deno.remove(runDir, { recursive: true });
 * ```
 */
export async function pruneCheckpoints(runDir: string, keep: number): Promise<void> {
  const steps = await checkpointSteps(runDir);
  for (const s of steps.slice(0, Math.max(0, steps.length - Math.max(1, keep)))) {
    await removeDirAtomic(checkpointDir(runDir, s));
  }
}
