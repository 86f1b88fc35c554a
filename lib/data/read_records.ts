// Reads conversation records from any supported source — JSONL, a JSON array file, or a Hugging Face
// `datasets` folder — as one stream of `{ where, record }`, with one invalid-record policy.

import { readJsonArray } from "./json_array.ts";
import { type InvalidPolicy, readJsonl } from "./jsonl.ts";
import { type ConversationRecord, ConversationRecordSchema } from "./record.ts";
import { fastConversationRecord } from "./record_fast.ts";

/** A record and where it came from (`file:line`, `file[index]` or `shard[row N]`). */
export interface LocatedRecord {
  where: string;
  record: ConversationRecord;
}

/** Options of {@link readRecords}. */
export interface ReadRecordsOptions {
  /** @default "fail" */
  onInvalid?: InvalidPolicy;
  /** Called with the message of every skipped record. */
  onSkip?: (message: string) => void;
  /** Split of a DatasetDict folder. */
  split?: string;
}

/**
 * Streams records from `path`: a folder is read as an HF `datasets` save_to_disk folder, a `.json`
 * file as a JSON array, anything else as JSONL.
 * @example for await (const { where, record } of readRecords("data/train.jsonl")) console.log(where);
 */
export async function* readRecords(
  path: string,
  options: ReadRecordsOptions = {},
): AsyncGenerator<LocatedRecord> {
  const onInvalid = options.onInvalid ?? "fail";
  const onSkip = (issue: { message: string }) => options.onSkip?.(issue.message);
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `${path}: no such file or folder (expected .jsonl, .json or an HF datasets folder)`,
      );
    }
    throw e;
  }
  if (stat.isDirectory) {
    // loaded only for folders: apache-arrow costs ~0.1 s of start-up (a literal specifier keeps the
    // module in the static graph, so no extra read permission is needed)
    const { readHfDataset } = await import("./hf_datasets.ts");
    const rows = readHfDataset(path, ConversationRecordSchema, {
      onInvalid,
      onSkip,
      split: options.split,
    });
    for await (const r of rows) yield { where: `${r.shard}[row ${r.row}]`, record: r.value };
  } else if (path.toLowerCase().endsWith(".json")) {
    const { records, skipped } = await readJsonArray(path, ConversationRecordSchema, { onInvalid });
    for (const s of skipped) options.onSkip?.(s.message);
    for (const r of records) yield { where: `${path}[${r.index}]`, record: r.value };
  } else {
    const fast = fastConversationRecord;
    for await (const r of readJsonl(path, ConversationRecordSchema, { onInvalid, onSkip, fast })) {
      yield { where: `${path}:${r.line}`, record: r.value };
    }
  }
}
