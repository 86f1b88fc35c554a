// The CLI's command table: name → usage, the permissions it needs, and how to run it.

import { parseOptions, type RawOptions } from "./args.ts";
import { DISTILL_USAGE, DistillOptionsSchema, distillPermissions, runDistill } from "./distill.ts";
import { EVAL_USAGE, EvalOptionsSchema, evalPermissions, runEvalCommand } from "./eval.ts";
import {
  DEMO_USAGE,
  DemoOptionsSchema,
  demoPermissions,
  resultsTable,
  runDemoFull,
} from "./demo.ts";
import { differencesTable } from "./demo_results.ts";
import { foldRepeated } from "./repeated.ts";
import { NB_USAGE, NbOptionsSchema, nbPermissions, runNb } from "./nb.ts";
import {
  PRETRAIN_USAGE,
  PretrainOptionsSchema,
  pretrainPermissions,
  runPretrainCommand,
} from "./pretrain.ts";
import { REPRO_CLI_USAGE, reproPermissions, runReproCommand } from "./repro.ts";
import { RL_USAGE, RlOptionsSchema, rlPermissions, runRlCommand } from "./rl.ts";
import { runScore, SCORE_USAGE, ScoreOptionsSchema, scorePermissions } from "./score.ts";
import { runSftCommand, SFT_USAGE, SftOptionsSchema, sftPermissions } from "./sft.ts";
import { runWorld, WORLD_USAGE, WorldOptionsSchema, worldPermissions } from "./world.ts";
import { ReproOptionsSchema } from "../train/repro/main.ts";

/** Deno permissions a command needs (the launcher turns them into flags). */
export interface CommandPermissions {
  read: string[];
  write: string[];
  env?: string[];
  net?: string[];
  run?: string[];
  ffi?: string[];
}

/** One CLI command. */
export interface Command {
  summary: string;
  /** Rewrites argv before option parsing (e.g. a positional name, repeated options). */
  argv?: (args: string[]) => string[];
  usage: string;
  permissions(options: RawOptions): CommandPermissions;
  run(options: RawOptions): Promise<void>;
}

/** Every command, by name. */
/**
 * Raw options back as command-line words (for a README's rebuild command).
 * @example optionArgv({ run: "a", resume: true }) // ["--run", "a", "--resume"]
 */
export function optionArgv(raw: RawOptions): string[] {
  return Object.entries(raw).flatMap(([k, v]) => v === true ? [`--${k}`] : [`--${k}`, String(v)]);
}

export const COMMANDS: Record<string, Command> = {
  score: {
    summary: "score generated lists against ground truth (hits, rank rewards, Recall/NDCG)",
    usage: SCORE_USAGE,
    permissions: scorePermissions,
    async run(raw) {
      const summary = await runScore(parseOptions(ScoreOptionsSchema, raw));
      console.log(JSON.stringify(summary));
    },
  },
  world: {
    summary: "generate the built-in benchmark world (catalog + records split by time)",
    usage: WORLD_USAGE,
    permissions: worldPermissions,
    async run(raw) {
      console.log(JSON.stringify(await runWorld(parseOptions(WorldOptionsSchema, raw))));
    },
  },
  distill: {
    summary:
      "Remap → Reflect → Adjust: turn teacher lists into catalog-grounded SFT demonstrations",
    usage: DISTILL_USAGE,
    permissions: distillPermissions,
    async run(raw) {
      const report = await runDistill(parseOptions(DistillOptionsSchema, raw));
      console.log(JSON.stringify(report));
    },
  },
  demo: {
    summary: "run world → distill → SFT → RL → test table on the built-in world, with figures",
    usage: DEMO_USAGE,
    permissions: demoPermissions,
    async run(raw) {
      const opts = parseOptions(DemoOptionsSchema, raw);
      const r = await runDemoFull(opts);
      console.log(resultsTable(r.rows));
      console.log(
        `\npaired differences (95% bootstrap CI over the same test conversations; * excludes 0):\n${
          differencesTable(r.differences)
        }`,
      );
      console.log(`\nresults: ${opts.out}/results.json, ${opts.out}/summary.md`);
    },
  },
  nb: {
    summary:
      "execute a notebook headless with --set overrides into runs/<name>/ (ipynb, html, figures)",
    usage: NB_USAGE,
    argv: (args) => foldRepeated(args, { repeatable: ["set"], positional: "notebook" }),
    permissions: nbPermissions,
    async run(raw) {
      console.log(JSON.stringify(await runNb(parseOptions(NbOptionsSchema, raw))));
    },
  },
  pretrain: {
    summary:
      "next-token pretraining of the built-in base on the generated corpus, with exact resume",
    usage: PRETRAIN_USAGE,
    permissions: pretrainPermissions,
    async run(raw) {
      console.log(
        JSON.stringify(
          await runPretrainCommand(parseOptions(PretrainOptionsSchema, raw), optionArgv(raw)),
        ),
      );
    },
  },
  sft: {
    summary: "supervised fine-tuning (completion-only) into runs/<name>/, with exact resume",
    usage: SFT_USAGE,
    permissions: sftPermissions,
    async run(raw) {
      console.log(
        JSON.stringify(await runSftCommand(parseOptions(SftOptionsSchema, raw), optionArgv(raw))),
      );
    },
  },
  rl: {
    summary: "GRPO / GSPO / Rank-GRPO from an SFT checkpoint into runs/<name>/, with exact resume",
    usage: RL_USAGE,
    permissions: rlPermissions,
    async run(raw) {
      console.log(JSON.stringify(await runRlCommand(parseOptions(RlOptionsSchema, raw))));
    },
  },
  eval: {
    summary:
      "evaluate a checkpoint on a whole split, with the popularity reference on the same rows",
    usage: EVAL_USAGE,
    permissions: evalPermissions,
    async run(raw) {
      console.log(JSON.stringify(await runEvalCommand(parseOptions(EvalOptionsSchema, raw))));
    },
  },
  repro: {
    summary:
      "the reproduction: SFT vs GRPO, GSPO, Rank-GRPO × seeds from one SFT checkpoint → table, curves",
    usage: REPRO_CLI_USAGE,
    permissions: reproPermissions,
    async run(raw) {
      await runReproCommand(parseOptions(ReproOptionsSchema, raw), raw);
    },
  },
};
