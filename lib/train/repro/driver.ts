// The reproduction driver: every (method, seed) RL run from ONE SFT checkpoint with the same budget, then
// greedy test-split evaluation (Recall/NDCG@5..20, in-catalog share). Results are appended per run to
// runs/repro/results.jsonl, so a later call runs only what is missing.
import { join } from "node:path";
import { type LocatedRecord, readRecords } from "../../data/read_records.ts";
import { readStepRows } from "../run/metrics_log.ts";
import { evalCheckpoint } from "../sft/eval_checkpoint.ts";
import { parseRlRunConfig, type RlRunConfigInput } from "../rl_loop/config.ts";
import { rlPreset } from "../rl_loop/presets.ts";
import { runRl } from "../rl_loop/trainer.ts";
import type { ReproMethod } from "./methods.ts";

/** Inputs and budget of a reproduction. */
export interface ReproOptions {
  /** the SFT checkpoint every method starts from */
  init: string;
  /** RL records (world train split) */
  data: string;
  /** evaluation records (world test split) */
  test: string;
  catalog: string;
  /** output folder (runs/repro) */
  out: string;
  methods: readonly ReproMethod[];
  seeds: readonly number[];
  /** RL settings shared by every run (the same budget), on top of the default preset */
  rl: Partial<RlRunConfigInput>;
  /** first N unique test conversations (null: all) */
  testConversations: number | null;
  /** greedy tokens per test list */
  evalMaxNewTokens: number;
  log?: (line: string) => void;
}

/** One evaluated run (a results.jsonl row). */
export interface ReproResult {
  method: string;
  label: string;
  seed: number | null;
  run_dir: string | null;
  rl_steps: number;
  rl_wall_s: number;
  metrics: Record<string, number>;
}

/** The test-metric keys of the table. */
export const REPRO_KS = [5, 10, 15, 20] as const;

/**
 * Rows of results.jsonl ([] when absent).
 * @example (await readResults("runs/repro")).length
 */
export async function readResults(out: string): Promise<ReproResult[]> {
  const { rows } = await readStepRows(join(out, "results.jsonl")).catch(() => ({ rows: [] }));
  return rows.map((r) => r as unknown as ReproResult);
}

async function appendResult(out: string, r: ReproResult): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  // step: a running index keeps the rows readable by readStepRows
  await Deno.writeTextFile(join(out, "results.jsonl"), JSON.stringify({ step: 0, ...r }) + "\n", {
    append: true,
  });
}

async function evaluate(dir: string, opts: ReproOptions): Promise<Record<string, number>> {
  const { metrics } = await evalCheckpoint(dir, {
    val: opts.test,
    catalog: opts.catalog,
    ks: [...REPRO_KS],
    maxNewTokens: opts.evalMaxNewTokens,
    maxPromptTokens: opts.rl.max_prompt_tokens ?? 192,
    conversations: opts.testConversations,
  });
  return metrics;
}

/**
 * Run whatever is missing: the SFT evaluation (once: greedy decoding of one checkpoint is seed-free),
 * then every (method, seed) RL run + its test evaluation. Returns all results so far.
 * @example
 * ```ts
 * await runReproduction({ init, data, test, catalog, out: "runs/repro", methods: selectMethods([]),
 *   seeds: [0, 1, 2], rl: { steps: 8 }, testConversations: 48, evalMaxNewTokens: 220 });
 * ```
 */
export async function runReproduction(opts: ReproOptions): Promise<ReproResult[]> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const done = await readResults(opts.out);
  const has = (method: string, seed: number | null) =>
    done.some((r) => r.method === method && r.seed === seed);
  await countTest(opts.test); // fail early on a bad test file
  if (!has("sft", null)) {
    log(`repro: evaluating SFT ${opts.init}`);
    const r: ReproResult = {
      method: "sft",
      label: "SFT",
      seed: null,
      run_dir: null,
      rl_steps: 0,
      rl_wall_s: 0,
      metrics: await evaluate(opts.init, opts),
    };
    await appendResult(opts.out, r);
    done.push(r);
  }
  for (const m of opts.methods) {
    for (const seed of opts.seeds) {
      if (has(m.id, seed)) continue;
      const runDir = join(opts.out, `${m.id}-s${seed}`);
      const config = parseRlRunConfig({
        ...rlPreset("default"),
        ...opts.rl,
        data: opts.data,
        catalog: opts.catalog,
        init: opts.init,
        run_dir: runDir,
        algo: m.algo,
        ...(m.reward === undefined ? {} : { reward: m.reward }),
        seed,
        save_every: 1_000_000,
      }, "repro rl config");
      await Deno.remove(runDir, { recursive: true }).catch(() => {}); // an unfinished run restarts
      log(`repro: ${m.label} seed ${seed}: ${config.steps} RL steps → ${runDir}`);
      const res = await runRl(config, {
        log,
        onStep: (row) => {
          log(
            `repro ${m.id} s${seed} step ${row.step}: dcg ${row.dcg.toFixed(4)} in_cat ${
              row.in_catalog.toFixed(3)
            } (${row.step_s.toFixed(1)} s)`,
          );
          return Promise.resolve();
        },
      });
      const r: ReproResult = {
        method: m.id,
        label: m.label,
        seed,
        run_dir: runDir,
        rl_steps: res.step,
        rl_wall_s: res.wallSeconds,
        metrics: await evaluate(res.lastCheckpoint!, opts),
      };
      await appendResult(opts.out, r);
      done.push(r);
      log(
        `repro: ${m.label} seed ${seed}: ndcg@20 ${r.metrics["ndcg@20"]} (${
          res.wallSeconds.toFixed(0)
        } s RL)`,
      );
    }
  }
  return done;
}

async function countTest(path: string): Promise<number> {
  let n = 0;
  for await (const _ of readRecords(path) as AsyncIterable<LocatedRecord>) n++;
  if (n === 0) throw new Error(`${path}: no test records`);
  return n;
}
