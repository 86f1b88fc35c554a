// A zod-free check of the common conversation-record shape, for readers that stream many records:
// it returns exactly what ConversationRecordSchema returns for a record that passes, and undefined
// for anything else — then the schema runs and names the problem. It never accepts what the schema
// rejects (tests/data/record_fast_test.ts compares the two on valid and broken records).

import { pyInt } from "../catalog/py_text.ts";
import { type ConversationRecord, typoOf } from "./record.ts";

const ROLES: ReadonlySet<unknown> = new Set(["system", "user", "assistant"]);

/** True for a non-null, non-array object (what zod's object schemas take). */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A strict `{role, content}` message (no other keys), with `role` passing `roleOk`. */
function isMessage(v: unknown, roleOk: (role: unknown) => boolean): boolean {
  if (!isObject(v)) return false;
  let keys = 0;
  for (const _ in v) keys++;
  return keys === 2 && typeof v.content === "string" && roleOk(v.role);
}

function isStringArray(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (typeof x !== "string") return false;
  return true;
}

/** `[title, year]` with an integer year (number, or a string Python's int() takes). */
function isGroundTruthPair(v: unknown): v is [string, string | number] {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "string") return false;
  const y = v[1];
  return typeof y === "string" ? pyInt(y) !== null : Number.isInteger(y);
}

function isOptional(v: unknown, ...types: string[]): boolean {
  return v === undefined || types.includes(typeof v);
}

/**
 * The record as ConversationRecordSchema would return it (numeric ground-truth years as strings;
 * `json` is updated in place), or undefined when any known field is missing, mistyped or
 * misspelt — run the schema then for the exact error.
 * @example fastConversationRecord({ prompt: [{ role: "user", content: "hi" }], seen_titles: [],
 *   groundtruth_with_release_year: [["Heat", 1995]] })?.groundtruth_with_release_year // [["Heat", "1995"]]
 */
export function fastConversationRecord(json: unknown): ConversationRecord | undefined {
  if (!isObject(json)) return undefined;
  const { prompt, completion, seen_titles, groundtruth_with_release_year: gt } = json;
  if (!Array.isArray(prompt) || prompt.length === 0) return undefined;
  for (const m of prompt) if (!isMessage(m, (r) => ROLES.has(r))) return undefined;
  if (completion !== undefined) {
    if (!Array.isArray(completion)) return undefined;
    for (const m of completion) if (!isMessage(m, (r) => r === "assistant")) return undefined;
  }
  if (!isStringArray(seen_titles) || !Array.isArray(gt)) return undefined;
  for (const pair of gt) if (!isGroundTruthPair(pair)) return undefined;
  if (!isOptional(json.id, "string", "number") || !isOptional(json.split, "string")) {
    return undefined;
  }
  if (!isOptional(json.time, "string", "number")) return undefined;
  for (const key in json) if (typoOf(key) !== null) return undefined;
  for (const pair of gt) if (typeof pair[1] === "number") pair[1] = String(pair[1]);
  return json as ConversationRecord;
}
