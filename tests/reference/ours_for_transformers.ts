// Writes checkpoint folders with lib/model/checkpoint.ts plus our logits (and, for a trained student, our
// tokenizer ids and greedy completion) for tests/reference/transformers_roundtrip.py to check in `transformers`.
//
// Run (OUT is created; CKPT optional — a trained checkpoint folder with tokenizer.json, e.g. an SFT run's):
//   npx -y deno@2.9.6 run --allow-read --allow-write tests/reference/ours_for_transformers.ts OUT [CKPT]
// then, where `transformers` is installed:
//   python3 tests/reference/transformers_roundtrip.py check OUT
import * as tf from "@tensorflow/tfjs";
import { forward } from "../../lib/model/decoder.ts";
import { loadCheckpoint, saveCheckpoint } from "../../lib/model/checkpoint.ts";
import { presetConfig } from "../../lib/model/config.ts";
import { disposeWeights, initWeights } from "../../lib/model/weights.ts";
import { generate } from "../../lib/model/generate/generate.ts";
import { loadTokenizer } from "../../lib/model/tokenizer/load.ts";

const FIXTURES = new URL("../fixtures/model/", import.meta.url).pathname;
/** Token ids every folder is checked on (below the smallest vocab, 48). */
export const CHECK_IDS = [[1, 7, 42, 3, 19, 0, 47, 5], [5, 5, 33, 12, 8, 40, 2, 9]];

/** What transformers_roundtrip.py reads from each folder's our_logits.json. */
interface OurLogits {
  input_ids: number[][];
  logits: number[][][]; // (B, T, V)
  messages?: { role: "user"; content: string }[];
  prompt_text?: string;
  prompt_ids?: number[];
  greedy_ids?: number[];
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(value));
  await Deno.rename(`${path}.tmp`, path);
}

/** Our logits (B, T, V) of `ids` as nested arrays. */
async function logitsOf(
  m: Awaited<ReturnType<typeof loadCheckpoint>>,
  ids: number[][],
): Promise<number[][][]> {
  const { logits } = forward(m.weights, m.config, ids);
  const out = await logits.array() as number[][][];
  logits.dispose();
  return out;
}

/** Re-save `src` with our writer as `dtype` into `dir`, then record our logits of the re-loaded folder. */
async function resave(src: string, dir: string, dtype: "F32" | "BF16"): Promise<void> {
  const a = await loadCheckpoint(src);
  await saveCheckpoint(dir, a.weights, a.config, { dtype });
  disposeWeights(a.weights);
  const b = await loadCheckpoint(dir);
  await writeJsonAtomic(
    `${dir}/our_logits.json`,
    {
      input_ids: CHECK_IDS,
      logits: await logitsOf(b, CHECK_IDS),
    } satisfies OurLogits,
  );
  disposeWeights(b.weights);
}

/** A trained student: our logits, our tokenizer's ids of a chat prompt, and 48 greedy tokens. */
async function student(src: string, dir: string): Promise<void> {
  const a = await loadCheckpoint(src);
  await saveCheckpoint(dir, a.weights, a.config);
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) {
    await Deno.copyFile(`${src}/${f}`, `${dir}/${f}`);
  }
  disposeWeights(a.weights);
  const m = await loadCheckpoint(dir);
  const tok = await loadTokenizer(dir);
  const messages = [{
    role: "user" as const,
    content: "I loved Heat (1995) and Collateral (2004). Any slow-burn crime thrillers like those?",
  }];
  const prompt_text = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
  const prompt_ids = tok.encode(prompt_text);
  const { completions } = await generate(m, [prompt_ids], { maxNewTokens: 48, temperature: 0 });
  await writeJsonAtomic(
    `${dir}/our_logits.json`,
    {
      input_ids: CHECK_IDS,
      logits: await logitsOf(m, CHECK_IDS),
      messages,
      prompt_text,
      prompt_ids,
      greedy_ids: completions[0].tokenIds,
    } satisfies OurLogits,
  );
  disposeWeights(m.weights);
}

if (import.meta.main) {
  const [out, ckpt] = Deno.args;
  if (!out) throw new Error("usage: ours_for_transformers.ts OUT [TRAINED_CHECKPOINT]");
  await tf.setBackend("cpu");
  await Deno.mkdir(out, { recursive: true });
  await resave(`${FIXTURES}tiny_llama`, `${out}/ours_llama_bf16`, "BF16"); // untied, llama3 rope
  await resave(`${FIXTURES}tiny_qwen2`, `${out}/ours_qwen2_f32`, "F32"); // tied, q/k/v bias
  const cfg = presetConfig("builtin-small");
  const w = initWeights(cfg, { seed: 7 });
  await saveCheckpoint(`${out}/init_builtin_small`, w, cfg, { dtype: "BF16" });
  disposeWeights(w);
  await resave(`${out}/init_builtin_small`, `${out}/ours_builtin_small_bf16`, "BF16");
  await Deno.remove(`${out}/init_builtin_small`, { recursive: true });
  if (ckpt) await student(ckpt, `${out}/ours_student`);
  console.log(`wrote ${[...Deno.readDirSync(out)].map((e) => e.name).sort().join(", ")} to ${out}`);
}
