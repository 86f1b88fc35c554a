// Write the SFT inputs of the long SFT runs (data/REPRODUCTION.md): the built-in world distilled for ALL
// train conversations (train_fraction 1, not the paper's 25%), one record per conversation, plus val,
// catalog and the world tokenizer; then print the `convrec sft` command that trained the checkpoint.
// --train-conversations N grows the world's train split only (val/test and the first train conversations
// are the same for every N: the world forks its PRNG per split and per conversation index). Tokenizer:
// the shipped base's (--init base, the default: SFT from data/models/builtin-base) or, for the earlier
// from-scratch runs, the default world's 2,048-id BPE (--init scratch).
//   npx -y deno@2.9.6 run --allow-read --allow-write --allow-env tests/bench/sft_distilled_all.ts \
//     [--out DIR] [--train-conversations N] [--init base|scratch] [--seed N]
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic, writeJsonlAtomic } from "../../lib/data/atomic_write.ts";
import { catalogToCsv, DEFAULT_WORLD_CONFIG, generateWorld } from "../../lib/data/world/mod.ts";
import { distill } from "../../lib/distill/pipeline.ts";
import { BUILTIN_BASE_DIR, modelTokenizerFiles } from "../../lib/model/builtin_base.ts";
import { saveTokenizer } from "../../lib/model/tokenizer/save.ts";
import { trainWorldTokenizer } from "../../lib/model/tokenizer/world_tokenizer.ts";
import { dedupeDemonstrations } from "../../lib/experiment/training_inputs.ts";

/** The `convrec sft` command of a run on the inputs in `out` (session 3: 12,000 conversations, 1 epoch). */
export function sftCommand(out: string, trainConversations: number, init = "scratch"): string {
  if (init === "base") {
    return `npx -y deno@2.9.6 task cli sft --run sft-base-distilled-${trainConversations} ` +
      `--data ${out}/train.jsonl --val ${out}/val.jsonl --catalog ${out}/catalog.csv ` +
      `--tokenizer ${out}/tokenizer --epochs 1 --eval-conversations 60`;
  }
  const long = trainConversations >= 6000;
  return `npx -y deno@2.9.6 task cli sft --run sft-distilled-${trainConversations} ` +
    `--data ${out}/train.jsonl --val ${out}/val.jsonl --catalog ${out}/catalog.csv ` +
    `--tokenizer ${out}/tokenizer --model builtin-small --backend cpu-blas --lr 0.005 ` +
    (long
      ? `--epochs 1 --unlikelihood-weight 1 --eval-every 500 `
      : `--epochs 10 --eval-every 376 `) +
    `--batch-size 8 --eval-conversations 48 --save-every 500`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string" },
      "train-conversations": { type: "string", default: "12000" },
      init: { type: "string", default: "base" },
      seed: { type: "string" },
    },
  });
  const n = Number(values["train-conversations"]);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `--train-conversations: expected a positive integer, got "${values["train-conversations"]}"`,
    );
  }
  if (values.init !== "base" && values.init !== "scratch") {
    throw new Error(`--init: expected base or scratch, got "${values.init}"`);
  }
  const seed = values.seed === undefined ? {} : { seed: Number(values.seed) };
  const out = values.out ?? `data/generated/sft_distilled_${n}`;
  const world = { ...seed, conversations: { ...DEFAULT_WORLD_CONFIG.conversations, train: n } };
  const r = await distill({
    source: { kind: "world", world },
    evaluate: false,
    gpu: "cpu",
    out: null,
    train_fraction: 1,
    splits: ["train", "val"],
  }, { log: (l) => console.error(l) });
  await Deno.mkdir(out, { recursive: true });
  const train = dedupeDemonstrations(r.demonstrations.train);
  await writeJsonlAtomic(join(out, "train.jsonl"), train);
  await writeJsonlAtomic(join(out, "val.jsonl"), r.demonstrations.val);
  const base = await generateWorld(seed); // catalog and world tokenizer (same catalog for any n)
  await writeFileAtomic(join(out, "catalog.csv"), catalogToCsv(base.catalog));
  await saveTokenizer(
    join(out, "tokenizer"),
    values.init === "base"
      ? await modelTokenizerFiles(BUILTIN_BASE_DIR)
      : trainWorldTokenizer(base, { vocabSize: 2048 }),
  );
  console.log(
    `${train.length} train records (one per conversation), ${r.demonstrations.val.length} val`,
  );
  console.log(sftCommand(out, n, values.init));
}
