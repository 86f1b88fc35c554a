// `convrec world`: generates the built-in benchmark (catalog + Reddit-v2-format records split by time)
// and writes it to a folder; prints what it wrote.

import { z } from "zod";
import { DEFAULT_WORLD_DIR, generateWorld, vegaMoviesPath, writeWorld } from "../data/world/mod.ts";
import type { RawOptions } from "./args.ts";
import { type Command, jsonCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";

export const WORLD_USAGE = `convrec world [--seed N] [--out DIR] [--config FILE.json]

  --seed N          root seed (default: the config's, 20240601)
  --out DIR         output folder (default ${DEFAULT_WORLD_DIR})
  --config FILE     a JSON world config (strict: unknown keys fail); --seed overrides its seed`;

export const WorldOptionsSchema = z.strictObject({
  seed: z.coerce.number().int().min(0).optional(),
  out: z.string().default(DEFAULT_WORLD_DIR),
  config: z.string().optional(),
});
export type WorldCommandOptions = z.infer<typeof WorldOptionsSchema>;

/** Reads the movies file, the optional config, and writes the output folder. */
export function worldPermissions(raw: RawOptions): { read: string[]; write: string[] } {
  const out = typeof raw.out === "string" ? raw.out : DEFAULT_WORLD_DIR;
  const read = [vegaMoviesPath(), ...(typeof raw.config === "string" ? [raw.config] : [])];
  return { read, write: [`${out}/catalog.csv`] };
}

/** Generates and writes a world; returns the paths and sizes. */
export async function runWorld(
  opts: WorldCommandOptions,
  log: (l: string) => void = console.error,
) {
  const fileConfig = opts.config === undefined
    ? {}
    : JSON.parse(await Deno.readTextFile(opts.config));
  const config = opts.seed === undefined ? fileConfig : { ...fileConfig, seed: opts.seed };
  const t0 = performance.now();
  const world = await generateWorld(config);
  log(
    `world: ${world.catalog.length} movies; ${world.records.train.length}/${world.records.val.length}/${world.records.test.length} train/val/test records (${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s)`,
  );
  await Deno.mkdir(opts.out, { recursive: true });
  const paths = await writeWorld(opts.out, world);
  return {
    paths,
    sizes: {
      catalog: world.catalog.length,
      train: world.records.train.length,
      val: world.records.val.length,
      test: world.records.test.length,
    },
    seed: world.config.seed,
  };
}

/** `convrec world`. */
export const command: Command = jsonCommand({
  usage: WORLD_USAGE,
  permissions: worldPermissions,
  schema: WorldOptionsSchema,
  run: (opts) => runWorld(opts),
});

if (import.meta.main) await runAsChild("world", command);
