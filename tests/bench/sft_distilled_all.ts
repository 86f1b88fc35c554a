// Write the SFT inputs of the session-2 long SFT run (data/REPRODUCTION.md): the built-in world distilled
// for ALL train conversations (train_fraction 1, not the paper's 25%), one record per conversation, plus
// val, catalog and the world tokenizer; then print the `convrec sft` command that trained the checkpoint.
//   npx -y deno@2.9.6 run --allow-read --allow-write --allow-env tests/bench/sft_distilled_all.ts [OUT]
import { join } from "node:path";
import { writeFileAtomic, writeJsonlAtomic } from "../../lib/data/atomic_write.ts";
import { catalogToCsv, generateWorld } from "../../lib/data/world/mod.ts";
import { distill } from "../../lib/distill/pipeline.ts";
import { saveTokenizer } from "../../lib/model/tokenizer/save.ts";
import { trainWorldTokenizer } from "../../lib/model/tokenizer/world_tokenizer.ts";
import { dedupeDemonstrations } from "../../lib/notebook/training_inputs.ts";

if (import.meta.main) {
  const out = Deno.args[0] ?? "data/generated/sft_distilled_all";
  const world = await generateWorld({});
  const r = await distill({
    source: { kind: "world", world: {} },
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
  await writeFileAtomic(join(out, "catalog.csv"), catalogToCsv(world.catalog));
  await saveTokenizer(join(out, "tokenizer"), trainWorldTokenizer(world, { vocabSize: 2048 }));
  console.log(
    `${train.length} train records (one per conversation), ${r.demonstrations.val.length} val`,
  );
  console.log(
    `npx -y deno@2.9.6 task cli sft --run sft-distilled-all-10ep --data ${out}/train.jsonl ` +
      `--val ${out}/val.jsonl --catalog ${out}/catalog.csv --tokenizer ${out}/tokenizer ` +
      `--model builtin-small --backend cpu-blas --lr 0.005 --epochs 10 --batch-size 8 ` +
      `--eval-every 376 --eval-conversations 48 --save-every 1000`,
  );
}
