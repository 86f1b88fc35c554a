// Where the RL objective runs (chooseObjectivePath) and the GPU path's CPU-testable pieces: the (K) → (B, T)
// layout gather and its gradient, the stats read-back and its errors. The GPU path itself is compared with
// the CPU path in tests/train/webgpu_smoke_test.ts (skipped visibly without an adapter).
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../lib/model/backend.ts";
import { parseRlRunConfig } from "../../../lib/train/rl_loop/config.ts";
import {
  completionLayoutTensor,
  type ObjectiveStatsSink,
  readObjectiveStats,
} from "../../../lib/train/rl_loop/gpu_objective.ts";
import {
  chooseObjectivePath,
  type ObjectiveQuery,
} from "../../../lib/train/rl_loop/objective_path.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../../_assert.ts";

const base: ObjectiveQuery = {
  setting: "auto",
  backend: "webgpu",
  sharedDevice: true,
  dims: { b: 16, t: 220 },
  n: 20,
  level: "item",
};

Deno.test("chooseObjectivePath: auto takes the kernels only when tfjs runs on webgpu on our device", () => {
  assertEquals(chooseObjectivePath(base).path, "gpu");
  for (const backend of ["cpu", "cpu-blas", "wasm"]) {
    const c = chooseObjectivePath({ ...base, backend, sharedDevice: false });
    assertEquals(c.path, "cpu", backend);
    assert(c.reason.includes(`"${backend}"`), c.reason);
  }
  const foreign = chooseObjectivePath({ ...base, sharedDevice: false });
  assertEquals(foreign.path, "cpu");
  assert(foreign.reason.includes("not on the device"), foreign.reason);
  assertEquals(chooseObjectivePath({ ...base, setting: "cpu" }).path, "cpu");
  assertEquals(chooseObjectivePath({ ...base, setting: "gpu" }).path, "gpu");
});

Deno.test("chooseObjectivePath: batches past the kernels' loop budget or bins stay on the CPU", () => {
  const long = chooseObjectivePath({ ...base, dims: { b: 16, t: 60_000 } });
  assertEquals(long.path, "cpu");
  assert(long.reason.includes("loop iterations"), long.reason);
  assertEquals(chooseObjectivePath({ ...base, n: 5000 }).path, "cpu");
  // the sequence level's per-row loop is shorter: the same T may fit there
  assertEquals(
    chooseObjectivePath({ ...base, dims: { b: 16, t: 4000 }, level: "token" }).path,
    "gpu",
  );
});

Deno.test("chooseObjectivePath: objective gpu where it cannot run throws and names the fix", () => {
  assertThrows(
    () =>
      chooseObjectivePath({ ...base, setting: "gpu", backend: "cpu-blas", sharedDevice: false }),
    "--backend webgpu",
  );
  assertThrows(
    () => chooseObjectivePath({ ...base, setting: "gpu", dims: { b: 16, t: 60_000 } }),
    "max_new_tokens",
  );
});

Deno.test("RL config: objective defaults to auto; other values fail naming the key", () => {
  const cfg = { data: "d", catalog: "c", init: "i", run_dir: "r", algo: "grpo", steps: 1 };
  assertEquals(parseRlRunConfig(cfg).objective, "auto");
  assertEquals(parseRlRunConfig({ ...cfg, objective: "gpu" }).objective, "gpu");
  assertThrows(() => parseRlRunConfig({ ...cfg, objective: "tpu" }), '"objective"');
});

Deno.test("completionLayoutTensor: (K) rows → (B, T), padding reads row 0; gradient scatters back", async () => {
  await useBackend("cpu");
  const values = tf.tensor1d([0.5, -1, -2]); // (K = 3)
  const index = Int32Array.of(1, 2, -1, 0, -1, -1); // (B = 2, T = 3)
  const layout = completionLayoutTensor(values, index, { b: 2, t: 3 });
  assertEquals(layout.shape, [2, 3]);
  assertEquals(Array.from(await layout.data()), [-1, -2, 0.5, 0.5, 0.5, 0.5]);
  // d Σ w·layout / d values: row r collects the weights of the cells that read it
  const w = tf.tensor2d([[1, 2, 0], [4, 0, 0]]); // padding cells weighted 0, as the kernels do
  const g = tf.grad((v: tf.Tensor) =>
    tf.sum(tf.mul(
      completionLayoutTensor(v as tf.Tensor1D, index, {
        b: 2,
        t: 3,
      }),
      w,
    ))
  )(values);
  assertEquals(Array.from(await g.data()), [4, 1, 2]);
  tf.dispose([values, layout, w, g]);
  assertThrows(
    () => completionLayoutTensor(tf.tensor1d([1]), Int32Array.of(0), { b: 2, t: 3 }),
    "B·T",
  );
});

Deno.test("readObjectiveStats: sums the row partials, frees them; a cut-short loop or a missing pass throws", async () => {
  await useBackend("cpu");
  const before = tf.memory().numTensors;
  // two rows of (loss, clip low, clip high, kl, ratio, advantage, tokens, 0)
  const rows = tf.tensor2d([[-1, 1, 0, 0.2, 3, 1, 3, 0], [0.5, 0, 2, 0.2, 2, -1, 2, 0]]);
  const sink: ObjectiveStatsSink = { rowStats: rows, status: tf.tensor1d([0], "int32") };
  const { loss, stats } = await readObjectiveStats(sink);
  assertEquals(loss, -0.5);
  assertEquals(stats.tokens, 5);
  assertEquals(stats.clipLowFraction, 1 / 5);
  assertEquals(stats.clipHighFraction, 2 / 5);
  assertEquals(stats.meanRatio, 1);
  assert(Math.abs(stats.meanKl - 0.08) < 1e-7, `meanKl ${stats.meanKl}`);
  assertEquals(tf.memory().numTensors, before, "tensors freed");
  assertEquals(sink.rowStats, undefined);
  await assertRejects(
    readObjectiveStats({
      rowStats: tf.zeros([1, 8]) as tf.Tensor2D,
      status: tf.tensor1d([1], "int32"),
    }),
    "objective cpu",
  );
  assertEquals(tf.memory().numTensors, before, "tensors freed after the error");
  await assertRejects(readObjectiveStats({}), "did not run");
});
