// Reads and writes Hugging Face `datasets` save_to_disk folders (Arrow IPC stream shards
// `data-0000i-of-0000N.arrow` + `state.json` + `dataset_info.json`) holding conversation records.

import * as A from "apache-arrow";
import { z } from "zod";
import { dirname, join } from "node:path";
import { writeDirAtomic } from "./atomic_write.ts";
import { describeZodError } from "./jsonl.ts";
import type { InvalidPolicy } from "./jsonl.ts";
import type { ConversationRecord } from "./record.ts";

/** A value read from a dataset folder: its shard file and 0-based row index over all shards. */
export interface DatasetRow<T> {
  readonly shard: string;
  readonly row: number;
  readonly value: T;
}

/** A row that could not be used. */
export interface RowIssue {
  readonly file: string;
  readonly row: number;
  /** `file[row N]: …` text ready to print. */
  readonly message: string;
}

/** Options of {@link readHfDataset}. */
export interface ReadHfDatasetOptions {
  /** For a DatasetDict folder (`dataset_dict.json`): which split to read. */
  readonly split?: string;
  /** `fail` throws at the first invalid row; `skip` drops and reports it. @default "fail" */
  readonly onInvalid?: InvalidPolicy;
  /** Called for every skipped row (only with `onInvalid: "skip"`). */
  readonly onSkip?: (issue: RowIssue) => void;
}

const StateSchema = z.looseObject({
  _data_files: z.array(z.looseObject({ filename: z.string().regex(/^[^/\\]+$/) })).min(1),
});
const DatasetDictSchema = z.looseObject({ splits: z.array(z.string()) });

async function readJsonFile(path: string): Promise<unknown | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** The shard files of a save_to_disk folder, in order (state.json, else sorted data-*.arrow). */
export async function hfShardFiles(
  dir: string,
  options: { split?: string } = {},
): Promise<string[]> {
  const dict = await readJsonFile(join(dir, "dataset_dict.json"));
  if (dict !== undefined) {
    const parsed = DatasetDictSchema.safeParse(dict);
    const splits = parsed.success ? parsed.data.splits : [];
    if (options.split === undefined || !splits.includes(options.split)) {
      throw new Error(
        `${dir}: a DatasetDict folder; expected option split to be one of ${
          JSON.stringify(splits)
        }` +
          `, got ${JSON.stringify(options.split)}`,
      );
    }
    return hfShardFiles(join(dir, options.split));
  }
  const statePath = join(dir, "state.json");
  const state = await readJsonFile(statePath);
  if (state !== undefined) {
    const parsed = StateSchema.safeParse(state);
    if (!parsed.success) throw new Error(`${statePath}: ${describeZodError(parsed.error)}`);
    return parsed.data._data_files.map((f) => join(dir, f.filename));
  }
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^data-\d+-of-\d+\.arrow$/.test(e.name)) names.push(e.name);
  }
  if (names.length === 0) {
    throw new Error(`${dir}: expected a datasets save_to_disk folder (state.json or data-*.arrow)`);
  }
  return names.sort().map((n) => join(dir, n));
}

/** Converts an Arrow value (vectors, struct rows, int64) to plain JSON-like JS. */
function toPlain(value: unknown, where: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`${where}: integer ${value} does not fit a JS number`);
    }
    return Number(value);
  }
  if (value instanceof A.Vector) return Array.from(value, (v) => toPlain(v, where));
  if (value instanceof A.StructRow || value instanceof A.MapRow) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((value as { toJSON(): object }).toJSON())) {
      out[k] = toPlain(v, where);
    }
    return out;
  }
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>);
  return value;
}

/**
 * Reads every shard of a save_to_disk folder, yielding each row as plain JS validated by `schema`.
 * Top-level null cells are dropped (an absent optional field). Errors read
 * `shard.arrow[row N]: field …`.
 * @example
 * for await (const { row, value } of readHfDataset("data/sft", ConversationRecordSchema)) {}
 */
export async function* readHfDataset<S extends z.ZodType>(
  dir: string,
  schema: S,
  options: ReadHfDatasetOptions = {},
): AsyncGenerator<DatasetRow<z.output<S>>, { records: number; skipped: number }> {
  const policy = options.onInvalid ?? "fail";
  let row = 0;
  let records = 0;
  let skipped = 0;
  for (const shard of await hfShardFiles(dir, options)) {
    const file = await Deno.open(shard, { read: true });
    let reader: A.AsyncRecordBatchStreamReader;
    try {
      reader = await A.RecordBatchReader.from(file.readable) as A.AsyncRecordBatchStreamReader;
      await reader.open();
    } catch (err) {
      throw new Error(`${shard}: not an Arrow IPC stream: ${(err as Error).message}`);
    }
    const names = reader.schema.fields.map((f) => f.name);
    for await (const batch of reader) {
      const columns = names.map((_, c) => batch.getChildAt(c)!);
      for (let i = 0; i < batch.numRows; i++, row++) {
        const where = `${shard}[row ${row}]`;
        const obj: Record<string, unknown> = {};
        names.forEach((name, c) => {
          const v = toPlain(columns[c].get(i), where);
          if (v !== null) obj[name] = v;
        });
        const parsed = schema.safeParse(obj);
        if (parsed.success) {
          records++;
          yield { shard, row, value: parsed.data };
          continue;
        }
        const message = `${where}: ${describeZodError(parsed.error)}`;
        if (policy === "fail") throw new Error(message);
        skipped++;
        options.onSkip?.({ file: shard, row, message });
      }
    }
  }
  return { records, skipped };
}

// ---------------------------------------------------------------------------------------------
// Writer

type FeatureJson = Record<string, unknown> | FeatureJson[];
interface Column {
  readonly name: string;
  readonly type: A.DataType;
  readonly feature: FeatureJson;
  readonly cell: (v: unknown) => unknown;
}

const VALUE_STRING = { dtype: "string", _type: "Value" };
const messageType = () =>
  new A.Struct([
    new A.Field("content", new A.Utf8(), true),
    new A.Field("role", new A.Utf8(), true),
  ]);
const listOf = (t: A.DataType) => new A.List(new A.Field("item", t, true));
const messagesColumn = (name: string): Column => ({
  name,
  type: listOf(messageType()),
  feature: [{ content: VALUE_STRING, role: VALUE_STRING }], // legacy form: read by datasets 2.x–5.x
  cell: (v) =>
    v === undefined ? null : (v as { content: string; role: string }[]).map((m) => ({
      content: m.content,
      role: m.role,
    })),
});
const KNOWN_COLUMNS: Record<string, Column> = {
  prompt: messagesColumn("prompt"),
  completion: messagesColumn("completion"),
  seen_titles: {
    name: "seen_titles",
    type: listOf(new A.Utf8()),
    feature: { feature: VALUE_STRING, _type: "Sequence" },
    cell: (v) => v ?? null,
  },
  groundtruth_with_release_year: {
    name: "groundtruth_with_release_year",
    type: listOf(listOf(new A.Utf8())),
    feature: { feature: { feature: VALUE_STRING, _type: "Sequence" }, _type: "Sequence" },
    cell: (v) => v === undefined ? null : (v as unknown[][]).map((p) => p.map(String)),
  },
};

/** Column for an extra scalar field, typed like `datasets` infers it (string, int64, float64, bool). */
function scalarColumn(name: string, values: unknown[]): Column {
  const present = values.filter((v) => v !== undefined && v !== null);
  const kinds = new Set(
    present.map((v) => typeof v === "number" && Number.isInteger(v) ? "int" : typeof v),
  );
  if (kinds.size === 1 && kinds.has("string")) {
    return { name, type: new A.Utf8(), feature: VALUE_STRING, cell: (v) => v ?? null };
  }
  if (kinds.size === 1 && kinds.has("boolean")) {
    return {
      name,
      type: new A.Bool(),
      feature: { dtype: "bool", _type: "Value" },
      cell: (v) => v ?? null,
    };
  }
  if (kinds.size === 1 && kinds.has("int")) {
    return {
      name,
      type: new A.Int64(),
      feature: { dtype: "int64", _type: "Value" },
      cell: (v) => v === undefined || v === null ? null : BigInt(v as number),
    };
  }
  if ([...kinds].every((k) => k === "int" || k === "number") && kinds.size > 0) {
    return {
      name,
      type: new A.Float64(),
      feature: { dtype: "float64", _type: "Value" },
      cell: (v) => v ?? null,
    };
  }
  throw new Error(
    `field ${name}: expected string, integer, number or boolean values in every record to write an ` +
      `Arrow column, found ${[...kinds].join(" and ") || "only nulls"}`,
  );
}

/** The columns of a set of records: known ones in a fixed order, then extras in first-seen order. */
function columnsOf(records: readonly ConversationRecord[]): Column[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k), names.push(k);
  }
  const known = Object.keys(KNOWN_COLUMNS).filter((k) => seen.has(k) || k !== "completion");
  const extras = names.filter((n) => !(n in KNOWN_COLUMNS));
  return [
    ...known.map((k) => KNOWN_COLUMNS[k]),
    ...extras.map((n) => scalarColumn(n, records.map((r) => (r as Record<string, unknown>)[n]))),
  ];
}

/** Options of {@link writeHfDataset}. */
export interface WriteHfDatasetOptions {
  /** Number of shard files. @default ceil(approximate size / maxShardBytes), at least 1 */
  readonly numShards?: number;
  /** Target shard size used when numShards is not given. @default 500_000_000 (as datasets) */
  readonly maxShardBytes?: number;
  /** Rows per Arrow record batch. @default 1000 (datasets' writer_batch_size) */
  readonly batchRows?: number;
}

/** Contiguous shard bounds as `datasets.Dataset.shard(n, i, contiguous=True)` computes them. */
function shardBounds(rows: number, shards: number, i: number): [number, number] {
  const div = Math.floor(rows / shards);
  const mod = rows % shards;
  const start = div * i + Math.min(i, mod);
  return [start, start + div + (i < mod ? 1 : 0)];
}

function shardBytes(
  records: readonly ConversationRecord[],
  columns: readonly Column[],
  schema: A.Schema,
  batchRows: number,
): Uint8Array {
  const batches: A.RecordBatch[] = [];
  for (let s = 0; s < Math.max(records.length, 1); s += batchRows) {
    const part = records.slice(s, s + batchRows);
    const children = columns.map((col) => {
      const cells = part.map((r) => col.cell((r as Record<string, unknown>)[col.name]));
      const vector = A.vectorFromArray(cells, col.type);
      if (vector.data.length !== 1) throw new Error(`column ${col.name}: expected one Arrow chunk`);
      return vector.data[0];
    });
    const data = A.makeData({
      type: new A.Struct(schema.fields),
      length: part.length,
      nullCount: 0,
      children,
    });
    batches.push(new A.RecordBatch(schema, data));
  }
  return A.RecordBatchStreamWriter.writeAll(batches).toUint8Array(true);
}

async function fingerprint(shards: readonly Uint8Array[]): Promise<string> {
  const total = shards.reduce((n, s) => n + s.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const s of shards) all.set(s, at), at += s.length;
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(hash.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes records as a `datasets` save_to_disk folder, atomically (built in a temporary sibling
 * folder, then renamed over `dir`). Column types are what `datasets` infers for these records:
 * prompt/completion `list<struct<content: string, role: string>>`, seen_titles `list<string>`,
 * groundtruth_with_release_year `list<list<string>>`; extra scalar fields become string, int64,
 * float64 or bool columns. A record without `completion` gets a null cell when others have one.
 * Missing parent folders are created. `dataset_info.json` uses the legacy feature spelling
 * (`[{…}]`, `Sequence`) that datasets 2.x–5.x all read; 5.x shows it as `List(…)`.
 * @example
 * await writeHfDataset("data/generated/sft", records, { numShards: 2 });
 * // load_from_disk("data/generated/sft") in Python gives the same rows
 */
export async function writeHfDataset(
  dir: string,
  records: readonly ConversationRecord[],
  options: WriteHfDatasetOptions = {},
): Promise<void> {
  const columns = columnsOf(records);
  const features: Record<string, FeatureJson> = {};
  for (const c of columns) features[c.name] = c.feature;
  const metadata = new Map([["huggingface", JSON.stringify({ info: { features } })]]);
  const schema = new A.Schema(columns.map((c) => new A.Field(c.name, c.type, true)), metadata);
  const approxBytes = records.reduce((n, r) => n + JSON.stringify(r).length, 0);
  const wanted = options.numShards ??
    Math.ceil(approxBytes / (options.maxShardBytes ?? 500_000_000));
  const numShards = Math.max(1, Math.min(wanted, records.length));
  const shards: Uint8Array[] = [];
  for (let i = 0; i < numShards; i++) {
    const [start, end] = shardBounds(records.length, numShards, i);
    shards.push(shardBytes(records.slice(start, end), columns, schema, options.batchRows ?? 1000));
  }
  const pad = (n: number) => String(n).padStart(5, "0");
  const names = shards.map((_, i) => `data-${pad(i)}-of-${pad(numShards)}.arrow`);
  const state = {
    _data_files: names.map((filename) => ({ filename })),
    _fingerprint: await fingerprint(shards),
    _format_columns: null,
    _format_kwargs: {},
    _format_type: null,
    _output_all_columns: false,
    _split: null,
  };
  const info = { citation: "", description: "", features, homepage: "", license: "" };
  await Deno.mkdir(dirname(dir), { recursive: true }); // as save_to_disk makes missing parents
  await writeDirAtomic(dir, async (tmp) => {
    for (let i = 0; i < numShards; i++) await Deno.writeFile(join(tmp, names[i]), shards[i]);
    await Deno.writeTextFile(join(tmp, "dataset_info.json"), JSON.stringify(info, null, 2));
    await Deno.writeTextFile(join(tmp, "state.json"), JSON.stringify(state, null, 2));
  });
}
