// Streaming JSONL reader: one zod-validated value per line, constant memory (one line at a time),
// line numbers in every error, and an explicit policy for invalid lines (fail or skip and count).

import type { z } from "zod";

/** A value read from a file together with its 1-based line number. */
export interface Located<T> {
  readonly line: number;
  readonly value: T;
}

/** A line that could not be used: where, and what was wrong. */
export interface LineIssue {
  readonly file: string;
  readonly line: number;
  /** `file:line: …` text ready to print. */
  readonly message: string;
}

/** What to do with a line that is not valid JSON or fails the schema. */
export type InvalidPolicy = "fail" | "skip";

/** Options of {@link readJsonl}. */
export interface ReadJsonlOptions {
  /** Name used in messages. @default the path, or "<stream>" for a stream */
  readonly file?: string;
  /** `fail` throws at the first invalid line; `skip` drops it and reports it. @default "fail" */
  readonly onInvalid?: InvalidPolicy;
  /** Called for every skipped line (only with `onInvalid: "skip"`). */
  readonly onSkip?: (issue: LineIssue) => void;
  /**
   * A faster exact check tried before the schema: it returns what the schema would for values it
   * accepts and undefined otherwise (then the schema runs and names the problem).
   */
  readonly fast?: (json: unknown) => unknown;
}

/** Returned by the generator when it finishes (also reachable through {@link readJsonlAll}). */
export interface JsonlSummary {
  /** Values yielded. */
  readonly records: number;
  /** Invalid lines skipped. */
  readonly skipped: number;
}

/** `prompt[0].content`-style rendering of a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(record)" : out;
}

/** One-line description of a zod failure: every issue as `field path: message`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `field ${formatPath(i.path)}: ${i.message}`).join("; ");
}

const NEWLINE = 0x0a;

/** Yields the lines of a byte stream (without `\n`), joining chunks only for the current line. */
async function* byteLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = []; // pieces of the current, unfinished line
  let pendingBytes = 0;
  const join = (last: Uint8Array): Uint8Array => {
    if (pending.length === 0) return last;
    const out = new Uint8Array(pendingBytes + last.length);
    let at = 0;
    for (const p of pending) {
      out.set(p, at);
      at += p.length;
    }
    out.set(last, at);
    pending = [];
    pendingBytes = 0;
    return out;
  };
  for await (const chunk of stream) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      yield join(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) {
      // copy: the stream may reuse its buffer
      pending.push(chunk.slice(start));
      pendingBytes += chunk.length - start;
    }
  }
  if (pending.length > 0) yield join(new Uint8Array(0));
}

async function openSource(
  source: string | ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  if (typeof source !== "string") return source;
  const file = await Deno.open(source, { read: true });
  return file.readable;
}

/**
 * Reads a JSONL file (path) or byte stream, yielding `{ line, value }` per non-blank line, `value`
 * parsed by `schema`. Handles a UTF-8 BOM, CRLF line ends, blank lines (skipped), lines of any
 * length, and a last line without newline. Errors read `file:line: invalid JSON: …`,
 * `file:line: invalid UTF-8` or `file:line: field prompt[0].content: …`.
 * @example
 * for await (const { line, value } of readJsonl("data.jsonl", ConversationRecordSchema)) {
 *   console.log(line, value.seen_titles);
 * }
 */
export async function* readJsonl<S extends z.ZodType>(
  source: string | ReadableStream<Uint8Array>,
  schema: S,
  options: ReadJsonlOptions = {},
): AsyncGenerator<Located<z.output<S>>, JsonlSummary> {
  const file = options.file ?? (typeof source === "string" ? source : "<stream>");
  const policy = options.onInvalid ?? "fail";
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const stream = await openSource(source);
  let line = 0;
  let records = 0;
  let skipped = 0;
  for await (let bytes of byteLines(stream)) {
    line++;
    if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bytes = bytes.subarray(3);
    }
    let problem: string;
    let text: string | null = null;
    try {
      text = decoder.decode(bytes);
    } catch {
      problem = "invalid UTF-8";
    }
    if (text !== null) {
      if (text.endsWith("\r")) text = text.slice(0, -1);
      if (text.trim() === "") continue;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        problem = `invalid JSON: ${(err as Error).message}`;
        json = undefined;
      }
      if (json !== undefined) {
        const quick = options.fast?.(json);
        if (quick !== undefined) {
          records++;
          yield { line, value: quick as z.output<S> };
          continue;
        }
        const parsed = schema.safeParse(json);
        if (parsed.success) {
          records++;
          yield { line, value: parsed.data };
          continue;
        }
        problem = describeZodError(parsed.error);
      }
    }
    const issue = { file, line, message: `${file}:${line}: ${problem!}` };
    if (policy === "fail") throw new Error(issue.message);
    skipped++;
    options.onSkip?.(issue);
  }
  return { records, skipped };
}

/** Everything {@link readJsonlAll} read: the values and the skipped lines. */
export interface JsonlContents<T> {
  readonly records: Located<T>[];
  readonly skipped: LineIssue[];
}

/**
 * Reads a whole JSONL source into memory (see {@link readJsonl}); skipped lines are returned.
 * @example
 * const { records, skipped } = await readJsonlAll("data.jsonl", ConversationRecordSchema,
 *   { onInvalid: "skip" });
 */
export async function readJsonlAll<S extends z.ZodType>(
  source: string | ReadableStream<Uint8Array>,
  schema: S,
  options: ReadJsonlOptions = {},
): Promise<JsonlContents<z.output<S>>> {
  const records: Located<z.output<S>>[] = [];
  const skipped: LineIssue[] = [];
  const onSkip = (issue: LineIssue) => {
    skipped.push(issue);
    options.onSkip?.(issue);
  };
  for await (const r of readJsonl(source, schema, { ...options, onSkip })) records.push(r);
  return { records, skipped };
}
