// The CLI's command table: name → one-line summary and the module that holds the command. Only the
// command that runs is loaded, and the launcher starts that module itself as the child's entry, so
// a child's module graph is its own command's (`convrec score` never loads the trainers' model code).

import { fileURLToPath, pathToFileURL } from "node:url";
import type { Command } from "./command.ts";

/** A command as the table lists it: its summary, and the sibling module exporting `command`. */
export interface CommandEntry {
  summary: string;
  /** File name beside this module; it exports `command` and runs it when it is the main module. */
  file: string;
}

/** Every command, by name. */
export const COMMANDS: Record<string, CommandEntry> = {
  score: {
    summary: "score generated lists against ground truth (hits, rank rewards, Recall/NDCG)",
    file: "score.ts",
  },
  world: {
    summary: "generate the built-in benchmark world (catalog + records split by time)",
    file: "world.ts",
  },
  distill: {
    summary:
      "Remap → Reflect → Adjust: turn teacher lists into catalog-grounded SFT demonstrations",
    file: "distill.ts",
  },
  demo: {
    summary: "run world → distill → SFT → RL → test table on the built-in world, with figures",
    file: "demo.ts",
  },
  nb: {
    summary:
      "execute a notebook headless with --set overrides into runs/<name>/ (ipynb, html, figures)",
    file: "nb.ts",
  },
  pretrain: {
    summary:
      "next-token pretraining of the built-in base on the generated corpus, with exact resume",
    file: "pretrain.ts",
  },
  sft: {
    summary: "supervised fine-tuning (completion-only) into runs/<name>/, with exact resume",
    file: "sft.ts",
  },
  rl: {
    summary: "GRPO / GSPO / Rank-GRPO from an SFT checkpoint into runs/<name>/, with exact resume",
    file: "rl.ts",
  },
  eval: {
    summary:
      "evaluate a checkpoint on a whole split, with the popularity reference on the same rows",
    file: "eval.ts",
  },
  repro: {
    summary:
      "the reproduction: SFT vs GRPO, GSPO, Rank-GRPO × seeds from one SFT checkpoint → table, curves",
    file: "repro.ts",
  },
};

/**
 * The path of a command's module.
 * @example
 * ```ts
 * if (!commandPath("score").endsWith("/lib/cli/score.ts")) throw new Error(commandPath("score"));
 * ```
 */
export function commandPath(name: string): string {
  const entry = COMMANDS[name];
  if (entry === undefined) throw new Error(`unknown command "${name}"`);
  return fileURLToPath(new URL(entry.file, import.meta.url));
}

/**
 * Loads one command's module. The specifier is computed on purpose: a literal `import("./x.ts")`
 * puts every command's module graph into every start-up (~0.15 s and all of tfjs for `score`).
 * Needs read access to lib/ (the launcher and in-process callers have it).
 * @example
 * ```ts
 * const score = await loadCommand("score");
 * if (!score.usage.startsWith("convrec score")) throw new Error(score.usage);
 * ```
 */
export async function loadCommand(name: string): Promise<Command> {
  const url = pathToFileURL(commandPath(name)).href; // commandPath throws for an unknown command
  const module = await import(url) as { command?: Command };
  if (module.command === undefined) throw new Error(`${url}: exports no \`command\``);
  return module.command;
}
