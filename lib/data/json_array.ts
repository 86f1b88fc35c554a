// Reads a JSON file holding one array of records, each validated by a zod schema; errors name the
// file and the array index. The whole file is read into memory (use JSONL for large data).

import type { z } from "zod";
import { describeZodError } from "./jsonl.ts";
import type { InvalidPolicy } from "./jsonl.ts";

/** A value read from a JSON array with its 0-based index in the array. */
export interface Indexed<T> {
  readonly index: number;
  readonly value: T;
}

/** An element that could not be used. */
export interface IndexIssue {
  readonly file: string;
  readonly index: number;
  /** `file[index]: …` text ready to print. */
  readonly message: string;
}

/** Options of {@link parseJsonArray} and {@link readJsonArray}. */
export interface ReadJsonArrayOptions {
  /** Name used in messages. @default "<json>" (the path for readJsonArray) */
  readonly file?: string;
  /** `fail` throws at the first invalid element; `skip` drops and reports it. @default "fail" */
  readonly onInvalid?: InvalidPolicy;
}

/** Elements read and elements skipped. */
export interface JsonArrayContents<T> {
  readonly records: Indexed<T>[];
  readonly skipped: IndexIssue[];
}

/**
 * Parses JSON text that must be an array; validates each element with `schema`.
 * @example
 * parseJsonArray('[{"a":1}]', z.object({ a: z.number() })).records[0]; // { index: 0, value: { a: 1 } }
 */
export function parseJsonArray<S extends z.ZodType>(
  text: string,
  schema: S,
  options: ReadJsonArrayOptions = {},
): JsonArrayContents<z.output<S>> {
  const file = options.file ?? "<json>";
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new Error(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) {
    throw new Error(`${file}: expected a JSON array of records, found ${typeName(data)}`);
  }
  const records: Indexed<z.output<S>>[] = [];
  const skipped: IndexIssue[] = [];
  data.forEach((element, index) => {
    const parsed = schema.safeParse(element);
    if (parsed.success) {
      records.push({ index, value: parsed.data });
      return;
    }
    const message = `${file}[${index}]: ${describeZodError(parsed.error)}`;
    if ((options.onInvalid ?? "fail") === "fail") throw new Error(message);
    skipped.push({ file, index, message });
  });
  return { records, skipped };
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/**
 * Reads a JSON array file (see {@link parseJsonArray}).
 * @example
 * const { records } = await readJsonArray("records.json", ConversationRecordSchema);
 */
export async function readJsonArray<S extends z.ZodType>(
  path: string,
  schema: S,
  options: ReadJsonArrayOptions = {},
): Promise<JsonArrayContents<z.output<S>>> {
  const text = await Deno.readTextFile(path);
  return parseJsonArray(text, schema, { file: path, ...options });
}
