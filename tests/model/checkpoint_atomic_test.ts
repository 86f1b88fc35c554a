// saveCheckpoint writes a checkpoint folder whole or not at all: a writer that throws mid-save leaves
// the previous folder intact; recoverDirWrites / removeDirAtomic clean up after crashes.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import * as tf from "@tensorflow/tfjs";
import { recoverDirWrites, removeDirAtomic, writeDirAtomic } from "../../lib/data/atomic_write.ts";
import { loadCheckpoint, saveCheckpoint } from "../../lib/model/checkpoint.ts";
import { type DecoderWeights, disposeWeights } from "../../lib/model/weights.ts";
import { tempDir } from "./_fixtures.ts";

await tf.setBackend("cpu");
const FIXTURE = new URL("../fixtures/model/tiny_qwen2", import.meta.url).pathname;

/** Every file of `dir` (recursively, hidden ones included) → its bytes. */
async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) {
      for (const [k, v] of await snapshot(p)) out.set(`${e.name}/${k}`, v);
    } else out.set(e.name, await Deno.readFile(p));
  }
  return out;
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort();
}

/** `weights` with tensor `name` replaced by one whose data() rejects (a writer failing mid-save). */
function failingAt(weights: DecoderWeights, name: string): DecoderWeights {
  const broken = Object.create(weights[name], {
    data: { value: () => Promise.reject(new Error("simulated disk error")) },
  });
  return { ...weights, [name]: broken };
}

Deno.test("saveCheckpoint: a throwing writer mid-save leaves the previous folder intact", async () => {
  const { dir, cleanup } = await tempDir();
  const { config, weights } = await loadCheckpoint(FIXTURE);
  try {
    const target = `${dir}/ckpt`;
    await saveCheckpoint(target, weights, config);
    const before = await snapshot(target);
    assertEquals([...before.keys()].sort(), ["config.json", "model.safetensors"]);
    const scaled: DecoderWeights = Object.fromEntries(
      Object.entries(weights).map(([k, t]) => [k, tf.mul(t, 2)]),
    );
    const last = Object.keys(weights).at(-1)!; // fails after the other tensors were written
    await assertRejects(
      () => saveCheckpoint(target, failingAt(scaled, last), config),
      "simulated disk error",
    );
    assertEquals(await snapshot(target), before, "the old folder is byte-identical");
    assertEquals(await names(dir), ["ckpt"], "no temp folder left beside it");
    const back = await loadCheckpoint(target);
    for (const k of Object.keys(weights)) {
      assertEquals(await back.weights[k].data(), await weights[k].data(), k);
    }
    disposeWeights(back.weights);
    // a successful save replaces the whole folder (stray files of the old folder do not survive)
    await Deno.writeTextFile(`${target}/stray.txt`, "x");
    await saveCheckpoint(target, scaled, config, { dtype: "BF16" });
    assertEquals(await names(target), ["config.json", "model.safetensors"]);
    assertEquals(await names(dir), ["ckpt"]);
    disposeWeights(scaled);
  } finally {
    disposeWeights(weights);
    await cleanup();
  }
});

Deno.test("saveCheckpoint: leftovers of a crashed save of the same folder are removed first", async () => {
  const { dir, cleanup } = await tempDir();
  const { config, weights } = await loadCheckpoint(FIXTURE);
  try {
    await Deno.mkdir(`${dir}/.ckpt.0123456789abcdef.tmp`); // a half-built temp of "ckpt"
    await Deno.writeTextFile(`${dir}/.ckpt.0123456789abcdef.tmp/model.safetensors`, "partial");
    await Deno.mkdir(`${dir}/.other.0123456789abcdef.tmp`); // another folder's: not ours to touch
    await saveCheckpoint(`${dir}/ckpt`, weights, config);
    assertEquals(await names(dir), [".other.0123456789abcdef.tmp", "ckpt"]);
  } finally {
    disposeWeights(weights);
    await cleanup();
  }
});

Deno.test("recoverDirWrites: restores an orphaned old copy, removes temps; removeDirAtomic", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const mk = async (name: string, file = "a.txt") => {
      await Deno.mkdir(`${dir}/${name}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${name}/${file}`, name);
    };
    // step-4 died between its two renames: only the old copy exists → restored
    await mk(".step-4.old-.step-4.00aa11bb22cc33dd.tmp");
    // step-6 died after its swap: new folder in place, old copy left → removed
    await mk("step-6");
    await mk(".step-6.old-.step-6.1111222233334444.tmp");
    await mk(".step-8.5555666677778888.tmp"); // half-built
    await mk(".git"); // unrelated hidden folders and files are kept
    await Deno.writeTextFile(`${dir}/.notes.abc.tmp`, "a file, not a folder");
    const r = await recoverDirWrites(dir);
    assertEquals(r.restored, ["step-4"]);
    assertEquals(r.removed.sort(), [
      ".step-6.old-.step-6.1111222233334444.tmp",
      ".step-8.5555666677778888.tmp",
    ]);
    assertEquals(await names(dir), [".git", ".notes.abc.tmp", "step-4", "step-6"]);
    assertEquals(
      await Deno.readTextFile(`${dir}/step-4/a.txt`),
      ".step-4.old-.step-4.00aa11bb22cc33dd.tmp",
    );
    assertEquals(await recoverDirWrites(`${dir}/missing`), { removed: [], restored: [] });
    // a real writeDirAtomic leaves names recoverDirWrites recognises
    await writeDirAtomic(`${dir}/step-6`, async (tmp) => {
      assertEquals(await recoverDirWrites(dir, { name: "step-4" }), { removed: [], restored: [] });
      assert((await names(dir)).some((n) => n.startsWith(".step-6.") && n.endsWith(".tmp")));
      await Deno.writeTextFile(`${tmp}/b.txt`, "new");
    });
    assertEquals(await names(`${dir}/step-6`), ["b.txt"]);
    await removeDirAtomic(`${dir}/step-6`);
    await removeDirAtomic(`${dir}/step-6`); // already gone: no error
    assertEquals(await names(dir), [".git", ".notes.abc.tmp", "step-4"]);
  } finally {
    await cleanup();
  }
});
