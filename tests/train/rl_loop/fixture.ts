// Shared fixture of the RL loop tests: the SFT tests' small world (3-item stand-in demos), a 6-step smoke
// SFT checkpoint trained on it (~5 s), and the smoke RL config over both.
import { join } from "node:path";
import { runSft } from "../../../lib/train/sft/trainer.ts";
import {
  parseRlRunConfig,
  type RlRunConfig,
  type RlRunConfigInput,
} from "../../../lib/train/rl_loop/config.ts";
import { rlPreset } from "../../../lib/train/rl_loop/presets.ts";
import { itemSegments } from "../../../lib/train/rl/item_segments.ts";
import type { RolloutBatch } from "../../../lib/train/rl_loop/rollouts.ts";
import { type Fixture, smokeConfig, writeFixture } from "../sft/fixture.ts";

/** The SFT fixture plus the SFT checkpoint RL starts from. */
export interface RlFixture extends Fixture {
  init: string;
}

/** Writes the world fixture and trains the smoke SFT init in a new temp folder. */
export async function writeRlFixture(): Promise<RlFixture> {
  const f = await writeFixture();
  const sft = smokeConfig(f, join(f.dir, "sft"));
  const res = await runSft(sft, { log: () => {} });
  return { ...f, init: join(sft.run_dir, "checkpoints", `step-${res.step}`) };
}

/** The smoke RL config over the fixture, writing to `runDir`, with overrides. */
export function smokeRlConfig(
  f: RlFixture,
  runDir: string,
  over: Partial<RlRunConfigInput> = {},
): RlRunConfig {
  return parseRlRunConfig({
    ...rlPreset("smoke"),
    data: f.data,
    catalog: f.catalog,
    init: f.init,
    run_dir: runDir,
    algo: "rank-grpo",
    ...over,
  });
}

/** Metrics rows without wall-clock fields. */
export function withoutTiming(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const timing = /(_s$|_per_s$)/;
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !timing.test(k))));
}

/**
 * A hand-made scored rollout batch (G = 2) over a 64-id vocabulary whose only newline token is 10 and
 * EOS is 63: item segments from the ids, per-rank `hits` (B × 20) as given.
 * @example handScoredBatch(ids, mask, { b: 4, t: 6 }, new Uint8Array(80)).segments
 */
export function handScoredBatch(
  tokenIds: Int32Array,
  mask: Uint8Array,
  dims: { b: number; t: number },
  hits: Uint8Array,
): RolloutBatch {
  const newlines = new Int32Array(64);
  newlines[10] = 1;
  return {
    dims,
    groupSize: 2,
    tokenIds,
    mask,
    scored: { hits },
    segments: itemSegments(tokenIds, mask, { dims, newlines, eosId: 63 }),
  } as unknown as RolloutBatch;
}
