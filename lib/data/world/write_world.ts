// Writes a generated world to a folder: catalog.csv, train/val/test.jsonl (Reddit-v2 records), and the
// hidden truth and config as separate JSON files; every file written atomically (temp file + rename).
import { writeFileAtomic as writeTextAtomic } from "../atomic_write.ts";
import { catalogToCsv } from "./catalog_csv.ts";
import { type World, WORLD_SPLITS } from "./generate.ts";

/** Default output folder (git-ignored). */
export const DEFAULT_WORLD_DIR = "data/generated/world";

/** Paths written by `writeWorld`. */
export interface WrittenWorld {
  catalog: string;
  train: string;
  val: string;
  test: string;
  /** Record id → hidden taste etc.; for evaluation only, never a model input. */
  truth: string;
  config: string;
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/**
 * Write the world into `dir` (created if missing): `catalog.csv`, `train.jsonl`, `val.jsonl`,
 * `test.jsonl` (one record per line), `truth.json` (record id → hidden truth) and `config.json`.
 *
 * @example
 * ```ts
 * import { generateWorld } from "./generate.ts";
 * const dir = await Deno.makeTempDir();
 * const world = await generateWorld({ seed: 7, conversations: { train: 20, val: 5, test: 5 } });
 * const paths = await writeWorld(dir, world); // catalog.csv, train.jsonl, val.jsonl, …
 * if (!(await Deno.readTextFile(paths.catalog)).startsWith("title,year")) throw new Error("csv");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeWorld(dir: string, world: World): Promise<WrittenWorld> {
  await Deno.mkdir(dir, { recursive: true });
  const paths: WrittenWorld = {
    catalog: join(dir, "catalog.csv"),
    train: join(dir, "train.jsonl"),
    val: join(dir, "val.jsonl"),
    test: join(dir, "test.jsonl"),
    truth: join(dir, "truth.json"),
    config: join(dir, "config.json"),
  };
  await writeTextAtomic(paths.catalog, catalogToCsv(world.catalog));
  for (const split of WORLD_SPLITS) {
    await writeTextAtomic(
      paths[split],
      world.records[split].map((r) => JSON.stringify(r) + "\n").join(""),
    );
  }
  await writeTextAtomic(paths.truth, JSON.stringify(world.truth) + "\n");
  await writeTextAtomic(
    paths.config,
    JSON.stringify({ ...world.config, drops: world.drops }, null, 2) + "\n",
  );
  return paths;
}
