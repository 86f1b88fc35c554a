// Runs headless-chromium jobs in a `deno run -A` subprocess (browser_worker.ts), so callers need only
// --allow-run: playwright-core cannot load under narrower Deno permissions.

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type {
  BrowserJob,
  ImagesAnswer,
  ImagesJob,
  InspectAnswer,
  InspectJob,
} from "./browser_worker.ts";
import { chromiumUnavailable, DEFAULT_CHROMIUM } from "./chromium.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Runs one job in the browser worker and returns its answer; throws with the worker's stderr.
 * @example
 * const a = await runBrowserJob({ kind: "inspect", path: "/tmp/r.html", selector: ".main-svg",
 *   screenshotPath: "/tmp/r.png", timeoutMs: 10000 });
 */
export async function runBrowserJob(job: ImagesJob): Promise<ImagesAnswer>;
export async function runBrowserJob(job: InspectJob): Promise<InspectAnswer>;
export async function runBrowserJob(job: BrowserJob): Promise<ImagesAnswer | InspectAnswer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(HERE, "browser_worker.ts")],
    cwd: resolve(HERE, "..", ".."), // the project root: its deno.json maps "playwright-core"
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(job)));
  await writer.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !stdout.startsWith("{")) {
    throw new Error(
      `browser.ts: ${job.kind} job failed (exit ${out.code}): ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
  return JSON.parse(stdout.split("\n").pop()!);
}

/** Options of {@link inspectHtml}. */
export interface InspectOptions {
  /** CSS selector that must render; @default ".main-svg" (a drawn plotly figure) */
  selector?: string;
  /** Where to write the full-page PNG screenshot. */
  screenshotPath: string;
  /** @default 15000 */
  timeoutMs?: number;
  /** @default "/usr/bin/chromium" */
  chromiumPath?: string;
}

/**
 * Opens an HTML file in headless chromium and reports how many `selector` elements rendered, the
 * screenshot size and page errors. Throws when chromium is absent.
 * @example
 * const r = await inspectHtml("/abs/runs/smoke/00_smoke.html", { screenshotPath: "/tmp/shot.png" });
 * console.log(r.selectorCount > 0 ? "plots rendered" : "no plots");
 */
export async function inspectHtml(path: string, opts: InspectOptions): Promise<InspectAnswer> {
  const chromiumPath = opts.chromiumPath ?? DEFAULT_CHROMIUM;
  const why = chromiumUnavailable(chromiumPath);
  if (why !== undefined) throw new Error(`inspectHtml: ${why}`);
  return await runBrowserJob({
    kind: "inspect",
    path: resolve(path),
    selector: opts.selector ?? ".main-svg",
    screenshotPath: resolve(opts.screenshotPath),
    timeoutMs: opts.timeoutMs ?? 15000,
    chromiumPath,
  });
}
