// What the checkpoint diagnostics share: command-line words CHECKPOINT VAL CATALOG [N], the backend
// ("auto"), and the checkpoint's tokenizer, weights, the catalog and the val records, loaded once.
import { type Catalog, loadCatalog } from "../../lib/catalog/catalog.ts";
import { resolveCliBackend } from "../../lib/cli/backend_option.ts";
import type { ConversationRecord } from "../../lib/data/record.ts";
import { readRecords } from "../../lib/data/read_records.ts";
import { useBackend } from "../../lib/model/backend.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import type { ModelConfig } from "../../lib/model/config.ts";
import { loadTokenizer, type TextTokenizer } from "../../lib/model/tokenizer/load.ts";
import type { DecoderWeights } from "../../lib/model/weights.ts";

/** A loaded checkpoint with the records and catalog it is diagnosed on. */
export interface CheckpointInputs {
  dir: string;
  config: ModelConfig;
  weights: DecoderWeights;
  tokenizer: TextTokenizer;
  catalog: Catalog;
  records: ConversationRecord[];
  /** the [CONVERSATIONS] word, or `defaultN` */
  n: number;
}

/**
 * Parses `args` (CHECKPOINT VAL CATALOG [N]); exits 2 with `usage` when one is missing.
 * @example const x = await checkpointInputs(Deno.args, "usage: probe.ts …", 60);
 */
export async function checkpointInputs(
  args: readonly string[],
  usage: string,
  defaultN: number,
): Promise<CheckpointInputs> {
  const [dir, val, catalogPath, n] = args;
  if (!dir || !val || !catalogPath) {
    console.error(usage);
    Deno.exit(2);
  }
  await useBackend(resolveCliBackend("auto"));
  const tokenizer = await loadTokenizer(dir);
  const catalog = await loadCatalog(catalogPath);
  const records: ConversationRecord[] = [];
  for await (const r of readRecords(val)) records.push(r.record);
  const { config, weights } = await loadCheckpoint(dir);
  return { dir, config, weights, tokenizer, catalog, records, n: n ? Number(n) : defaultN };
}
