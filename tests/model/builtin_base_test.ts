// The shipped base model (data/models/builtin-base): loads through the normal HF loader, its weights
// match the sha256 its README and build.json record, its config is the one the build recorded, and it
// is small enough to ship (≤ 25 MB, BF16).
import { assert, assertEquals } from "../_assert.ts";
import { BUILTIN_BASE_DIR } from "../../lib/model/builtin_base.ts";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../lib/model/backend.ts";
import { loadCheckpoint } from "../../lib/model/checkpoint.ts";
import { forward } from "../../lib/model/decoder.ts";
import { buildCatalog, readVegaMovies } from "../../lib/data/world/movies.ts";
import { loadTokenizer } from "../../lib/model/tokenizer/load.ts";
import { openSafetensors } from "../../lib/model/safetensors.ts";
import { sha256File } from "../../lib/train/run/export_model.ts";
import { baseModelConfig } from "../../lib/train/pretrain/config.ts";
import { parsePretrainConfig } from "../../lib/train/pretrain/config.ts";

const dir = BUILTIN_BASE_DIR;
const build = JSON.parse(await Deno.readTextFile(`${dir}/build.json`));

Deno.test("builtin-base: weights match the recorded sha256 and size, in BF16, ≤ 25 MB", async () => {
  const sha = await sha256File(`${dir}/model.safetensors`);
  assertEquals(sha, build.sha256);
  assert((await Deno.readTextFile(`${dir}/README.md`)).includes(sha), "README lacks the sha256");
  const bytes = (await Deno.stat(`${dir}/model.safetensors`)).size;
  assertEquals(bytes, build.bytes);
  assert(bytes <= 25 * 1024 * 1024, `${bytes} bytes`);
  const st = await openSafetensors(`${dir}/model.safetensors`);
  try {
    for (const t of st.tensors.values()) assertEquals(t.dtype, "BF16");
  } finally {
    st.close();
  }
});

Deno.test("builtin-base: loads through the HF loader with the config and tokenizer its build recorded", async () => {
  await useBackend("cpu");
  const { config, weights } = await loadCheckpoint(dir);
  const tok = await loadTokenizer(dir);
  const { model_config: _m, derived: _d, ...runConfig } = build.config;
  const recorded = parsePretrainConfig(runConfig);
  const expected = baseModelConfig(recorded, tok);
  for (
    const k of [
      "hidden_size",
      "num_hidden_layers",
      "num_attention_heads",
      "num_key_value_heads",
      "intermediate_size",
      "vocab_size",
      "eos_token_id",
    ] as const
  ) {
    assertEquals(config[k], expected[k], k);
  }
  assertEquals(tok.vocabSize, recorded.vocab_size);
  // it learned the catalog: after "Title (" its greedy next id is the release year for most of the
  // 40 most-voted movies (a random or broken model gets ~0 of 4,096 ids right)
  const movies = buildCatalog(await readVegaMovies()).movies
    .toSorted((a, b) => b.meta.imdb_votes - a.meta.imdb_votes).slice(0, 40);
  let right = 0;
  for (const m of movies) {
    const ids = tok.encode(`${m.title} (`, { addSpecialTokens: false });
    const year = tok.encode(`${m.year}`, { addSpecialTokens: false });
    const logits = tf.tidy(() =>
      forward(weights, config, [ids]).logits.slice([0, ids.length - 1, 0], [1, 1, -1]).argMax(-1)
    );
    if ((await logits.data())[0] === year[0] && year.length === 1) right++;
    logits.dispose();
  }
  console.log(`builtin-base: year of ${right}/40 most-voted movies predicted greedily`);
  assert(right >= 24, `only ${right}/40 years right`);
  Object.values(weights).forEach((t) => t.dispose());
});
