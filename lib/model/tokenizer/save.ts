// Writes a tokenizer folder (tokenizer.json + tokenizer_config.json) with atomic file writes.
// Not in the paper.

import { writeFileAtomic } from "../../data/atomic_write.ts";
import type { TokenizerFiles } from "./world_tokenizer.ts";

/**
 * Writes `dir/tokenizer.json` and `dir/tokenizer_config.json` (each atomically; creates `dir`).
 * @example
 * await saveTokenizer("runs/a/tokenizer", trainWorldTokenizer(world, { vocabSize: 2048 }));
 */
export async function saveTokenizer(dir: string, files: TokenizerFiles): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(
    `${dir}/tokenizer.json`,
    JSON.stringify(files.tokenizerJson, null, 2) + "\n",
  );
  await writeFileAtomic(
    `${dir}/tokenizer_config.json`,
    JSON.stringify(files.tokenizerConfigJson, null, 2) + "\n",
  );
}
