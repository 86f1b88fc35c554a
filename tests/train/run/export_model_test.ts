// exportModelFolder on an SFT run: the F32 checkpoint ships as BF16 (every weight within BF16 rounding,
// half the bytes), with its tokenizer, a README carrying the rebuild command, the val evaluation and the
// sha256 of the shipped weights, and no corpus-seed row (that is for pretraining).
import { join } from "node:path";
import { assert, assertEquals } from "../../_assert.ts";
import { loadCheckpoint } from "../../../lib/model/checkpoint.ts";
import { loadTokenizer } from "../../../lib/model/tokenizer/load.ts";
import {
  exportModelFolder,
  rebuildCommand,
  sha256File,
} from "../../../lib/train/run/export_model.ts";
import { runSft } from "../../../lib/train/sft/trainer.ts";
import { smokeConfig, writeFixture } from "../sft/fixture.ts";

Deno.test("exportModelFolder ships an SFT checkpoint in BF16 with tokenizer, README and build.json", async () => {
  const f = await writeFixture();
  try {
    const cfg = smokeConfig(f, join(f.dir, "sft"));
    const res = await runSft(cfg, { log: () => {} });
    const source = join("checkpoints", `step-${res.step}`);
    const out = join(f.dir, "models", "student");
    const rec = await exportModelFolder(cfg.run_dir, out, {
      command: "convrec sft --run x",
      title: "student",
      trainTokens: 123,
      source,
      notes: "Greedy val evaluation: see build.json.",
    });
    const src = await loadCheckpoint(join(cfg.run_dir, source));
    const shipped = await loadCheckpoint(out);
    assertEquals(shipped.config.torch_dtype, "bfloat16");
    for (const [name, t] of Object.entries(src.weights)) {
      const a = t.dataSync(), b = shipped.weights[name].dataSync();
      assertEquals(b.length, a.length, name);
      // BF16 keeps 8 significand bits: round-to-nearest errs by ≤ half an ulp = 2^-8 · 2^floor(log2|x|) ≤ 2^-8 |x|
      for (let i = 0; i < a.length; i++) {
        assert(
          Math.abs(a[i] - b[i]) <= Math.abs(a[i]) * 2 ** -8,
          `${name}[${i}] ${a[i]} → ${b[i]}`,
        );
      }
    }
    [src.weights, shipped.weights].forEach((w) => Object.values(w).forEach((t) => t.dispose()));
    const f32Bytes = (await Deno.stat(join(cfg.run_dir, source, "model.safetensors"))).size;
    assert(rec.bytes < 0.55 * f32Bytes, `BF16 ${rec.bytes} bytes vs F32 ${f32Bytes}`);
    assertEquals(rec.sha256, await sha256File(join(out, "model.safetensors")));
    assertEquals(rec.corpus_seed, null);
    assertEquals(rec.steps, res.step);
    assertEquals((await loadTokenizer(out)).vocabSize, shipped.config.vocab_size);
    const readme = await Deno.readTextFile(join(out, "README.md"));
    assert(readme.includes("convrec sft --run x") && readme.includes(rec.sha256), readme);
    assert(!readme.includes("corpus seed") && readme.includes("Greedy val evaluation"), readme);
    assertEquals(JSON.parse(await Deno.readTextFile(join(out, "build.json"))).sha256, rec.sha256);
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("rebuildCommand: convrec <command> with its options, without --resume", () => {
  assertEquals(
    rebuildCommand("sft", ["--run", "a", "--resume", "--epochs", "3"]),
    "npx -y deno@2.9.6 task cli sft --run a --epochs 3",
  );
});
