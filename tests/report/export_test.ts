// Real-browser tests: SVG/PNG export through Debian chromium, standalone HTML rendered by plotly.
import { assert, assertEquals } from "../_assert.ts";
import {
  barChart,
  chromiumUnavailable,
  exportFigures,
  inspectHtml,
  lineChart,
  plotlyJsPath,
  table,
} from "../../lib/report/mod.ts";
import { pngSize, svgSize } from "./_image.ts";

const noChromium = chromiumUnavailable();
const skip = noChromium === undefined ? "" : ` (skipped: ${noChromium})`;
if (noChromium !== undefined) {
  console.warn(`tests/report/export_test.ts: skipping browser tests: ${noChromium}`);
}

const figs = [
  {
    name: "curves",
    figure: lineChart([{ name: "rank 1", y: [0.1, 0.3, 0.4] }, {
      name: "rank 2",
      y: [0.05, 0.2, 0.25],
    }], { title: "reward" }),
  },
  {
    name: "bars",
    figure: barChart([{ name: "GRPO", bars: [{ x: "recall@5", values: [0.1, 0.12, 0.11] }] }]),
  },
  {
    name: "results",
    figure: table([{ algo: "grpo", recall: 0.11 }, { algo: "rank_grpo", recall: 0.14 }]),
  },
];

/** A page is far below plotly.js's size when it loads the shared copy instead of inlining it. */
const PAGE_MAX_BYTES = 100_000;

Deno.test({
  name: `exportFigures: SVG/PNG of the requested size and standalone HTML that renders${skip}`,
  ignore: noChromium !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "convrec-export-" });
    try {
      const t0 = performance.now();
      const r = await exportFigures(figs, { dir, width: 640, height: 360, scale: 2 });
      const totalMs = performance.now() - t0;
      console.log(
        `export: browser start ${r.browserStartMs.toFixed(0)} ms, per figure (svg+png) ` +
          `${r.perFigureMs.map((m) => m.toFixed(0)).join("/")} ms, total ${totalMs.toFixed(0)} ms`,
      );
      assertEquals(r.skipped, undefined);
      assertEquals(r.files.length, 10); // 3 × (svg, png, html) + the shared plotly.min.js
      assertEquals(r.files.filter((f) => !f.startsWith(`${dir}/`)), [], "paths under dir");
      assertEquals(r.files.filter((f) => f.endsWith("plotly.min.js")), [`${dir}/plotly.min.js`]);
      assertEquals(
        (await Deno.stat(`${dir}/plotly.min.js`)).size,
        (await Deno.stat(plotlyJsPath())).size,
      );
      for (const { name } of figs) {
        assertEquals(pngSize(await Deno.readFile(`${dir}/${name}.png`)), {
          width: 1280,
          height: 720,
        }, name);
        const svg = await Deno.readTextFile(`${dir}/${name}.svg`);
        assertEquals(svgSize(svg), { width: 640, height: 360 }, name);
        assert(svg.includes('class="main-svg"'), `${name}.svg is a plotly render`);
      }
      for (const { name } of figs) {
        const bytes = (await Deno.stat(`${dir}/${name}.html`)).size;
        console.log(`${name}.html: ${bytes} bytes`);
        assert(bytes < PAGE_MAX_BYTES, `${name}.html is ${bytes} bytes: plotly.js inlined?`);
      }
      const shot = `${dir}/curves_shot.png`;
      const page = await inspectHtml(`${dir}/curves.html`, { screenshotPath: shot });
      console.log(
        `inspect: browser start ${page.browserStartMs.toFixed(0)} ms, load+render ${
          page.loadMs.toFixed(0)
        } ms`,
      );
      assert(
        page.selectorCount >= 1,
        `expected .main-svg in curves.html, got ${page.selectorCount}`,
      );
      assertEquals(page.pageErrors, []);
      assertEquals(page.externalRequests, [], "the page loads nothing from the network");
      const size = pngSize(await Deno.readFile(shot));
      assert(
        size.width > 0 && size.height > 0 && page.screenshotBytes > 1000,
        "non-empty screenshot",
      );
      // mailed: the page and plotly.min.js copied to another folder still render there
      const mailed = `${dir}/mailed`;
      await Deno.mkdir(mailed);
      for (const f of ["bars.html", "plotly.min.js"]) {
        await Deno.copyFile(`${dir}/${f}`, `${mailed}/${f}`);
      }
      const moved = await inspectHtml(`${mailed}/bars.html`, { screenshotPath: shot });
      assert(moved.selectorCount >= 1, `copied bars.html: ${moved.selectorCount} .main-svg`);
      assertEquals(moved.pageErrors, []);
      // the page alone: the figure names the missing file instead of staying blank
      await Deno.remove(`${mailed}/plotly.min.js`);
      const alone = await inspectHtml(`${mailed}/bars.html`, {
        screenshotPath: shot,
        selector: '[data-rendered="error"]',
      });
      assertEquals(alone.selectorCount, 1, "error text shown without plotly.min.js");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("exportFigures: without a browser, HTML is written and SVG/PNG skipped with a reason", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-export-" });
  try {
    const r = await exportFigures([figs[0]], { dir, chromiumPath: "/nonexistent/chromium" });
    assert(r.skipped?.includes("no browser at /nonexistent/chromium"), r.skipped);
    assertEquals(r.files, [`${dir}/plotly.min.js`, `${dir}/curves.html`]);
    const page = await Deno.readTextFile(`${dir}/curves.html`);
    assert(page.includes('<script src="plotly.min.js"'), "relative <script src>");
    assert(page.length < PAGE_MAX_BYTES, `${page.length} chars`);
    // a second export into the folder keeps the one shared copy; "inline" embeds plotly.js
    const again = await exportFigures([figs[1]], {
      dir,
      formats: ["html"],
      plotly: "inline",
    });
    assertEquals(again.files, [`${dir}/bars.html`]);
    assert((await Deno.stat(`${dir}/bars.html`)).size > 1_000_000, "inline page holds plotly.js");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exportFigures: rejects unsafe or duplicate names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-export-" });
  try {
    let message = "";
    await exportFigures([{ name: "../x", figure: figs[0].figure }], { dir, formats: ["html"] })
      .catch((e) => message = e.message);
    assert(message.includes('figs[0].name "../x"'), message);
    await exportFigures([figs[0], figs[0]], { dir, formats: ["html"] }).catch((e) =>
      message = e.message
    );
    assert(message.includes("duplicate name"), message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
