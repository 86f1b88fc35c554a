// Shared fixture of the SFT tests: a small built-in world written as SFT inputs (stand-in oracle
// completions cut to the first 3 items so sequences stay short) in a temp folder.
import { join } from "node:path";
import { writeFileAtomic, writeJsonlAtomic } from "../../../lib/data/atomic_write.ts";
import { catalogToCsv, generateWorld } from "../../../lib/data/world/mod.ts";
import { saveTokenizer } from "../../../lib/model/tokenizer/save.ts";
import { trainWorldTokenizer } from "../../../lib/model/tokenizer/world_tokenizer.ts";
import {
  parseSftConfig,
  type SftConfig,
  type SftConfigInput,
} from "../../../lib/train/sft/config.ts";
import { sftPreset } from "../../../lib/experiment/presets.ts";
import { oracleDemonstrations } from "../../../lib/train/sft/world_demos.ts";

/** Paths of the fixture inputs. */
export interface Fixture {
  dir: string;
  data: string;
  val: string;
  catalog: string;
  tokenizer: string;
}

/** Writes the fixture to a new temp folder (≈ 2 s). */
export async function writeFixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "convrec_sft_test_" });
  const world = await generateWorld({ conversations: { train: 24, val: 4, test: 2 } });
  const short = (split: "train" | "val") =>
    oracleDemonstrations(world, split, { onePerConversation: split === "train" }).map((r) => ({
      ...r,
      completion: [{
        role: "assistant" as const,
        content: r.completion[0].content.split("\n").slice(0, 3).join("\n"),
      }],
    }));
  const f: Fixture = {
    dir,
    data: join(dir, "train.jsonl"),
    val: join(dir, "val.jsonl"),
    catalog: join(dir, "catalog.csv"),
    tokenizer: join(dir, "tokenizer"),
  };
  await writeJsonlAtomic(f.data, short("train"));
  await writeJsonlAtomic(f.val, short("val"));
  await writeFileAtomic(f.catalog, catalogToCsv(world.catalog));
  await saveTokenizer(f.tokenizer, trainWorldTokenizer(world, { vocabSize: 600 }));
  return f;
}

/** The smoke SFT config over the fixture, writing to `runDir`, with overrides. */
export function smokeConfig(
  f: Fixture,
  runDir: string,
  over: SftConfigInput | object = {},
): SftConfig {
  return parseSftConfig({
    ...sftPreset("smoke"),
    data: f.data,
    val: f.val,
    catalog: f.catalog,
    tokenizer: f.tokenizer,
    run_dir: runDir,
    backend: "wasm",
    max_seq_len: 128,
    eval_conversations: 2,
    eval_max_new_tokens: 8,
    ...over,
  });
}

/** Metrics rows without the wall-clock fields (which differ between any two runs). */
export function withoutTiming(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const timing = new Set(["tokens_per_s", "step_s", "wall_s", "eval_s", "gen_tokens_per_s"]);
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !timing.has(k))));
}
