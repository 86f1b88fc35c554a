// exportNotebookFigures: the notebooks' last cell — skips when figures_dir is "", else exports and
// logs one line.
import { assertEquals } from "../_assert.ts";
import { exportNotebookFigures } from "../../lib/notebook/figure_export.ts";
import { lineChart } from "../../lib/report/mod.ts";

const figures = [{ name: "curves", figure: lineChart([{ name: "rank 1", y: [0.1, 0.3] }]) }];

Deno.test('exportNotebookFigures: figures_dir "" writes and logs nothing', async () => {
  const lines: string[] = [];
  const r = await exportNotebookFigures(figures, {
    figures_dir: "",
    figure_formats: ["html"],
    log: (l) => lines.push(l),
  });
  assertEquals([r, lines], [null, []]);
});

Deno.test("exportNotebookFigures: exports and logs the file count and formats", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-nb-export-" });
  try {
    const lines: string[] = [];
    const r = await exportNotebookFigures(figures, {
      figures_dir: dir,
      figure_formats: ["html"],
      log: (l) => lines.push(l),
    });
    assertEquals(r?.files, [`${dir}/plotly.min.js`, `${dir}/curves.html`]);
    assertEquals(lines, ["exported 2 files (html)"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
