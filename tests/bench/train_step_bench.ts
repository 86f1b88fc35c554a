// Training and KV-cache generation tokens/s of the decoder presets on each CPU backend (wasm, cpu,
// cpu-blas) and, when asked, webgpu, side by side with PyTorch (tests/reference/torch_speed.py, same dims,
// same session). `deno run` prints the table (env BENCH_PRESETS / BENCH_BACKENDS (default
// cpu-blas,wasm,cpu; webgpu on request) / BENCH_WHAT=train,generate,optim pick rows; BENCH_AB=1|optim adds
// a legacy row, alternating; BENCH_PROFILE=1 per-kernel times; BENCH_TORCH=0 skips torch;
// BENCH_TORCH_DEVICE=cuda runs torch on the GPU; BENCH_PYTHON picks the interpreter, default
// /usr/bin/python3); `deno bench` times the CPU backends' steps as Deno.bench cases.
import * as tf from "@tensorflow/tfjs";
import { gpuAvailable, type GpuProbe } from "../../lib/gpu/device.ts";
import { activeBackendLabel, useBackend } from "../../lib/model/backend.ts";
import { useBlasBackend } from "../../lib/model/blas/blas_backend.ts";
import { openBlasAvailable } from "../../lib/model/blas/openblas.ts";
import { disposeKvCache, forward, type KvCache } from "../../lib/model/decoder.ts";
import { type ModelConfig, presetConfig, type PresetName } from "../../lib/model/config.ts";
import { disposeWeights, initWeights } from "../../lib/model/weights.ts";
import { fusedWeightedNll } from "../../lib/model/blas/fused_cross_entropy.ts";
import { fusedOpsActive } from "../../lib/model/blas/fused_kernels.ts";
import { adamwInit, adamwUpdate, disposeAdamW } from "../../lib/train/optim/adamw.ts";
import { clipScale, globalNorm } from "../../lib/train/optim/clip.ts";
import { setComputePaths } from "../../lib/model/compute_paths.ts";

/** Workload shared with torch_speed.py (pass the same numbers there). */
export const WORKLOAD = { trainBatch: 8, trainSeq: 64, genBatch: 8, genPrompt: 16, genTokens: 32 };
const BACKENDS = ["cpu-blas", "wasm", "cpu"] as const;
/** What BENCH_BACKENDS accepts: the default CPU backends plus webgpu (only when named). */
const ALL_BACKENDS = [...BACKENDS, "webgpu"] as const;
type Backend = (typeof ALL_BACKENDS)[number];

async function select(backend: Backend, threads: number): Promise<void> {
  if (backend === "cpu-blas") await useBlasBackend({ threads });
  else await useBackend(backend);
}

/** Deterministic token ids (B rows of T) below `vocab`. */
function ids(B: number, T: number, vocab: number, mult: number): number[][] {
  return Array.from(
    { length: B },
    (_, b) => Array.from({ length: T }, (_, t) => (b * 131 + t * mult) % vocab),
  );
}

/**
 * A train-step closure and its teardown: forward, mean next-token cross-entropy (the fused one on cpu-blas,
 * as SFT runs it), backward, global-norm clipping to 1 and AdamW (lib/train/optim, as sftStep does).
 */
function trainer(config: ModelConfig) {
  const { trainBatch: B, trainSeq: T } = WORKLOAD, V = config.vocab_size;
  const init = initWeights(config, { seed: 0 });
  const vars = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, tf.variable(v)]));
  disposeWeights(init);
  const names = Object.keys(vars).sort(), varList = names.map((n) => vars[n]);
  const opt = adamwInit(vars);
  const seq = ids(B, T + 1, V, 17);
  const targets = Int32Array.from(seq.flatMap((r) => r.slice(1))); // (B·T) next-token ids
  const weights = new Float32Array(B * T).fill(1 / (B * T)); // mean over positions
  const onehot = new Float32Array(B * T * V); // (B, T, V) for the stock loss off cpu-blas
  targets.forEach((id, n) => (onehot[n * V + id] = 1));
  const target = tf.tensor3d(onehot, [B, T, V]);
  const inputs = seq.map((r) => r.slice(0, T));
  const step = async () => {
    const { value, grads: byVar } = tf.variableGrads(() =>
      tf.tidy(() => {
        const { logits } = forward(vars, config, inputs); // (B, T, V)
        return (fusedOpsActive()
          ? fusedWeightedNll(logits, targets, weights)
          : tf.losses.softmaxCrossEntropy(target, logits)) as tf.Scalar;
      }), varList);
    const grads = Object.fromEntries(names.map((n) => [n, byVar[vars[n].name]]));
    const norm = await globalNorm(grads);
    adamwUpdate(vars, grads, opt, { lr: 1e-3, gradScale: clipScale(norm, 1) });
    tf.dispose(Object.values(grads));
    const v = (await value.data())[0];
    value.dispose();
    return v;
  };
  const dispose = () => {
    tf.dispose([target, ...Object.values(vars)]);
    disposeAdamW(opt);
  };
  return { step, dispose, tokens: B * T };
}

/**
 * The optimizer part of a train step alone: global norm + clip scale + AdamW (weight decay 0.01) over every
 * parameter of `config`, with fixed gradients (0.5·W). For BENCH_WHAT=optim A/B runs (no torch peer row).
 */
function optimizer(config: ModelConfig) {
  const init = initWeights(config, { seed: 0 });
  const vars = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, tf.variable(v)]));
  const grads = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, tf.mul(v, 0.5)]));
  disposeWeights(init);
  const opt = adamwInit(vars);
  const step = async () => {
    const norm = await globalNorm(grads);
    adamwUpdate(vars, grads, opt, { lr: 1e-3, weightDecay: 0.01, gradScale: clipScale(norm, 1) });
    return norm;
  };
  const dispose = () => {
    tf.dispose([...Object.values(grads), ...Object.values(vars)]);
    disposeAdamW(opt);
  };
  return { step, dispose, tokens: WORKLOAD.trainBatch * WORKLOAD.trainSeq };
}

/** Greedy generation with the KV cache: prefill genPrompt tokens, then genTokens - 1 cached steps. */
function generator(config: ModelConfig) {
  const { genBatch: B, genPrompt: P, genTokens: N } = WORKLOAD, V = config.vocab_size;
  const weights = initWeights(config, { seed: 0 });
  // async read: webgpu tensors cannot be read synchronously in Deno (and the read waits for the device)
  const argmaxLast = async (logits: tf.Tensor3D) => { // (B, T, V) → next ids (B rows of 1)
    const [, T] = logits.shape, data = await logits.data();
    return Array.from({ length: B }, (_, b) => {
      const bi = (b * T + T - 1) * V;
      let best = 0;
      for (let v = 1; v < V; v++) if (data[bi + v] > data[bi + best]) best = v;
      return [best];
    });
  };
  const run = async () => {
    let { logits, kvCache } = forward(weights, config, ids(B, P, V, 13), { returnCache: true });
    let next = await argmaxLast(logits);
    for (let i = 1; i < N; i++) {
      logits.dispose();
      const out = forward(weights, config, next, { kvCache });
      disposeKvCache(kvCache);
      ({ logits, kvCache } = out as { logits: tf.Tensor3D; kvCache: KvCache });
      next = await argmaxLast(logits);
    }
    logits.dispose();
    disposeKvCache(kvCache);
    return next;
  };
  return { run, dispose: () => disposeWeights(weights), tokens: B * N };
}

async function medianMs(
  fn: () => unknown,
  runs: number,
): Promise<{ median: number; runs: number[] }> {
  await fn(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  const s = [...ts].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], runs: ts.map((t) => Math.round(t)) };
}

/**
 * medianMs of `fn` with compute path `flag` off and on, alternating which runs first: flag blasLegacy
 * (the older cpu-blas kernels) or optimLegacy (AdamW and the global norm as tf-op chains).
 */
async function alternateMs(fn: () => unknown, runs: number, flag: "blasLegacy" | "optimLegacy") {
  const setLegacy = (on: boolean) => setComputePaths({ [flag]: on });
  const ts: Record<"cur" | "leg", number[]> = { cur: [], leg: [] };
  for (let i = -1; i < runs; i++) { // i = -1: warm-up of both
    for (const legacy of i % 2 === 0 ? [false, true] : [true, false]) {
      setLegacy(legacy);
      const t0 = performance.now();
      await fn();
      if (i >= 0) ts[legacy ? "leg" : "cur"].push(performance.now() - t0);
    }
  }
  setLegacy(false);
  return ([["cur", false], ["leg", true]] as const).map(([k, legacy]) => {
    const s = [...ts[k]].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], runs: ts[k].map(Math.round), legacy };
  });
}

/** BENCH_PROFILE=1: per-kernel wall times (tf.profile) of one step after a warm-up, to stderr. */
async function profileStep(fn: () => unknown, label: string): Promise<void> {
  await fn();
  const t0 = performance.now();
  const info = await tf.profile(() => fn() as tf.TensorContainer);
  const wall = performance.now() - t0;
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = by.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    e.calls++;
    by.set(k.name, e);
  }
  const total = [...by.values()].reduce((a, e) => a + e.ms, 0);
  console.error(`profile ${label}: wall ${wall.toFixed(0)} ms, kernels ${total.toFixed(0)} ms`);
  for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.error(
      `  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms ${`${e.calls}`.padStart(5)} calls`,
    );
  }
}

interface Row {
  peer: string;
  preset: PresetName;
  what: "train" | "generate" | "optim";
  tokens_per_s: number;
  median_ms: number;
  runs_ms: number[];
}

async function torchRows(
  preset: PresetName,
  threads: number,
  options: { runs: number; device: "cpu" | "cuda" },
): Promise<Row[]> {
  const { runs, device } = options;
  const script = new URL("../reference/torch_speed.py", import.meta.url).pathname;
  const w = WORKLOAD;
  const out = await new Deno.Command(Deno.env.get("BENCH_PYTHON") ?? "/usr/bin/python3", {
    args: [
      script,
      "--device",
      device,
      "--preset",
      preset,
      "--threads",
      `${threads}`,
      "--runs",
      `${runs}`,
      "--train-batch",
      `${w.trainBatch}`,
      "--train-seq",
      `${w.trainSeq}`,
      "--gen-batch",
      `${w.genBatch}`,
      "--gen-prompt",
      `${w.genPrompt}`,
      "--gen-tokens",
      `${w.genTokens}`,
    ],
    env: { OMP_NUM_THREADS: `${threads}`, OPENBLAS_NUM_THREADS: `${threads}` },
  }).output();
  if (!out.success) {
    throw new Error(`torch_speed.py failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => {
    const r = JSON.parse(l);
    const where = device === "cuda" ? `cuda: ${r.device_name}` : `${threads} threads`;
    return { ...r, peer: `torch ${r.torch} (${where})` } as Row;
  });
}

/** Which (backend, preset, what) cases run; pure-JS cpu on the large preset takes minutes per step. */
function skipReason(
  backend: Backend,
  preset: PresetName,
  what: string,
  webgpu: GpuProbe | null = null,
): string | undefined {
  if (backend === "cpu-blas" && !openBlasAvailable().ok) return openBlasAvailable().reason;
  if (backend === "webgpu" && !webgpu?.available) {
    return `no WebGPU adapter: ${webgpu?.reason ?? "not probed"}`;
  }
  if (backend === "cpu" && preset === "builtin-large" && what === "train") {
    return "pure-JS matMul ~1 GFLOP/s: minutes per step";
  }
  return undefined;
}

/** Comma-separated env list, filtered to `allowed`; `fallback` (default: all of `allowed`) when unset. */
function envList<T extends string>(
  name: string,
  allowed: readonly T[],
  fallback: readonly T[] = allowed,
): T[] {
  const raw = Deno.env.get(name);
  if (!raw) return [...fallback];
  const picked = raw.split(",").map((s) => s.trim()) as T[];
  const bad = picked.filter((p) => !allowed.includes(p));
  if (bad.length) {
    throw new Error(`train_step_bench.ts: env ${name}: unknown ${bad}; one of ${allowed}`);
  }
  return picked;
}

async function sideBySide(runs: number, threads: number): Promise<void> {
  const rows: Row[] = [];
  const presets = envList("BENCH_PRESETS", ["builtin-small", "builtin-large"] as const);
  const backends = envList<Backend>("BENCH_BACKENDS", ALL_BACKENDS, BACKENDS);
  const webgpu = backends.includes("webgpu") ? await gpuAvailable({ timeoutMs: 10_000 }) : null;
  const torchDevice = envList("BENCH_TORCH_DEVICE", ["cpu", "cuda"] as const, ["cpu"]);
  if (torchDevice.length !== 1) {
    throw new Error("train_step_bench.ts: env BENCH_TORCH_DEVICE: one of cpu, cuda");
  }
  const whats = Deno.env.get("BENCH_WHAT")
    ? envList("BENCH_WHAT", ["train", "generate", "optim"] as const)
    : (["train", "generate"] as const);
  for (const preset of presets) {
    const config = presetConfig(preset);
    // BENCH_TORCH=0: ours only (for A/B runs); the "vs torch" column is then "—"
    if (Deno.env.get("BENCH_TORCH") !== "0") {
      rows.push(...await torchRows(preset, threads, { runs, device: torchDevice[0] }));
    }
    for (const backend of backends) {
      for (const what of whats) {
        const why = skipReason(backend, preset, what, webgpu);
        if (why) {
          console.error(`skip ${backend} ${preset} ${what}: ${why}`);
          continue;
        }
        await select(backend, threads);
        const label = activeBackendLabel(); // names the adapter on webgpu
        const job = what === "train"
          ? trainer(config)
          : what === "optim"
          ? optimizer(config)
          : generator(config);
        const n = backend === "cpu" || (backend === "wasm" && preset === "builtin-large")
          ? 1
          : runs;
        const fn = "step" in job ? job.step : job.run;
        if (Deno.env.get("BENCH_PROFILE") === "1") {
          await profileStep(fn, `${preset} ${what} ${backend}`);
        }
        // BENCH_AB=1 (or =optim): cpu-blas also on the blasLegacy (optimLegacy) compute path,
        // alternating run by run
        const abFlag = ({ "1": "blasLegacy", optim: "optimLegacy" } as const)[
          Deno.env.get("BENCH_AB") ?? ""
        ];
        const ab = backend === "cpu-blas" && abFlag !== undefined;
        const results = ab
          ? await alternateMs(fn, n, abFlag!)
          : [{ ...await medianMs(fn, n), legacy: false }];
        job.dispose();
        for (const r of results) {
          const row: Row = {
            peer: `ours ${label}${r.legacy ? ` (${abFlag})` : ""}`,
            preset,
            what,
            tokens_per_s: job.tokens / r.median * 1000,
            median_ms: r.median,
            runs_ms: r.runs,
          };
          console.error(JSON.stringify(row));
          rows.push(row);
        }
      }
    }
  }
  console.log(
    `| preset | what | peer | tokens/s | median ms | runs ms | vs torch |\n|---|---|---|---|---|---|---|`,
  );
  for (const r of rows) {
    const torch = rows.find((t) =>
      t.peer.startsWith("torch") && t.preset === r.preset && t.what === r.what
    );
    const vs = torch ? `${(r.tokens_per_s / torch.tokens_per_s).toFixed(2)}×` : "—";
    console.log(
      `| ${r.preset} | ${r.what} | ${r.peer} | ${r.tokens_per_s.toFixed(0)} | ${
        r.median_ms.toFixed(0)
      } | ${r.runs_ms.join(", ")} | ${vs} |`,
    );
  }
}

if (import.meta.main) {
  const runs = Number(Deno.env.get("BENCH_RUNS") ?? "5"),
    threads = Number(Deno.env.get("BENCH_THREADS") ?? "2");
  await sideBySide(runs, threads);
} else {
  for (const preset of ["builtin-small", "builtin-large"] as const) {
    for (const backend of BACKENDS) {
      for (const what of ["train", "generate"] as const) {
        const why = skipReason(backend, preset, what) ??
          (backend !== "cpu-blas" && preset === "builtin-large"
            ? "slow: see deno run mode"
            : undefined);
        let job: { run: () => unknown; dispose: () => void } | undefined;
        Deno.bench({
          name: `${preset} ${what} (${backend})${why ? ` (skipped: ${why})` : ""}`,
          group: `${preset} ${what}`,
          ignore: why !== undefined,
          n: 3,
          warmup: 1,
          fn: async () => {
            if (!job || tf.getBackend() !== backend) {
              job?.dispose();
              await select(backend, 2);
              const config = presetConfig(preset);
              const j = what === "train" ? trainer(config) : generator(config);
              job = { run: "step" in j ? j.step : j.run, dispose: j.dispose };
            }
            await job.run();
          },
        });
      }
    }
  }
}
