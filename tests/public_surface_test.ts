// The public surfaces re-export the modules added since: lib/experiment (training inputs, checkpoint
// evaluation, paper and ablation runs) and lib/model (the token embedding's helpers), reachable
// through lib/mod.ts.
import { assertEquals } from "./_assert.ts";
import { experiment, model, optim, pretrain, rlLoop, sft, trainRun } from "../lib/mod.ts";

/** `[name, typeof ns[name]]` for each name. */
function kinds(ns: Record<string, unknown>, names: readonly string[]): [string, string][] {
  return names.map((n) => [n, typeof ns[n]]);
}

Deno.test("lib/experiment and lib/model mod.ts re-export training_inputs, checkpoint_eval, embedding", () => {
  const notebookFns = [
    "cachedTrainingInputs",
    "writeDistilledInputs",
    "dedupeDemonstrations",
    "greedyEval",
    "cachedGreedyEval",
    "paperRlRuns",
  ];
  const modelFns = ["tokenSegments", "segmentSumRows", "embeddingGrad", "embedTokens"];
  assertEquals(kinds(experiment, notebookFns), notebookFns.map((n) => [n, "function"]));
  assertEquals(kinds(model, modelFns), modelFns.map((n) => [n, "function"]));
  assertEquals(experiment.DEMONSTRATION_SOURCES, ["distilled", "stand-in"]);
  // ids [3, 1, 3], dy rows [1,2] [3,4] [5,6] → id 3: [6, 8], id 1: [3, 4]
  const seg = model.tokenSegments(new Int32Array([3, 1, 3]));
  assertEquals(Array.from(seg.unique), [3, 1]);
  assertEquals(Array.from(model.segmentSumRows(new Float32Array([1, 2, 3, 4, 5, 6]), seg, 2)), [
    6,
    8,
    3,
    4,
  ]);
});

Deno.test("lib/mod.ts exports train (SFT, RL loop, optimizer, run folder, pretrain) and the notebook knobs", () => {
  const surfaces: [string, Record<string, unknown>, string[]][] = [
    ["sft", sft, ["runSft", "sftStep", "parseSftConfig", "buildExamples"]],
    ["rlLoop", rlLoop, ["runRl", "rlStep", "completionLogprobs"]],
    ["optim", optim, ["adamwInit", "adamwUpdate", "globalNorm"]],
    ["trainRun", trainRun, ["readStepRows", "prepareRunFolder"]],
    ["pretrain", pretrain, ["runPretrain", "baseModelConfig"]],
    ["experiment", experiment, ["parseNotebookParams", "notebookDistillConfig"]],
  ];
  for (const [name, ns, fns] of surfaces) {
    assertEquals(kinds(ns, fns), fns.map((n) => [n, "function"]), name);
  }
});
