// Subprocess entry for headless-chromium jobs (figure images, HTML page checks). playwright-core
// needs `-A` under Deno (it probes /proc/sys at import), so callers spawn this via browser.ts.

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { withChromium } from "./chromium.ts";
import type { Figure } from "./figure.ts";
import { plotlyJsPath } from "./figure_html.ts";

/** Render SVG/PNG images of figures into `dir`. */
export interface ImagesJob {
  kind: "images";
  figs: { name: string; figure: Figure }[];
  formats: ("svg" | "png")[];
  dir: string;
  width: number;
  height: number;
  scale: number;
  chromiumPath?: string;
}

/** Open an HTML file, wait for `selector`, count matches and screenshot the page. */
export interface InspectJob {
  kind: "inspect";
  path: string;
  selector: string;
  screenshotPath: string;
  timeoutMs: number;
  chromiumPath?: string;
}

/** A job for the worker. */
export type BrowserJob = ImagesJob | InspectJob;

/** Worker answer to an {@link ImagesJob}. */
export interface ImagesAnswer {
  files: string[];
  browserStartMs: number;
  perFigureMs: number[];
}

/** Worker answer to an {@link InspectJob}. */
export interface InspectAnswer {
  selectorCount: number;
  screenshotBytes: number;
  pageErrors: string[];
  /** URLs the page requested other than file: and data: ones (empty for an offline page). */
  externalRequests: string[];
  browserStartMs: number;
  loadMs: number;
}

/** Runs inside the page: Plotly.toImage → data URL. */
async function toImageInPage(
  args: { figure: Figure; format: "svg" | "png"; width: number; height: number; scale: number },
): Promise<string> {
  const plotly = (globalThis as unknown as {
    Plotly: { toImage: (fig: unknown, opts: Record<string, unknown>) => Promise<string> };
  }).Plotly;
  const { figure, format, width, height, scale } = args;
  return await plotly.toImage(
    { data: figure.data, layout: { ...figure.layout, width, height }, config: figure.config ?? {} },
    { format, width, height, scale },
  );
}

/** Decodes a `data:` URL from Plotly.toImage (base64 or percent-encoded). */
export function decodeDataUrl(url: string): Uint8Array {
  const comma = url.indexOf(",");
  if (!url.startsWith("data:") || comma < 0) {
    throw new Error(`decodeDataUrl: expected a data: URL, got "${url.slice(0, 40)}"`);
  }
  const body = url.slice(comma + 1);
  if (url.slice(0, comma).endsWith(";base64")) {
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  }
  return new TextEncoder().encode(decodeURIComponent(body));
}

/** Starts chromium once, loads plotly.js into a blank page, writes every figure's images. */
export async function runImagesJob(job: ImagesJob): Promise<ImagesAnswer> {
  const t0 = performance.now();
  const answer: ImagesAnswer = { files: [], browserStartMs: 0, perFigureMs: [] };
  // A file:// page with <script src> loads plotly.js faster than addScriptTag (≈1.4 vs 2.5 s here).
  const blank = await Deno.makeTempFile({ prefix: "convrec-plotly-", suffix: ".html" });
  await Deno.writeTextFile(
    blank,
    `<!DOCTYPE html><html><body><script src="${
      pathToFileURL(plotlyJsPath()).href
    }"></script></body></html>`,
  );
  await withChromium(async (context) => {
    const page = await context.newPage();
    await page.goto(pathToFileURL(blank).href);
    await page.waitForFunction(() => "Plotly" in globalThis);
    answer.browserStartMs = performance.now() - t0;
    for (const f of job.figs) {
      const t1 = performance.now();
      for (const format of job.formats) {
        const url = await page.evaluate(toImageInPage, {
          figure: f.figure,
          format,
          width: job.width,
          height: job.height,
          scale: format === "png" ? job.scale : 1,
        });
        const path = join(job.dir, `${f.name}.${format}`);
        await writeFileAtomic(path, decodeDataUrl(url));
        answer.files.push(path);
      }
      answer.perFigureMs.push(performance.now() - t1);
    }
  }, { chromiumPath: job.chromiumPath }).finally(() => Deno.remove(blank).catch(() => {}));
  return answer;
}

/** Opens `job.path`, waits for the selector, counts it and writes a full-page PNG screenshot. */
export async function runInspectJob(job: InspectJob): Promise<InspectAnswer> {
  const t0 = performance.now();
  return await withChromium(async (context) => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    const externalRequests: string[] = [];
    page.on("request", (req) => {
      if (!/^(file|data):/.test(req.url())) externalRequests.push(req.url());
    });
    const browserStartMs = performance.now() - t0;
    const t1 = performance.now();
    await page.goto(pathToFileURL(job.path).href, { waitUntil: "domcontentloaded" });
    await page.waitForSelector(job.selector, { timeout: job.timeoutMs }).catch(() => {});
    const selectorCount = await page.locator(job.selector).count();
    const loadMs = performance.now() - t1;
    const shot = await page.screenshot({ fullPage: true, type: "png" });
    await writeFileAtomic(job.screenshotPath, new Uint8Array(shot));
    return {
      selectorCount,
      screenshotBytes: shot.length,
      pageErrors,
      externalRequests,
      browserStartMs,
      loadMs,
    };
  }, { chromiumPath: job.chromiumPath });
}

if (import.meta.main) {
  const job = JSON.parse(await new Response(Deno.stdin.readable).text()) as BrowserJob;
  let answer: ImagesAnswer | InspectAnswer;
  if (job.kind === "images") answer = await runImagesJob(job);
  else if (job.kind === "inspect") answer = await runInspectJob(job);
  else {throw new Error(
      `browser_worker.ts: job.kind: expected "images" or "inspect", got ${JSON.stringify(job)}`,
    );}
  console.log(JSON.stringify(answer));
}
