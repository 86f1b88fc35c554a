// STAND-IN demonstrations until the distillation pipeline writes SFT records: each built-in-world
// conversation completed with the world's ORACLE ranking (20 `Title (Year)` lines, no trailing newline).
// The oracle sees the hidden taste, so these demos are better than any teacher's: an upper-bound stand-in.
import { join } from "node:path";
import { writeFileAtomic, writeJsonlAtomic } from "../../data/atomic_write.ts";
import {
  baselineLists,
  catalogToCsv,
  generateWorld,
  type World,
  type WorldConfigInput,
  type WorldSplit,
} from "../../data/world/mod.ts";
import { saveTokenizer } from "../../model/tokenizer/save.ts";
import { modelTokenizerFiles } from "../../model/builtin_base.ts";

/** A world record with a stand-in assistant completion. */
export type DemoRecord = World["records"]["train"][number] & {
  completion: { role: "assistant"; content: string }[];
};

/**
 * Records of `split` with the oracle list as completion. `onePerConversation` keeps the first reply of
 * each conversation (replies share prompt and oracle list, so the others would be duplicates).
 *
 * @example Reads the shipped vega-datasets movies (--allow-read)
 * ```ts
 * import { generateWorld } from "../../data/world/mod.ts";
 * const world = await generateWorld({ conversations: { train: 3, val: 1, test: 1 } });
 * const train = oracleDemonstrations(world, "train", { onePerConversation: true });
 * if (train.length !== 3) throw new Error("one demo per train conversation");
 * if (train[0].completion[0].content.split("\n").length !== 20) {
 *   throw new Error("20 oracle titles");
 * }
 * ```
 */
export function oracleDemonstrations(
  world: World,
  split: WorldSplit,
  options: { onePerConversation?: boolean } = {},
): DemoRecord[] {
  const lists = baselineLists(world, { split, k: 20 });
  const seen = new Set<string>();
  const out: DemoRecord[] = [];
  for (const r of world.records[split]) {
    const conv = world.truth[r.id].conversation_id;
    if (options.onePerConversation && seen.has(conv)) continue;
    seen.add(conv);
    const content = lists.oracle[r.id].map(([t, y]) => `${t} (${y})`).join("\n");
    out.push({ ...r, completion: [{ role: "assistant", content }] });
  }
  return out;
}

/** Paths written by {@link writeWorldSftInputs}. */
export interface WorldSftInputs {
  data: string;
  val: string;
  catalog: string;
  tokenizer: string;
}

/**
 * Generate the built-in world and write the SFT inputs to `dir`: train.jsonl (one stand-in demo per
 * train conversation), val.jsonl (every val row, with stand-in completions for val loss), catalog.csv,
 * tokenizer/ (the shipped base model's tokenizer, or `options.tokenizerFrom`'s, so SFT can start
 * from that model).
 *
 * @example Reads the movies and the shipped base tokenizer, writes to a temp folder
 * ```ts
 * const dir = await Deno.makeTempDir();
 * const paths = await writeWorldSftInputs(dir, { conversations: { train: 3, val: 1, test: 1 } });
 * const lines = (await Deno.readTextFile(paths.data)).trim().split("\n");
 * if (lines.length !== 3) throw new Error(`${paths.data}: ${lines.length} demos`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeWorldSftInputs(
  dir: string,
  world: WorldConfigInput,
  options: { tokenizerFrom?: string } = {},
): Promise<WorldSftInputs> {
  const w = await generateWorld(world);
  await Deno.mkdir(dir, { recursive: true });
  const paths: WorldSftInputs = {
    data: join(dir, "train.jsonl"),
    val: join(dir, "val.jsonl"),
    catalog: join(dir, "catalog.csv"),
    tokenizer: join(dir, "tokenizer"),
  };
  await writeJsonlAtomic(
    paths.data,
    oracleDemonstrations(w, "train", { onePerConversation: true }),
  );
  await writeJsonlAtomic(paths.val, oracleDemonstrations(w, "val"));
  await writeFileAtomic(paths.catalog, catalogToCsv(w.catalog));
  await saveTokenizer(paths.tokenizer, await modelTokenizerFiles(options.tokenizerFrom));
  return paths;
}
