// Where the shipped base model lives (data/models/builtin-base, built by `convrec pretrain`): the default
// starting point of every training entry point, and the tokenizer every built-in input is written with.
// Not in the paper (its bases are Qwen2.5 / Llama 3.2 checkpoints).
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { TokenizerFiles } from "./tokenizer/world_tokenizer.ts";

/** Absolute path of the shipped base model folder. */
export const BUILTIN_BASE_DIR: string = fileURLToPath(
  new URL("../../data/models/builtin-base", import.meta.url),
);

/** Absolute path of the shipped SFT student folder (built by `convrec sft --export`, data/models/README.md). */
export const BUILTIN_SFT_DIR: string = fileURLToPath(
  new URL("../../data/models/builtin-sft", import.meta.url),
);

/**
 * The tokenizer files of a model folder (tokenizer.json + tokenizer_config.json); an error naming the
 * folder and the command that builds it when missing.
 * @example const files = await modelTokenizerFiles(BUILTIN_BASE_DIR);
 */
export async function modelTokenizerFiles(dir: string = BUILTIN_BASE_DIR): Promise<TokenizerFiles> {
  const read = async (name: string) => {
    try {
      return JSON.parse(await Deno.readTextFile(join(dir, name)));
    } catch (e) {
      throw new Error(
        `${join(dir, name)}: ${(e as Error).message}` +
          (dir === BUILTIN_BASE_DIR
            ? " (the shipped base is rebuilt by the command in data/models/builtin-base/README.md)"
            : ""),
      );
    }
  };
  return {
    tokenizerJson: await read("tokenizer.json"),
    tokenizerConfigJson: await read("tokenizer_config.json"),
  };
}
