import { assert, assertEquals } from "../_assert.ts";
import {
  formatProgressLine,
  formatValue,
  inJupyter,
  type JupyterApi,
  jupyterApi,
  nullReporter,
  reporter,
  showFigure,
} from "../../lib/notebook/mod.ts";
import { lineChart } from "../../lib/report/mod.ts";

/** A fake kernel API recording display calls. */
function fakeApi(): {
  api: JupyterApi;
  calls: { bundle: Record<string, string>; opts: Record<string, unknown> }[];
} {
  const calls: { bundle: Record<string, string>; opts: Record<string, unknown> }[] = [];
  return {
    calls,
    api: {
      display: (obj, opts) => {
        calls.push({ bundle: obj as Record<string, string>, opts: { ...opts } });
        return Promise.resolve();
      },
    },
  };
}

Deno.test("outside Jupyter: detection is false, show functions are no-ops", async () => {
  assertEquals(jupyterApi(), undefined);
  assertEquals(inJupyter(), false);
  await showFigure(lineChart([{ name: "a", y: [1] }])); // must not throw
});

Deno.test("formatValue and formatProgressLine", () => {
  assertEquals(formatValue(3), "3");
  assertEquals(formatValue(0.123456), "0.1235");
  assertEquals(formatValue([0.5, 0.25, 1 / 3]), "[0.5,0.25,0.333]");
  assertEquals(formatValue({ a: 1 }), undefined);
  assertEquals(
    formatProgressLine("sft", { step: 3, loss: 1.23456, phase: "train", note: null }, {
      total: 10,
      elapsedMs: 1500,
    }),
    "[sft] step 3/10 loss=1.235 phase=train | 1.5s",
  );
});

Deno.test("terminal reporter: one line per step with elapsed time", async () => {
  const lines: string[] = [];
  let t = 1000;
  const onStep = reporter({
    label: "rl",
    total: 2,
    mode: "terminal",
    write: (l) => lines.push(l),
    now: () => t,
  });
  t = 1500;
  await onStep({ step: 1, reward: 0.5 });
  t = 3000;
  await onStep({ step: 2, reward: 0.75 });
  assertEquals(lines, ["[rl] step 1/2 reward=0.5 | 0.5s", "[rl] step 2/2 reward=0.75 | 2.0s"]);
});

Deno.test("notebook reporter: one display, then throttled in-place updates, last step always shown", async () => {
  const { api, calls } = fakeApi();
  let t = 0;
  const onStep = reporter({
    label: "sft",
    total: 4,
    api,
    now: () => t,
    minIntervalMs: 100,
    displayId: "p1",
  });
  for (const [step, time] of [[1, 10], [2, 50], [3, 200], [4, 210]]) {
    t = time;
    await onStep({ step, loss: 1 / step });
  }
  // step 2 is within 100 ms of step 1 (skipped); step 4 is the last (always shown).
  assertEquals(calls.map((c) => [c.opts.display_id, c.opts.update ?? false]), [["p1", false], [
    "p1",
    true,
  ], [
    "p1",
    true,
  ]]);
  assertEquals(calls[2].bundle["text/plain"], "[sft] step 4/4 loss=0.25 | 0.2s");
  assert(calls[2].bundle["text/html"].includes('<progress value="4" max="4"'));
  await nullReporter({ step: 1 });
});

Deno.test("reporter: auto mode picks terminal outside Jupyter; notebook mode demands a kernel", () => {
  const lines: string[] = [];
  const onStep = reporter({ label: "x", write: (l) => lines.push(l) });
  void onStep({ step: 1 });
  assertEquals(lines.length, 1);
  let message = "";
  try {
    reporter({ label: "x", mode: "notebook" });
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes('mode "notebook" for "x" but not in a Jupyter kernel'), message);
});
