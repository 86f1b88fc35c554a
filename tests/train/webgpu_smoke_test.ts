// The tfjs webgpu backend end to end: SFT smoke steps and an RL update on webgpu give the cpu backend's
// losses, gradient norms and weights on the same seed; the backend is recorded; no-adapter errors name the fix.
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { gpuAvailable } from "../../lib/gpu/device.ts";
import {
  activeBackendLabel,
  type BackendName,
  requireWebgpuAdapter,
  useBackend,
} from "../../lib/model/backend.ts";
import { adamwInit, disposeAdamW } from "../../lib/train/optim/adamw.ts";
import { rlAlgoConfig } from "../../lib/train/rl/algo_config.ts";
import { readStepRows } from "../../lib/train/run/metrics_log.ts";
import { frozenLogprobs, packSequences } from "../../lib/train/rl_loop/policy_logprobs.ts";
import { rlStep, type RlStepOutcome } from "../../lib/train/rl_loop/rl_step.ts";
import { runRl } from "../../lib/train/rl_loop/trainer.ts";
import { runSft } from "../../lib/train/sft/trainer.ts";
import { assert, assertEquals, assertRejects, f32SumTol } from "../_assert.ts";
import { decoderChainLength } from "../model/_fixtures.ts";
import { tinyModelConfig, tinyVariables, tinyWeights } from "../_tiny_model.ts";
import { handScoredBatch, smokeRlConfig } from "./rl_loop/fixture.ts";
import { type Fixture, smokeConfig, writeFixture } from "./sft/fixture.ts";

const probe = await gpuAvailable({ timeoutMs: 5000 });
const skip = probe.available ? "" : ` (skipped: no WebGPU adapter: ${probe.reason})`;

/**
 * |a − b| ≤ rtol·max(1, |b|) (the mixed bound with atol = rtol), with the label in the message.
 * rtol: see STEP_RTOL; the SFT smoke run's loss gets 1e-4 (its first step is one forward of a decoder
 * about TINY's size, whose float32 chain bound is ~1.5e-4·|loss|; by its second step Adam has moved
 * every weight by ±lr, so exact rounding bounds end there) and grad norms 1e-3 (Adam's ±lr first steps
 * turn a gradient at float-noise level into a full step of either sign: an empirical allowance ~7×
 * the one-pass bound, not a derivation; the weights' check below counts such flips).
 */
function assertRel(a: number, b: number, rtol: number, what: string): void {
  assert(Number.isFinite(a) && Number.isFinite(b), `${what}: non-finite ${a} / ${b}`);
  assert(Math.abs(a - b) <= rtol * Math.max(1, Math.abs(b)), `${what}: ${a} vs cpu ${b}`);
}

/** A 2-step smoke SFT on `backend` into dir/sft-<backend>; the metrics rows and the last checkpoint. */
async function smokeSft(f: Fixture, backend: BackendName) {
  const cfg = smokeConfig(f, join(f.dir, `sft-${backend}`), {
    backend,
    max_steps: 2,
    save_every: 2,
    eval_conversations: 1,
    eval_max_new_tokens: 4,
  });
  const res = await runSft(cfg, { log: () => {} });
  const { rows } = await readStepRows(`${cfg.run_dir}/metrics.jsonl`);
  const config = JSON.parse(await Deno.readTextFile(`${cfg.run_dir}/config.json`));
  return { rows, config, init: join(cfg.run_dir, "checkpoints", `step-${res.step}`) };
}

Deno.test({
  name:
    `webgpu SFT smoke: per-step loss and grad norm = cpu; RL smoke step runs; backend recorded${skip}`,
  ignore: !probe.available,
  sanitizeResources: false, // the tfjs webgpu device stays open for the process
  async fn() {
    const f = await writeFixture();
    try {
      const cpu = await smokeSft(f, "cpu");
      const gpu = await smokeSft(f, "webgpu");
      console.log(`webgpu: ${activeBackendLabel()}`);
      assertEquals(gpu.config.backend, "webgpu");
      assertEquals(gpu.rows.map((r) => r.phase), cpu.rows.map((r) => r.phase));
      gpu.rows.forEach((r, i) => {
        const c = cpu.rows[i];
        assertRel(Number(r.loss), Number(c.loss), 1e-4, `step ${r.step} ${r.phase} loss`);
        if (r.phase === "train") {
          assertRel(Number(r.grad_norm), Number(c.grad_norm), 1e-3, `step ${r.step} grad norm`);
        }
      });
      // one RL step end to end on webgpu (sampling, scoring, reference log-probs, update, checkpoint)
      const rl = smokeRlConfig({ ...f, init: gpu.init }, join(f.dir, "rl-webgpu"), {
        backend: "webgpu",
        steps: 1,
      });
      const res = await runRl(rl, { log: () => {} });
      assertEquals(res.step, 1);
      const [row] = (await readStepRows(`${rl.run_dir}/metrics.jsonl`)).rows;
      for (const k of ["loss", "grad_norm", "entropy", "kl"]) {
        assert(Number.isFinite(Number(row[k])), `rl ${k} = ${row[k]}`);
      }
      const rlConfig = JSON.parse(await Deno.readTextFile(`${rl.run_dir}/config.json`));
      assertEquals(rlConfig.backend, "webgpu");
      assertEquals(rlConfig.derived.objective_path, "gpu", rlConfig.derived.objective_reason);
    } finally {
      await useBackend("cpu");
      await Deno.remove(f.dir, { recursive: true });
    }
  },
});

const TINY = tinyModelConfig({
  vocab_size: 64,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
});

/** 2 prompts × G = 2 hand-made completions (T = 6) with hits, so advantages are non-zero. */
function tinyRollouts() {
  const dims = { b: 4, t: 6 };
  const tokenIds = Int32Array.of(
    ...[5, 10, 9, 10, 63, 0],
    ...[7, 7, 10, 63, 0, 0],
    ...[40, 2, 10, 11, 10, 63],
    ...[30, 10, 0, 0, 0, 0],
  );
  const mask = Uint8Array.from(tokenIds, (id, i) => id !== 0 || i % 6 === 0 ? 1 : 0);
  const hits = new Uint8Array(4 * 20);
  hits[0] = 1; // rollout 0 hits at rank 1
  hits[2 * 20 + 1] = 1; // rollout 2 hits at rank 2
  const batch = handScoredBatch(tokenIds, mask, dims, hits);
  const packed = packSequences(
    [[1, 4, 6], [2, 8, 12, 14]],
    { tokenIds, mask, dims, groupSize: 2 },
    {
      padId: 0,
      vocabSize: 64,
    },
  );
  return { batch, packed };
}

/**
 * rlStep (default rank-grpo, μ = 2, β > 0) from seeded weights on `backend` with the objective on
 * `objective`: outcome and updated weights.
 */
async function tinyRlStep(
  backend: BackendName,
  refLogp: Float64Array,
  objective: "cpu" | "gpu" = "cpu",
  algoInput: Record<string, unknown> = { algo: "rank-grpo", mu: 2 },
) {
  await useBackend(backend);
  const { batch, packed } = tinyRollouts();
  const params = tinyVariables(TINY, 5, { prefix: `wg_${backend}_` });
  const optimizer = adamwInit(params);
  const before = tf.memory().numTensors;
  const out: RlStepOutcome = await rlStep(params, TINY, { optimizer, batch, packed, refLogp }, {
    algo: rlAlgoConfig(algoInput),
    objective,
    lr: 1e-2,
    beta1: 0.9,
    beta2: 0.99,
    eps: 1e-8,
    weightDecay: 0.01,
    maxGradNorm: 1,
  });
  assertEquals(
    tf.memory().numTensors,
    before,
    `${backend}/${objective}: tensor count after rlStep`,
  );
  const names = Object.keys(params).sort();
  const after = await Promise.all(names.map((n) => params[n].data()));
  disposeAdamW(optimizer);
  tf.dispose(Object.values(params));
  return { out, after, names };
}

/** (B, T) reference log-probs of the tiny rollouts under seeded weights, computed on cpu. */
async function tinyRefLogp(): Promise<Float64Array> {
  await useBackend("cpu");
  const { packed } = tinyRollouts();
  const refWeights = tinyWeights(TINY, 6);
  const refLogp = await frozenLogprobs(refWeights, TINY, packed);
  tf.dispose(Object.values(refWeights));
  return refLogp;
}

type TinyStep = Awaited<ReturnType<typeof tinyRlStep>>;

/**
 * One rlStep's loss, entropy and stats on webgpu vs cpu: two float32 evaluations of TINY's forward and
 * backward over the packed rows (decoderChainLength, S ≤ 12, 4 rows), n·EPS32 relative (~1.5e-4).
 */
const STEP_RTOL = f32SumTol(decoderChainLength(TINY, { S: 12, rows: 48 }).grads);

/** Loss, entropy, stats, grad norms and updated weights of `gpu` = `cpu`'s (within float noise). */
function assertSameStep(gpu: TinyStep, cpu: TinyStep, what: string): void {
  assertEquals(gpu.out.skipped, 0, `${what}: skipped`);
  assertRel(gpu.out.loss, cpu.out.loss, STEP_RTOL, `${what}: loss`);
  assertRel(gpu.out.entropy, cpu.out.entropy, STEP_RTOL, `${what}: entropy`);
  for (const k of Object.keys(cpu.out.stats) as (keyof RlStepOutcome["stats"])[]) {
    assertRel(gpu.out.stats[k], cpu.out.stats[k], STEP_RTOL, `${what}: stats.${k}`);
  }
  gpu.out.gradNorms.forEach((g, i) =>
    assertRel(g, cpu.out.gradNorms[i], 1e-3, `${what}: grad norm ${i}`)
  );
  assert(cpu.out.gradNorms[0] > 1e-3, `a real gradient (${cpu.out.gradNorms[0]})`);
  // Adam's first steps move each weight by ≈ ±lr whatever |g|: a gradient at float-noise level may
  // flip sign on another device, so allow a few such weights (0.1 %), never a systematic difference
  let off = 0, total = 0, worst = 0;
  cpu.names.forEach((_, i) =>
    gpu.after[i].forEach((x, j) => {
      const d = Math.abs(x - cpu.after[i][j]);
      worst = Math.max(worst, d);
      if (!(d <= 1e-4)) off++;
      total++;
    })
  );
  console.log(`${what}: ${off} of ${total} updated weights differ by > 1e-4 (max ${worst})`);
  assert(off <= 0.001 * total, `${what}: ${off} of ${total} updated weights differ by > 1e-4`);
}

Deno.test({
  name:
    `webgpu rlStep (rank-grpo, μ 2, KL): loss, grad norms, entropy and updated weights = cpu${skip}`,
  ignore: !probe.available,
  sanitizeResources: false,
  async fn() {
    try {
      const refLogp = await tinyRefLogp();
      const cpu = await tinyRlStep("cpu", refLogp);
      const gpu = await tinyRlStep("webgpu", refLogp, "cpu");
      assert(cpu.out.advantages.tokenAdvantages.some((a) => a !== 0), "non-zero advantages");
      assertEquals(gpu.out.gradNorms.length, 2);
      assertSameStep(gpu, cpu, "webgpu, objective cpu");
    } finally {
      await useBackend("cpu");
    }
  },
});

Deno.test({
  name:
    `webgpu rlStep, objective on the GPU kernels (rank-grpo μ 2 + KL, grpo, gspo μ 2) = cpu${skip}`,
  ignore: !probe.available,
  sanitizeResources: false,
  async fn() {
    try {
      const refLogp = await tinyRefLogp();
      for (
        const algo of [
          { algo: "rank-grpo", mu: 2 },
          { algo: "grpo", mu: 1, loss_norm: "rank" },
          { algo: "gspo", mu: 2, beta: 0 },
        ]
      ) {
        const what = `${algo.algo} μ ${algo.mu}`;
        const cpu = await tinyRlStep("cpu", refLogp, "cpu", algo);
        const gpu = await tinyRlStep("webgpu", refLogp, "gpu", algo);
        assertSameStep(gpu, cpu, `${what}, objective gpu`);
      }
    } finally {
      await useBackend("cpu");
    }
  },
});

Deno.test("webgpu without navigator.gpu or without an adapter: the error names the fix", async () => {
  const nav = globalThis.navigator as unknown as Record<string, unknown>;
  const real = Object.getOwnPropertyDescriptor(nav, "gpu");
  const stub = (value: unknown) =>
    Object.defineProperty(nav, "gpu", { value, configurable: true, writable: true });
  try {
    stub(undefined);
    await assertRejects(requireWebgpuAdapter(), "navigator.gpu is undefined", "--backend wasm");
    stub({ requestAdapter: () => Promise.resolve(null) });
    await assertRejects(requireWebgpuAdapter(), "requestAdapter() returned null", "Vulkan");
  } finally {
    if (real === undefined) delete nav.gpu;
    else Object.defineProperty(nav, "gpu", real);
  }
});
