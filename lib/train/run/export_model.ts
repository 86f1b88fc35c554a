// Ship a run's final weights as a model folder (data/models/builtin-base/ from `convrec pretrain`,
// data/models/builtin-sft/ from `convrec sft`): the HF files in BF16 plus a README naming the command and
// config that rebuild it, the corpus seed (pretraining), steps, wall time, losses and the weights'
// sha256. Not in the paper.
import { dirname, join } from "node:path";
import { writeDirAtomic } from "../../data/atomic_write.ts";
import { loadCheckpoint } from "../../model/checkpoint.ts";
import { writeCheckpointFiles } from "../../model/checkpoint.ts";
import { disposeWeights } from "../../model/weights.ts";
import { readStepRows } from "./metrics_log.ts";

/**
 * Hex sha256 of a file's bytes.
 * @example
 * ```ts
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "abc");
 * const hex = await sha256File(path);
 * if (hex !== "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") {
 *   throw new Error(hex);
 * }
 * await Deno.remove(path);
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What the shipped README records (also written as build.json beside it). */
export interface BuildRecord {
  command: string;
  config: Record<string, unknown>;
  /** the pretraining corpus' seed; null for a fine-tuned model */
  corpus_seed: number | null;
  steps: number;
  train_tokens: number;
  /** training wall time: the steps' and evaluations' seconds summed over every resumed segment */
  wall_seconds: number;
  /** mean training loss over the last 50 steps (nats/token) */
  final_train_loss: number;
  /** held-out loss after the last step (nats/token) */
  final_val_loss: number;
  sha256: string;
  bytes: number;
}

const MODEL_FILES = ["config.json", "model.safetensors"];
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json"];

/**
 * The command line that rebuilds an exported folder: `convrec <command>` with the options it ran with,
 * less `--resume` (a resumed run rebuilds the same weights as one uninterrupted run).
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(
 *   rebuildCommand("sft", ["--run", "a", "--resume"]),
 *   "npx -y deno@2.9.6 task cli sft --run a",
 * );
 * ```
 */
export function rebuildCommand(command: string, argv: readonly string[]): string {
  return [`npx -y deno@2.9.6 task cli ${command}`, ...argv.filter((a) => a !== "--resume")].join(
    " ",
  );
}

/** What {@link exportModelFolder} needs besides the folders. */
export interface ExportInfo {
  /** the command that rebuilds the folder (in the README) */
  command: string;
  /** the README's heading */
  title: string;
  /** tokens trained on (pretraining: corpus tokens seen; SFT: completion tokens) */
  trainTokens: number;
  /** the checkpoint folder inside `runDir` to ship @default "final" */
  source?: string;
  /** more README lines (markdown), after the table */
  notes?: string;
}

/**
 * Copy the checkpoint `runDir/<source>` into `outDir` (atomically, replacing it) in BF16 — files copied
 * when already BF16, else converted — with its tokenizer, README.md and build.json.
 * @example Needs a finished training run folder (config.json, metrics.jsonl, a checkpoint)
 * ```ts ignore
 * await exportModelFolder("runs/pretrain-base", "data/models/builtin-base", {
 *   command: "pretrain",
 *   title: "builtin-base",
 *   trainTokens: 1_000_000,
 * });
 * ```
 */
export async function exportModelFolder(
  runDir: string,
  outDir: string,
  info: ExportInfo,
): Promise<BuildRecord> {
  const source = join(runDir, info.source ?? "final");
  const config = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
  const { rows } = await readStepRows(join(runDir, "metrics.jsonl"));
  const train = rows.filter((r) => r.phase === "train");
  const evals = rows.filter((r) => r.phase === "eval");
  const last = train.slice(-50);
  const corpusSeed = config.corpus?.seed;
  const record: BuildRecord = {
    command: info.command,
    config,
    corpus_seed: typeof corpusSeed === "number" ? corpusSeed : null,
    steps: train.at(-1)?.step ?? 0,
    train_tokens: info.trainTokens,
    wall_seconds: Math.round(
      rows.reduce((s, r) => s + Number(r.step_s ?? 0) + Number(r.eval_s ?? 0), 0),
    ),
    final_train_loss: last.reduce((s, r) => s + Number(r.loss), 0) / Math.max(1, last.length),
    final_val_loss: Number(evals.at(-1)?.loss ?? NaN),
    sha256: "",
    bytes: 0,
  };
  const bf16 = JSON.parse(await Deno.readTextFile(join(source, "config.json"))).torch_dtype ===
    "bfloat16";
  await Deno.mkdir(dirname(outDir), { recursive: true });
  await writeDirAtomic(outDir, async (tmp) => {
    if (bf16) {
      for (const f of MODEL_FILES) await Deno.copyFile(join(source, f), join(tmp, f));
    } else {
      const { config: modelConfig, weights } = await loadCheckpoint(source);
      try {
        await writeCheckpointFiles(tmp, weights, modelConfig, { dtype: "BF16" });
      } finally {
        disposeWeights(weights);
      }
    }
    for (const f of TOKENIZER_FILES) await Deno.copyFile(join(source, f), join(tmp, f));
    const weightsFile = join(tmp, "model.safetensors");
    record.sha256 = await sha256File(weightsFile);
    record.bytes = (await Deno.stat(weightsFile)).size;
    await Deno.writeTextFile(join(tmp, "build.json"), JSON.stringify(record, null, 2) + "\n");
    await Deno.writeTextFile(join(tmp, "README.md"), readme(info.title, record, info.notes));
  });
  return record;
}

function readme(title: string, r: BuildRecord, notes?: string): string {
  const m = r.config.model_config as Record<string, unknown>;
  return `# ${title}

Built by this project's own command (from the repository root, on a 2-core CPU):

\`\`\`sh
${r.command}
\`\`\`

| what | value |
| --- | --- |
| model | Qwen2 layout, hidden ${m.hidden_size}, ${m.num_hidden_layers} layers, ${m.num_attention_heads} heads / ${m.num_key_value_heads} KV heads, MLP ${m.intermediate_size}, vocab ${m.vocab_size}, tied embeddings |
${
    r.corpus_seed === null
      ? ""
      : `| corpus seed | ${r.corpus_seed} |\n`
  }| optimizer steps | ${r.steps} |
| training tokens | ${r.train_tokens} |
| wall time | ${(r.wall_seconds / 60).toFixed(1)} min |
| final training loss (mean of the last 50 steps) | ${r.final_train_loss.toFixed(4)} nats/token |
| held-out loss after the last step | ${r.final_val_loss.toFixed(4)} nats/token |
| model.safetensors | BF16, ${r.bytes} bytes |
| sha256 of model.safetensors | \`${r.sha256}\` |

The full run config (${
    r.corpus_seed === null ? "data, init" : "corpus knobs"
  }, dims, optimiser, seed) is \`build.json\`'s \`config\`; the rebuild is
deterministic for that config on the same backend, up to float summation order.
${notes === undefined ? "" : `\n${notes}\n`}`;
}
