// Diagnose an SFT checkpoint on val: prompt sensitivity (completion NLL with the record's own prompt vs
// another's), greedy metrics and duplicate lines, and the same under catalog no-repeat decoding.
//   npx -y deno@2.9.6 run --allow-read --allow-env --allow-ffi tests/bench/sft_diagnose.ts CHECKPOINT VAL CATALOG [N]
// (cpu-blas when OpenBLAS loads, else wasm)
import { loadCatalog } from "../../lib/catalog/catalog.ts";
import { resolveCliBackend } from "../../lib/cli/backend_option.ts";
import type { ConversationRecord } from "../../lib/data/record.ts";
import { readRecords } from "../../lib/data/read_records.ts";
import { useBackend } from "../../lib/model/backend.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import { loadTokenizer } from "../../lib/model/tokenizer/load.ts";
import { disposeWeights } from "../../lib/model/weights.ts";
import { tfjsOnDeno } from "../../lib/runtime/tfjs_env.ts";
import { duplicateLines, promptSensitivity } from "../../lib/train/sft/diagnose.ts";
import { evalGeneration, tokenizerCatalogTrie } from "../../lib/train/sft/evaluate.ts";

if (import.meta.main) {
  const [dir, val, catalogPath, n = "48"] = Deno.args;
  if (!dir || !val || !catalogPath) {
    console.error("usage: sft_diagnose.ts CHECKPOINT_DIR VAL.jsonl CATALOG.csv [CONVERSATIONS]");
    Deno.exit(2);
  }
  await tfjsOnDeno();
  await useBackend(resolveCliBackend("auto"));
  const tokenizer = await loadTokenizer(dir);
  const catalog = await loadCatalog(catalogPath);
  const records: ConversationRecord[] = [];
  for await (const r of readRecords(val)) records.push(r.record);
  const { config, weights } = await loadCheckpoint(dir);
  const unique = [...new Map(records.map((r) => [r.prompt[0].content, r])).values()];
  const s = await promptSensitivity(weights, config, tokenizer, unique, { n: 12 });
  console.log(JSON.stringify({ prompt_sensitivity: s }));
  const catalogTrie = tokenizerCatalogTrie(tokenizer, catalog);
  for (const decoding of ["greedy", "catalog-no-repeat"] as const) {
    const { metrics, texts } = await evalGeneration(weights, config, tokenizer, records, {
      catalog,
      ks: [5, 10, 20],
      maxNewTokens: 320,
      maxPromptTokens: 192,
      batchSize: 16,
      conversations: Number(n),
      decoding,
      catalogTrie,
    });
    console.log(JSON.stringify({
      decoding,
      conversations: metrics.conversations,
      in_catalog: metrics.in_catalog,
      "recall@20": metrics["recall@20"],
      "ndcg@20": metrics["ndcg@20"],
      duplicate_lines_per_list: duplicateLines(texts),
    }));
  }
  disposeWeights(weights);
}
