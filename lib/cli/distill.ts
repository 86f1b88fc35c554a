// `convrec distill`: Stage 1 (paper.md §5) from the command line — teacher drafts → Remap → Reflect →
// Adjust → SFT demonstrations (JSONL + HF folder) — over the same `distill` function notebooks call.

import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { parseWorldConfig } from "../data/world/config.ts";
import { vegaMoviesPath } from "../data/world/movies.ts";
import { distill, type DistillResult, parseDistillConfig, VARIANTS } from "../distill/pipeline.ts";
import { flag, type RawOptions } from "./args.ts";
import { type Command, jsonCommand } from "./command.ts";
import { runAsChild } from "./run_command.ts";

export const DISTILL_USAGE =
  `convrec distill [--config FILE.json] [--out DIR] [--variant V] [--evaluate] [--gpu auto|cpu|gpu]

  --config FILE   a JSON distill config (strict: unknown keys fail); default: the built-in world with
                  the simulated teacher. Point it at an endpoint with
                  {"teacher": {"kind": "openai", "client": {"baseUrl": …, "model": …, "cacheDir": …}}}
  --out DIR       output folder (default runs/distill): <split>.jsonl, <split>_hf/, report.json
  --variant V     ${VARIANTS.join(" | ")} (default full)
  --evaluate      score the teacher's raw lists and every variant on the non-train splits
  --gpu MODE      Remap top-k path (default auto: the GPU only where it pays)`;

export const DistillOptionsSchema = z.strictObject({
  config: z.string().optional(),
  out: z.string().default("runs/distill"),
  variant: z.enum(VARIANTS).optional(),
  evaluate: flag.optional(),
  gpu: z.enum(["auto", "cpu", "gpu"]).optional(),
});
export type DistillCommandOptions = z.infer<typeof DistillOptionsSchema>;

function readConfigSync(path: string): Record<string, unknown> {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new Error(`${path}: expected a JSON distill config: ${(e as Error).message}`);
  }
}

/**
 * The permissions a run needs: the movies file / record files / config to read, the output folder (and a
 * teacher cache) to write, and for an endpoint teacher its host and API-key variable.
 *
 * @example
 * ```ts
 * const write = distillPermissions({ out: "runs/d" }).write; // the launcher grants its folder
 * if (write.join() !== "runs/d/report.json") throw new Error(write.join());
 * ```
 */
export function distillPermissions(
  raw: RawOptions,
): { read: string[]; write: string[]; net?: string[]; env?: string[] } {
  const out = typeof raw.out === "string" ? raw.out : "runs/distill";
  const file = typeof raw.config === "string" ? readConfigSync(raw.config) : {};
  const config = parseDistillConfig(file);
  const kernels = decodeURIComponent(new URL("../../kernels/", import.meta.url).pathname);
  const read = [vegaMoviesPath(), kernels, ...(typeof raw.config === "string" ? [raw.config] : [])];
  const write = [join(out, "report.json")];
  if (config.source.kind === "files") {
    read.push(config.source.catalog, ...Object.values(config.source.records));
  } else {
    const world = parseWorldConfig(config.source.world);
    if (world.catalog_path !== null) read.push(world.catalog_path);
  }
  if (config.teacher.kind !== "openai") return { read, write };
  const client = config.teacher.client;
  read.push(client.cacheDir);
  write.push(join(client.cacheDir, "entry"));
  return { read, write, net: [new URL(client.baseUrl).host], env: [client.apiKeyEnv] };
}

/**
 * Runs the distillation and writes `<out>/report.json` (config, stage timings and counts, Adjust's loss
 * curve, the top-k path, the evaluation table); returns the result without the demonstrations.
 *
 * @example Type-checked only (it distils the default world, probing for a GPU)
 * ```ts
 * async function _distill(): Promise<void> {
 *   await runDistill(DistillOptionsSchema.parse({ evaluate: true, out: "runs/distill" }));
 * }
 * ```
 */
export async function runDistill(
  opts: DistillCommandOptions,
  log: (l: string) => void = console.error,
): Promise<Omit<DistillResult, "demonstrations">> {
  const file = opts.config === undefined ? {} : readConfigSync(opts.config);
  const config = {
    ...file,
    out: opts.out,
    ...(opts.variant === undefined ? {} : { variant: opts.variant }),
    ...(opts.evaluate === undefined ? {} : { evaluate: opts.evaluate }),
    ...(opts.gpu === undefined ? {} : { gpu: opts.gpu }),
  };
  const t0 = performance.now();
  const { demonstrations: _, ...result } = await distill(config, { log });
  const report = { ...result, wall_seconds: (performance.now() - t0) / 1000 };
  await writeFileAtomic(join(opts.out, "report.json"), JSON.stringify(report, null, 2) + "\n");
  log(
    `distill: done in ${report.wall_seconds.toFixed(1)} s; report ${join(opts.out, "report.json")}`,
  );
  return result;
}

/** `convrec distill`. */
export const command: Command = jsonCommand({
  usage: DISTILL_USAGE,
  permissions: distillPermissions,
  schema: DistillOptionsSchema,
  run: (opts) => runDistill(opts),
});

if (import.meta.main) await runAsChild("distill", command);
