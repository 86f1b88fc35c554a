// Re-evaluate a finished reproduction (lib/experiment/repro) under another decoding — e.g. the exact no-repeat
// catalog decoding (beyond the paper) — from each run's final checkpoint, with the run's own test split,
// catalog and token budget; prints the table and writes OUT/table_<decoding>.md (atomically).
//   npx -y deno@2.9.6 run --allow-read --allow-write --allow-env --allow-ffi tests/bench/repro_decoding.ts \
//     OUT [catalog-no-repeat|catalog|greedy] [wasm|cpu|cpu-blas]
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/data/atomic_write.ts";
import type { BackendName } from "../../lib/model/backend.ts";
import { readResults, REPRO_KS, type ReproResult } from "../../lib/experiment/repro/driver.ts";
import { reproTable } from "../../lib/experiment/repro/report.ts";
import { checkpointDir } from "../../lib/train/run/train_checkpoint.ts";
import { evalCheckpoint } from "../../lib/train/eval/eval_checkpoint.ts";
import { EVAL_DECODINGS, type EvalDecoding } from "../../lib/train/eval/evaluate.ts";

/** What a reproduction recorded about its inputs (OUT/config.json, written by recordSetup). */
interface RecordedSetup {
  init: string;
  rl: { max_prompt_tokens?: number };
  test: string;
  catalog: string;
  test_conversations: number | null;
  eval_max_new_tokens: number;
}

if (import.meta.main) {
  const [out, decoding = "catalog-no-repeat", backend = "cpu-blas"] = Deno.args;
  if (!out || !(EVAL_DECODINGS as readonly string[]).includes(decoding)) {
    console.error(`usage: repro_decoding.ts OUT [${EVAL_DECODINGS.join("|")}] [backend]`);
    Deno.exit(2);
  }
  const setup = JSON.parse(await Deno.readTextFile(join(out, "config.json"))) as RecordedSetup;
  const rescored: ReproResult[] = [];
  for (const r of await readResults(out)) {
    const dir = r.run_dir === null ? setup.init : checkpointDir(r.run_dir, r.rl_steps);
    const { metrics } = await evalCheckpoint(dir, {
      val: setup.test,
      catalog: setup.catalog,
      ks: [...REPRO_KS],
      maxNewTokens: setup.eval_max_new_tokens,
      maxPromptTokens: setup.rl.max_prompt_tokens ?? 192, // as lib/experiment/repro/jobs.ts evaluates
      conversations: setup.test_conversations,
      backend: backend as BackendName,
      decoding: decoding as EvalDecoding,
    });
    console.error(`${r.method} seed ${r.seed}: ndcg@20 ${metrics["ndcg@20"].toFixed(4)}`);
    rescored.push({ ...r, metrics });
  }
  const table = reproTable(rescored);
  await writeFileAtomic(join(out, `table_${decoding}.md`), table + "\n");
  console.log(table);
}
