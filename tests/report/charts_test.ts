import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import {
  barChart,
  decodeDataUrl,
  figureBundle,
  figureDiv,
  figureHtml,
  fnv1a,
  formatTable,
  lineChart,
  meanStd,
  plotlyLibraryBundle,
  scriptJson,
  table,
} from "../../lib/report/mod.ts";

Deno.test("lineChart: one scatter trace per series, default x, gaps for non-finite", () => {
  const fig = lineChart(
    [{ name: "rank 1", y: [0.1, NaN, 0.3] }, {
      name: "rank 2",
      x: [10, 20, 30],
      y: [1, 2, 3],
      dash: "dot",
    }],
    { title: "Per-rank reward", xTitle: "step", logY: true },
  );
  assertEquals(fig.data.length, 2);
  assertEquals(fig.data[0].x, [0, 1, 2]);
  assertEquals(fig.data[0].y, [0.1, null, 0.3]);
  assertEquals(fig.data[1].x, [10, 20, 30]);
  assertEquals((fig.data[1].line as { dash: string }).dash, "dot");
  assertEquals(fig.layout.title, { text: "Per-rank reward" });
  assertEquals((fig.layout.yaxis as { type: string }).type, "log");
  assertEquals(JSON.parse(JSON.stringify(fig)), fig); // plain JSON data
});

Deno.test("lineChart: x/y length mismatch names the series", () => {
  assertThrows(
    () => lineChart([{ name: "a", y: [1] }, { name: "b", x: [1, 2], y: [1] }]),
    'series[1] "b": x has 2',
  );
});

Deno.test("meanStd: hand-computed sample std", () => {
  const s = meanStd([2, 4, 4, 4, 5, 5, 7, 9]); // mean 5, Σ(v−5)² = 32, 32/7
  assertEquals(s.mean, 5);
  assertAlmostEquals(s.std, Math.sqrt(32 / 7), 1e-12);
  assertEquals(meanStd([3]), { mean: 3, std: 0, n: 1 });
});

Deno.test("barChart: mean ± std per category, grouped", () => {
  const fig = barChart([
    {
      name: "GRPO",
      bars: [{ x: "recall@5", values: [0.1, 0.2, 0.3] }, { x: "ndcg@5", values: [0.5] }],
    },
  ]);
  const trace = fig.data[0];
  assertEquals(trace.type, "bar");
  assertEquals(trace.x, ["recall@5", "ndcg@5"]);
  assertAlmostEquals((trace.y as number[])[0], 0.2, 1e-12);
  assertAlmostEquals((trace.error_y as { array: number[] }).array[0], 0.1, 1e-12);
  assertEquals((trace.error_y as { array: number[] }).array[1], 0);
  assertEquals(trace.customdata, [3, 1]);
  assertEquals(fig.layout.barmode, "group");
  assertThrows(
    () => barChart([{ name: "x", bars: [{ x: "a", values: [] }] }]),
    'bars[0] "a": expected ≥1 value',
  );
});

Deno.test("table and formatTable: columns in first-seen order, digits, alignment", () => {
  const rows = [{ algo: "grpo", recall: 0.12345 }, { algo: "rank_grpo", recall: 0.2, steps: 10 }];
  const fig = table(rows, { digits: 2 });
  assertEquals((fig.data[0].header as { values: string[] }).values, ["algo", "recall", "steps"]);
  assertEquals((fig.data[0].cells as { values: string[][] }).values, [["grpo", "rank_grpo"], [
    "0.12",
    "0.20",
  ], [
    "",
    "10",
  ]]);
  assertEquals(
    formatTable(rows, { columns: ["algo", "recall"], digits: 2 }),
    "algo       recall\n---------  ------\ngrpo         0.12\nrank_grpo    0.20",
  );
});

Deno.test("figure HTML: script-safe JSON, hash-keyed div, bundle MIME types", () => {
  assertEquals(fnv1a("abc"), "1a47e90b");
  assertEquals(scriptJson({ s: "</script><b>\u2028" }), '{"s":"\\u003c/script>\\u003cb>\\u2028"}');
  const fig = lineChart([{ name: "</script>", y: [1, 2] }], { title: "t" });
  const div = figureDiv(fig);
  assert(
    !div.slice(div.indexOf("<script>") + 8, div.lastIndexOf("</script>")).includes("</script"),
  );
  assert(div.includes(`data-convrec-figure="${fnv1a(scriptJson({ ...fig, config: {} }))}"`));
  const bundle = figureBundle(fig);
  assertEquals(Object.keys(bundle).sort(), [
    "application/vnd.plotly.v1+json",
    "text/html",
    "text/plain",
  ]);
  assertEquals(bundle["text/plain"], "<Figure: t; 1 trace(s)>");
  const page = figureHtml(fig, { plotlySrc: "plotly.min.js" });
  assert(
    page.startsWith("<!DOCTYPE html>") && page.includes('<script src="plotly.min.js" onerror='),
  );
  const lib = plotlyLibraryBundle("/** plotly.js v9.9.9 */ var x = '</script>';");
  assert((lib["text/html"] as string).includes("<\\/script>"));
  assertEquals(lib["text/plain"], "plotly.js 9.9.9 loaded");
});

Deno.test("figureHtml inline: embeds plotly.js from node_modules", () => {
  const page = figureHtml({ data: [{ type: "bar", y: [1] }], layout: {} });
  assert(page.length > 1_000_000, `expected plotly.js inline, page has ${page.length} chars`);
  assert(page.includes("window.Plotly"));
});

Deno.test("decodeDataUrl: base64 and percent-encoded", () => {
  assertEquals(new TextDecoder().decode(decodeDataUrl("data:image/svg+xml,%3Csvg%3E")), "<svg>");
  assertEquals([...decodeDataUrl("data:image/png;base64,AAEC")], [0, 1, 2]);
  assertThrows(() => decodeDataUrl("http://x"), "expected a data: URL");
});
