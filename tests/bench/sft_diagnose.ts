// Diagnose an SFT checkpoint on val: prompt sensitivity (completion NLL with the record's own prompt vs
// another's), greedy metrics and duplicate lines, and the same under catalog no-repeat decoding.
//   npx -y deno@2.9.6 run --allow-read --allow-env --allow-ffi tests/bench/sft_diagnose.ts CHECKPOINT VAL CATALOG [N]
// (cpu-blas when OpenBLAS loads, else wasm)
import { disposeWeights } from "../../lib/model/weights.ts";
import { duplicateLines, promptSensitivity } from "../../lib/train/sft/diagnose.ts";
import { evalGeneration, tokenizerCatalogTrie } from "../../lib/train/eval/evaluate.ts";
import { checkpointInputs } from "./_checkpoint_inputs.ts";

if (import.meta.main) {
  const { config, weights, tokenizer, catalog, records, n } = await checkpointInputs(
    Deno.args,
    "usage: sft_diagnose.ts CHECKPOINT_DIR VAL.jsonl CATALOG.csv [CONVERSATIONS]",
    48,
  );
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
      conversations: n,
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
