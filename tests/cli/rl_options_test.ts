// `convrec rl`'s flags are the RL run schema's keys (snake → kebab) plus a few kept names; the usage lists
// every key with its description; a misspelt or doubly given option fails naming it.
import { z } from "zod";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { cliField, flagOf, flagUsage, parseOptions } from "../../lib/cli/args.ts";
import { RL_USAGE, rlCommandConfig, RlOptionsSchema } from "../../lib/cli/rl.ts";
import { RlRunConfigSchema } from "../../lib/train/rl_loop/config.ts";

const BASE = { algo: "grpo", init: "ck", run: "a" };

Deno.test("convrec rl: every run-config key but run_dir is a flag, described in the usage", () => {
  const keys = Object.keys(RlRunConfigSchema.shape).filter((k) => k !== "run_dir");
  for (const key of keys) {
    assert(flagOf(key) in RlOptionsSchema.shape, `--${flagOf(key)} is an option`);
    assert(RL_USAGE.includes(`--${flagOf(key)}`), `--${flagOf(key)} in the usage`);
    assert(RlRunConfigSchema.shape[key as "mu"].description, `${key} has a description`);
  }
  for (const kept of ["--level L", "--prompts N", "--no-shaping", "--run NAME", "--preset NAME"]) {
    assert(RL_USAGE.includes(kept), kept);
  }
  assert(RL_USAGE.includes("--mu N") && RL_USAGE.includes("(default 1)"));
});

Deno.test("convrec rl: flags reach the run config by key; kept names; conflicts and typos fail", () => {
  const cfg = rlCommandConfig(parseOptions(RlOptionsSchema, {
    ...BASE,
    preset: "smoke",
    "max-grad-norm": "0.5",
    "top-p": "0.9",
    "keep-checkpoints": "3",
    prompts: "3",
    shaping: "false",
    n: "10",
  }));
  assertEquals(
    [cfg.max_grad_norm, cfg.top_p, cfg.keep_checkpoints, cfg.prompts_per_step, cfg.shaping, cfg.n],
    [0.5, 0.9, 3, 3, false, 10],
  );
  assertEquals(cfg.steps, 4, "the preset's value where no flag is given");
  assertEquals(
    rlCommandConfig(parseOptions(RlOptionsSchema, { ...BASE, "no-shaping": true })).shaping,
    false,
  );
  assertThrows(
    () =>
      rlCommandConfig(
        parseOptions(RlOptionsSchema, { ...BASE, prompts: "3", "prompts-per-step": "2" }),
      ),
    "--prompts and --prompts-per-step",
  );
  assertThrows(
    () => parseOptions(RlOptionsSchema, { ...BASE, "group-sise": "4" }),
    "unknown option --group-sise",
  );
  assertThrows(
    () => parseOptions(RlOptionsSchema, { ...BASE, "group-size": "1" }),
    "--group-size",
  );
  assertThrows(() => parseOptions(RlOptionsSchema, { ...BASE, mu: "x" }), "--mu");
});

Deno.test("cliField / flagUsage: words coerced by the field's type; usage from descriptions", () => {
  assertEquals(cliField(z.int().min(1).default(1)).parse("2"), 2);
  assertEquals(cliField(z.boolean().default(true)).parse("false"), false);
  assertEquals(cliField(z.boolean().default(true)).parse(true), true);
  assertEquals(cliField(z.enum(["a", "b"]).optional()).parse(undefined), undefined);
  assert(!cliField(z.number().positive()).safeParse("-1").success);
  assertEquals(
    flagUsage({ max_steps: z.int().default(3).describe("how many") }, { indent: 16 }),
    "  --max-steps N how many (default 3)",
  );
  assertEquals(
    flagUsage({ level: z.enum(["x", "y"]).optional().describe("a b c") }, {
      indent: 8,
      lineWidth: 14,
    }),
    "  --level x|y\n        a b c",
  );
});
