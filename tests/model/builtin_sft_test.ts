// The shipped SFT student (data/models/builtin-sft): its weights match the sha256 its README and
// build.json record, in BF16 and ≤ 25 MB; it is a fine-tune of the shipped base (same dims, the base's
// tokenizer byte for byte, init = builtin-base in its recorded config); and it does the task: greedy
// lists on val conversations of the world it was trained on are in the catalog (the base, never
// taught the list format, writes none) and differ between conversations.
import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import { BUILTIN_BASE_DIR, BUILTIN_SFT_DIR } from "../../lib/model/builtin_base.ts";
import { useBackend } from "../../lib/model/backend.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import { loadTokenizer } from "../../lib/model/tokenizer/load.ts";
import { openSafetensors } from "../../lib/model/safetensors.ts";
import { disposeWeights } from "../../lib/model/weights.ts";
import { sha256File } from "../../lib/train/run/export_model.ts";
import { evalGeneration } from "../../lib/train/eval/evaluate.ts";
import { generateWorld } from "../../lib/data/world/mod.ts";
import { ConversationRecordSchema } from "../../lib/data/record.ts";
import { worldPreset } from "../../lib/experiment/presets.ts";
import { worldCatalog } from "../../lib/report/reference_points.ts";

const dir = BUILTIN_SFT_DIR;
const build = JSON.parse(await Deno.readTextFile(join(dir, "build.json")));

Deno.test("builtin-sft: weights match the recorded sha256 and size, in BF16, ≤ 25 MB", async () => {
  const sha = await sha256File(join(dir, "model.safetensors"));
  assertEquals(sha, build.sha256);
  assert(
    (await Deno.readTextFile(join(dir, "README.md"))).includes(sha),
    "README lacks the sha256",
  );
  const bytes = (await Deno.stat(join(dir, "model.safetensors"))).size;
  assertEquals(bytes, build.bytes);
  assert(bytes <= 25 * 1024 * 1024, `${bytes} bytes`);
  const st = await openSafetensors(join(dir, "model.safetensors"));
  try {
    for (const t of st.tensors.values()) assertEquals(t.dtype, "BF16");
  } finally {
    st.close();
  }
});

Deno.test("builtin-sft: a fine-tune of builtin-base — same dims and tokenizer, init recorded", async () => {
  const student = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const base = JSON.parse(await Deno.readTextFile(join(BUILTIN_BASE_DIR, "config.json")));
  for (
    const k of [
      "hidden_size",
      "num_hidden_layers",
      "num_attention_heads",
      "vocab_size",
      "eos_token_id",
    ]
  ) {
    assertEquals(student[k], base[k], k);
  }
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) {
    assertEquals(await sha256File(join(dir, f)), await sha256File(join(BUILTIN_BASE_DIR, f)), f);
  }
  assert(String(build.config.init).endsWith("data/models/builtin-base"), String(build.config.init));
  assertEquals(build.corpus_seed, null);
});

Deno.test("builtin-sft: greedy lists on its world's val conversations are catalog items and depend on the conversation", async () => {
  await useBackend("cpu-blas").catch(() => useBackend("wasm"));
  // the world its demonstrations came from: sft_distilled_all.ts --seed 0 (data/models/README.md)
  const world = await generateWorld(worldPreset("default", { seed: 0 }));
  const tok = await loadTokenizer(dir);
  const { config, weights } = await loadCheckpoint(dir);
  try {
    const val = world.records.val.map((r) => ConversationRecordSchema.parse(r));
    const r = await evalGeneration(weights, config, tok, val, {
      catalog: worldCatalog(world),
      ks: [20],
      maxNewTokens: 200,
      maxPromptTokens: 192,
      batchSize: 12,
      conversations: 12,
    });
    // measured at export: in-catalog 0.99 on 60 conversations; 0.9 leaves room for 12 of them
    assert(r.metrics.in_catalog >= 0.9, `in-catalog ${r.metrics.in_catalog}`);
    const firstItems = new Set(r.texts.map((t) => t.split("\n").slice(0, 3).join("|")));
    assert(
      firstItems.size >= 4,
      `only ${firstItems.size} distinct top-3 lists over 12 conversations`,
    );
  } finally {
    disposeWeights(weights);
  }
});
