// Load/save an HF checkpoint folder (config.json + model.safetensors, or sharded via the index file).
// Saving builds the whole folder in a temp sibling renamed into place; tensors stream one at a time.
import * as tf from "@tensorflow/tfjs";
import { type ModelConfig, readModelConfig, tiedEmbeddings } from "./config.ts";
import {
  recoverDirWrites,
  writeDirAtomic,
  writeFileAtomic as atomicWriteText,
} from "../data/atomic_write.ts";
import { basename, dirname } from "node:path";
import { openCheckpointTensors } from "./checkpoint_tensors.ts";
import { type WriteDtype, writeSafetensors } from "./safetensors.ts";
import { checkWeights, type DecoderWeights, disposeWeights, weightSpecs } from "./weights.ts";

/**
 * Read `dir/config.json` and the weights the config needs (extra tensors such as a tied lm_head or
 * rotary inv_freq buffers are skipped). Only one tensor's bytes are in JS memory at a time.
 *
 * @example
 * ```ts
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * if (config.vocab_size !== 48 || weights["model.norm.weight"].size !== 16) throw new Error("tiny");
 * ```
 */
export async function loadCheckpoint(
  dir: string,
): Promise<{ config: ModelConfig; weights: DecoderWeights }> {
  const config = await readModelConfig(`${dir}/config.json`);
  const source = await openCheckpointTensors(dir);
  const weights: DecoderWeights = {};
  try {
    const missing = weightSpecs(config).filter((s) => !source.tensors.has(s.name)).map((s) =>
      s.name
    );
    if (missing.length) {
      throw new Error(
        `${dir}: checkpoint lacks tensors required by config.json: ${missing.join(", ")}`,
      );
    }
    for (const spec of weightSpecs(config)) {
      const { shape, data } = await source.read(spec.name);
      if (shape.join(",") !== spec.shape.join(",")) {
        throw new Error(
          `${source.tensors.get(spec.name)!.file}: tensor "${spec.name}" has shape [${shape}], ` +
            `config.json implies [${spec.shape}]`,
        );
      }
      weights[spec.name] = tf.tensor(data, shape, "float32");
    }
    checkWeights(weights, config, { source: dir });
  } catch (e) {
    disposeWeights(weights);
    throw e;
  } finally {
    source.close();
  }
  return { config, weights };
}

/** Options of {@link saveCheckpoint} and {@link writeCheckpointFiles}. */
export interface SaveCheckpointOptions {
  /** tensor dtype on disk @default "F32" */
  dtype?: WriteDtype;
}

/**
 * Write `weights` and `config` as an HF checkpoint folder loadable by `transformers`
 * (safetensors metadata `format: pt`; `torch_dtype` set to the written dtype). Unknown config keys are
 * kept. The folder appears whole or not at all: it is built in a temp sibling and renamed over `dir`
 * (replacing any previous folder there); temp folders of an earlier crashed save of `dir` are
 * removed first.
 *
 * @example
 * ```ts
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const dir = await Deno.makeTempDir();
 * await saveCheckpoint(`${dir}/ckpt`, weights, config, { dtype: "BF16" });
 * const back = await loadCheckpoint(`${dir}/ckpt`); // BF16 on disk, float32 when loaded
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  weights: DecoderWeights,
  config: ModelConfig,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  checkWeights(weights, config, { source: `saveCheckpoint(${dir})` });
  await Deno.mkdir(dirname(dir), { recursive: true });
  await recoverDirWrites(dirname(dir), { name: basename(dir) });
  await writeDirAtomic(dir, (tmp) => writeCheckpointFiles(tmp, weights, config, options));
}

/**
 * Write model.safetensors and config.json into the existing folder `dir` (each file atomically, but
 * not the folder as a whole): for builders of a larger folder inside writeDirAtomic.
 *
 * @example
 * ```ts
 * import { writeDirAtomic } from "../data/atomic_write.ts";
 * const { config, weights } = await loadCheckpoint("tests/fixtures/model/tiny_qwen2");
 * const dir = await Deno.makeTempDir();
 * await writeDirAtomic(`${dir}/final`, (tmp: string) => writeCheckpointFiles(tmp, weights, config));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCheckpointFiles(
  dir: string,
  weights: DecoderWeights,
  config: ModelConfig,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  const dtype = options.dtype ?? "F32";
  checkWeights(weights, config, { source: `writeCheckpointFiles(${dir})` });
  const specs = weightSpecs(config);
  await writeSafetensors(
    `${dir}/model.safetensors`,
    specs.map((s) => ({
      name: s.name,
      shape: s.shape,
      data: async () => new Float32Array(await weights[s.name].data()),
    })),
    { dtype, metadata: { format: "pt" } },
  );
  const arch = config.model_type === "llama" ? "LlamaForCausalLM" : "Qwen2ForCausalLM";
  const out = {
    ...config,
    architectures: config.architectures ?? [arch],
    tie_word_embeddings: tiedEmbeddings(config),
    torch_dtype: dtype === "F32" ? "float32" : "bfloat16",
  };
  await atomicWriteText(`${dir}/config.json`, JSON.stringify(out, null, 2) + "\n");
}
