// The run config's ratio_level / loss_norm fields and `convrec rl --level`: they reach the resolved
// algorithm config (config.json's algo_resolved), defaults stay per algo; RL has no --eval-every.
import { assertEquals, assertThrows } from "../../_assert.ts";
import { parseOptions, UsageError } from "../../../lib/cli/args.ts";
import { RL_USAGE, rlCommandConfig, RlOptionsSchema } from "../../../lib/cli/rl.ts";
import { parseRlRunConfig } from "../../../lib/train/rl_loop/config.ts";
import { resolveAlgo } from "../../../lib/train/rl/algo_config.ts";

const PATHS = { data: "d.jsonl", catalog: "c.csv", init: "ck", run_dir: "runs/x", steps: 2 };

Deno.test("run config: ratio_level overrides the algo's level only; absent keeps the default", () => {
  const def = { grpo: "token", gspo: "sequence", "rank-grpo": "item" } as const;
  for (const algo of ["grpo", "gspo", "rank-grpo"] as const) {
    const base = parseRlRunConfig({ ...PATHS, algo });
    assertEquals(base.ratio_level, undefined);
    assertEquals(resolveAlgo(base).level, def[algo]);
    const over = resolveAlgo(
      parseRlRunConfig({ ...PATHS, algo, ratio_level: "rank", loss_norm: "rank" }),
    );
    assertEquals(over, { ...resolveAlgo(base), level: "item", loss_norm: "rank" });
  }
  assertThrows(
    () => parseRlRunConfig({ ...PATHS, algo: "grpo", ratio_level: "item" }),
    '"ratio_level"',
  );
});

Deno.test("convrec rl --level / --loss-norm reach the run config; --eval-every is not an RL option", () => {
  const opts = parseOptions(RlOptionsSchema, {
    algo: "rank-grpo",
    init: "ck",
    run: "lvl",
    level: "sequence",
    "loss-norm": "rank",
  });
  const cfg = rlCommandConfig(opts);
  assertEquals([cfg.ratio_level, cfg.loss_norm, cfg.run_dir], ["sequence", "rank", "runs/lvl"]);
  assertEquals(resolveAlgo(cfg).level, "sequence");
  assertEquals(resolveAlgo(cfg).eps_low, 0.06); // still rank-grpo's clip range
  const plain = rlCommandConfig(
    parseOptions(RlOptionsSchema, { algo: "gspo", init: "ck", run: "g" }),
  );
  assertEquals([plain.ratio_level, resolveAlgo(plain).level], [undefined, "sequence"]);
  assertThrows(
    () => parseOptions(RlOptionsSchema, { algo: "grpo", init: "ck", run: "a", level: "item" }),
    "--level",
  );
  let err: unknown = null;
  try {
    parseOptions(RlOptionsSchema, { algo: "grpo", init: "ck", run: "a", "eval-every": "0" });
  } catch (e) {
    err = e;
  }
  assertEquals(
    err instanceof UsageError && err.message.includes("unknown option --eval-every"),
    true,
  );
  assertEquals(RL_USAGE.includes("--level L"), true);
  assertEquals(RL_USAGE.includes("no --eval-every"), true);
});
