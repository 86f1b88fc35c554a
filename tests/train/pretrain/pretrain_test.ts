// Smoke-size pretraining with the shipped base's code: the loss falls, an interrupted run resumes to
// the same weights as an uninterrupted one, and the final folder loads through the normal HF loader.
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { loadCheckpoint } from "../../../lib/model/checkpoint.ts";
import { loadTokenizer } from "../../../lib/model/tokenizer/load.ts";
import { readStepRows } from "../../../lib/train/run/metrics_log.ts";
import { parsePretrainConfig, pretrainPreset } from "../../../lib/train/pretrain/config.ts";
import { runPretrain } from "../../../lib/train/pretrain/trainer.ts";
import { exportModelFolder, sha256File } from "../../../lib/train/run/export_model.ts";

const quiet = { log: () => {} };
const smoke = (dir: string) =>
  parsePretrainConfig({ ...pretrainPreset("smoke"), run_dir: dir, backend: "cpu" });

Deno.test("smoke pretraining: held-out loss falls well below the uniform ln(V), final/ loads", async () => {
  const dir = await Deno.makeTempDir();
  const cfg = smoke(`${dir}/run`);
  const r = await runPretrain(cfg, quiet);
  const { rows } = await readStepRows(`${cfg.run_dir}/metrics.jsonl`);
  const train = rows.filter((x) => x.phase === "train").map((x) => Number(x.loss));
  const evals = rows.filter((x) => x.phase === "eval").map((x) => Number(x.loss));
  assertEquals(train.length, cfg.max_steps);
  // random init predicts ≈ uniformly: ln(400) = 5.99; 12 steps at lr 1e-2 must learn unigram stats
  assert(train[0] > 5.5, `first loss ${train[0]}`);
  assert(evals.at(-1)! < train[0] - 0.5, `held-out ${evals.at(-1)} vs first ${train[0]}`);
  assert(evals.at(-1)! < evals[0], `held-out loss did not fall: ${evals}`);
  const { config, weights } = await loadCheckpoint(r.finalDir!);
  assertEquals(config.torch_dtype, "bfloat16");
  assertEquals(config.hidden_size, 32);
  const tok = await loadTokenizer(r.finalDir!);
  assertEquals(tok.vocabSize, config.vocab_size);
  Object.values(weights).forEach((t) => t.dispose());
  const out = `${dir}/shipped/builtin-base`;
  const rec = await exportModelFolder(cfg.run_dir, out, {
    command: "convrec pretrain --preset smoke",
    title: "smoke",
    trainTokens: r.trainTokens,
  });
  assertEquals(rec.sha256, await sha256File(`${out}/model.safetensors`));
  assert((await Deno.readTextFile(`${out}/README.md`)).includes(rec.sha256));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pretraining resumes exactly: stop at step 5, resume → the same weights as one run", async () => {
  const dir = await Deno.makeTempDir();
  const a = smoke(`${dir}/a`), b = smoke(`${dir}/b`);
  await runPretrain(a, quiet);
  const stopped = await runPretrain(b, { ...quiet, stopAfterStep: 5 });
  assert(stopped.stopped && stopped.finalDir === null);
  const resumed = await runPretrain(b, { ...quiet, resume: true });
  assertEquals(resumed.resumedFrom, 4); // the last checkpoint (save_every 4) before the stop
  const wa = (await loadCheckpoint(`${dir}/a/final`)).weights;
  const wb = (await loadCheckpoint(`${dir}/b/final`)).weights;
  for (const [name, t] of Object.entries(wa)) {
    assertEquals(Array.from(await wb[name].data()), Array.from(await t.data()), name);
  }
  const steps = (await readStepRows(`${dir}/b/metrics.jsonl`)).rows.filter((r) =>
    r.phase === "train"
  )
    .map((r) => r.step);
  assertEquals(steps, Array.from({ length: 12 }, (_, i) => i + 1)); // rows after step 4 were redone once
  [...Object.values(wa), ...Object.values(wb)].forEach((t) => t.dispose());
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pretrain config is strict", () => {
  assertThrows(() => parsePretrainConfig({ run_dir: "x", seqlen: 3 }), 'unknown key(s) "seqlen"');
  assertThrows(
    () =>
      parsePretrainConfig({
        run_dir: "x",
        model: { num_attention_heads: 6, num_key_value_heads: 4 },
      }),
    "num_key_value_heads",
  );
});
