// A built-in world at a glance: a content fingerprint (changes with any record or catalog change), a
// one-line summary, sample-record tables and a readable dump of one record. Display helpers only.

import {
  conversationFromPrompt,
  type World,
  type WorldMovie,
  type WorldRecord,
} from "../data/world/mod.ts";
import { fnv1a } from "./figure_html.ts";
import type { Row } from "./table.ts";

/**
 * An 8-hex-digit FNV-1a hash of the world's config, catalog and records (train, val, test in order):
 * equal for equal worlds, different when the seed or any size changes.
 * @example worldFingerprint(await generateWorld({ seed: 7 })) // e.g. "3f9a0c12"
 */
export function worldFingerprint(world: World): string {
  return fnv1a(JSON.stringify([world.config, world.catalog, world.records]));
}

/**
 * One line describing the world: seed, catalog size, records per split, fingerprint.
 * @example worldSummaryLine(world) // "world seed=7: 2576 movies; 385/61/55 train/val/test records; fingerprint 3f9a0c12"
 */
export function worldSummaryLine(world: World): string {
  const r = world.records;
  return `world seed=${world.config.seed}: ${world.catalog.length} movies; ` +
    `${r.train.length}/${r.val.length}/${r.test.length} train/val/test records; ` +
    `fingerprint ${worldFingerprint(world)}`;
}

/** Options of {@link recordRows}. */
export interface RecordRowsOptions {
  /** Rows to show (the first n records); @default 5 */
  n?: number;
  /** Characters of conversation text kept per row; @default 120 */
  textChars?: number;
}

/**
 * Table rows for the first records: id, month, conversation start, seen titles, ground truth.
 * @example await showFigure(table(recordRows(world.records.val, { n: 3 })));
 */
export function recordRows(records: readonly WorldRecord[], opts: RecordRowsOptions = {}): Row[] {
  const chars = opts.textChars ?? 120;
  return records.slice(0, opts.n ?? 5).map((r) => {
    const text = conversationFromPrompt(r.prompt[0].content).replace(/\s+/g, " ").trim();
    return {
      id: r.id,
      time: r.time,
      conversation: text.length > chars ? `${text.slice(0, chars - 1)}…` : text,
      seen_titles: r.seen_titles.join("; "),
      ground_truth: r.groundtruth_with_release_year.map(([t, y]) => `${t} (${y})`).join("; "),
    };
  });
}

/**
 * A readable multi-line dump of one record: header, the conversation (prompt wrapper removed), the
 * seen titles and the ground truth.
 * @example console.log(describeRecord(world.records.val[0]));
 */
export function describeRecord(record: WorldRecord): string {
  return [
    `── ${record.id} (${record.split}, ${record.time}) ──`,
    conversationFromPrompt(record.prompt[0].content).trimEnd(),
    `seen titles:  ${record.seen_titles.join("; ") || "(none)"}`,
    `ground truth: ${
      record.groundtruth_with_release_year.map(([t, y]) => `${t} (${y})`).join("; ")
    }`,
  ].join("\n");
}

/**
 * Table rows for the first `n` catalog movies: title, year and every metadata field.
 * @example await showFigure(table(catalogRows(world.catalog, { n: 8 })));
 */
export function catalogRows(movies: readonly WorldMovie[], opts: { n?: number } = {}): Row[] {
  return movies.slice(0, opts.n ?? 8).map((m) => ({ title: m.title, year: m.year, ...m.meta }));
}

/** Options of {@link firstRecordWith}. */
export interface RecordFilter {
  /** Fewest ground-truth movies; @default 1 */
  minGroundTruth?: number;
  /** Fewest seen titles; @default 0 */
  minSeen?: number;
}

/**
 * The first record with at least `minGroundTruth` ground-truth movies and `minSeen` seen titles
 * (e.g. to build a worked example); throws when none qualifies.
 * @example const example = firstRecordWith(world.records.val, { minGroundTruth: 2, minSeen: 1 });
 */
export function firstRecordWith(
  records: readonly WorldRecord[],
  opts: RecordFilter = {},
): WorldRecord {
  const gt = opts.minGroundTruth ?? 1;
  const seen = opts.minSeen ?? 0;
  const found = records.find((r) =>
    r.groundtruth_with_release_year.length >= gt && r.seen_titles.length >= seen
  );
  if (found === undefined) {
    throw new Error(
      `lib/report/world_overview.ts: firstRecordWith: records: none of ${records.length} has ` +
        `≥${gt} ground-truth movies and ≥${seen} seen titles`,
    );
  }
  return found;
}
