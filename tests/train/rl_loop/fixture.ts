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
