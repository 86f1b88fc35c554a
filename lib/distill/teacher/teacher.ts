// The one teacher interface of the distillation stage (paper.md §5): draft a zero-shot list, rate
// candidates (the Reflect judge), describe an item. Implemented over an OpenAI-compatible endpoint
// (openai_teacher.ts) and by the simulated teacher of the built-in world.

import type { Item } from "../../catalog/parse_list.ts";

/** Options of {@link Teacher.draft}. */
export interface DraftOptions {
  /** How many recommendations to ask for. @default 20 */
  readonly n?: number;
}

/** A zero-shot list as the teacher wrote it. */
export interface DraftResult {
  /** The raw answer text (parse it with `parseList`). */
  readonly text: string;
  /** The answer stopped at the token limit (finish_reason "length"); the last line may be cut. */
  readonly truncated: boolean;
}

/** Why a line of the judge's answer, or a candidate, was left without a rating. */
export type DroppedReason =
  | "unparsed" // the line is not `Title (Year)####rating` in any form we recognise
  | "unknown" // the line names an item that is not among the candidates (ignored)
  | "duplicate" // a later line for an already-seen candidate (the first line wins)
  | "invalid"; // the rating is not an integer in −2..2 (the candidate's rating is null)

/** One judge line that did not contribute a rating. */
export interface DroppedLine {
  /** The line as written (trimmed). */
  readonly line: string;
  readonly reason: DroppedReason;
}

/** The Reflect judge's ratings, aligned with the candidates, plus what the parser dropped. */
export interface RateResult {
  /** One rating per candidate in −2..2, or null when missing or invalid. */
  readonly ratings: readonly (number | null)[];
  /** Candidates with no line in the answer. */
  readonly missing: number;
  /** Candidates whose (first) line carried an out-of-range or non-numeric rating. */
  readonly invalid: number;
  /** Lines naming items that are not candidates. */
  readonly unknown: number;
  /** Repeated lines for a candidate already seen. */
  readonly duplicates: number;
  /** Non-empty lines that did not parse. */
  readonly unparsed: number;
  /** Candidates matched by title alone because the judge wrote another year. */
  readonly yearMismatches: number;
  /** Every line that did not contribute a rating, with the reason. */
  readonly dropped: readonly DroppedLine[];
  /** The answer stopped at the token limit. */
  readonly truncated: boolean;
}

/** An item's metadata text for Remap: `Title (Year)`, keywords, one-paragraph plot. */
export interface Description {
  readonly item: Item;
  readonly keywords: readonly string[];
  /** One paragraph (newlines folded to spaces); empty when the answer had none. */
  readonly plot: string;
  /** `Title (Year)\nKeywords: …\nPlot: …`, the text that gets embedded. */
  readonly text: string;
  /** Fields the answer lacked. */
  readonly missing: readonly ("keywords" | "plot")[];
  /** The answer stopped at the token limit. */
  readonly truncated: boolean;
}

/**
 * A teacher: a plain object of async functions. `conversation` is a record's user-message content
 * (the Reddit-v2 recommendation prompt) or the bare `USER: …` dialogue; both are accepted.
 * Functions reject when the teacher cannot answer (e.g. the endpoint failed after its retries).
 * @example
 * const t: Teacher = openaiTeacher({ baseUrl: "http://127.0.0.1:8000/v1", model: "m", cacheDir: "runs/cache" });
 * const { text } = await t.draft(record.prompt[0].content, { n: 20 });
 * const { ratings } = await t.rate(record.prompt[0].content, [["Heat", 1995]]);
 */
export interface Teacher {
  /** Short name recorded in run configs (e.g. `openai:gpt-4o@api.openai.com`). */
  readonly name: string;
  /** The teacher's zero-shot list for the conversation. */
  readonly draft: (conversation: string, options?: DraftOptions) => Promise<DraftResult>;
  /** The Reflect judge: a −2..2 rating per candidate. */
  readonly rate: (conversation: string, candidates: readonly Item[]) => Promise<RateResult>;
  /** The item's metadata text. */
  readonly describe: (item: Item) => Promise<Description>;
}
