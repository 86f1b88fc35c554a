// Progress for long steps (distill, SFT, RL, eval): a reporter gets one record per step and prints one
// grep-able line in a terminal, or updates one live display (display_id) in a Jupyter notebook.

import { type JupyterApi, jupyterApi, showBundle } from "./display.ts";

/** What a reporter needs from a step record: its step number; other fields are shown as key=value. */
export interface StepLike {
  readonly step: number;
}

/** A step record with any other fields (the default record type of reporters). */
export type StepRecordLike = StepLike & Readonly<Record<string, unknown>>;

/** Receives one record per step. All reporters share this signature. */
export type Reporter<R extends StepLike = StepRecordLike> = (record: R) => Promise<void>;

/** Options of {@link reporter}. */
export interface ReporterOptions {
  /** Name of the long step, e.g. "sft" or "rl". */
  label: string;
  /** Total steps if known (shows "12/200" and a bar). */
  total?: number;
  /** "auto" picks notebook inside Jupyter, else terminal; @default "auto" */
  mode?: "auto" | "terminal" | "notebook" | "null";
  /** Terminal sink; @default console.log */
  write?: (line: string) => void;
  /** Clock in ms; @default performance.now */
  now?: () => number;
  /** Notebook: minimum ms between display updates (the last step always updates); @default 200 */
  minIntervalMs?: number;
  /** Notebook display id; @default derived from label and start time */
  displayId?: string;
  /** Notebook kernel API; @default jupyterApi() */
  api?: JupyterApi;
}

/**
 * A number for a progress line: integers as is, others with 4 significant digits.
 * @example
 * ```ts
 * if (formatValue(0.123456) !== "0.1235") throw new Error("expected 4 significant digits");
 * if (formatValue(12) !== "12") throw new Error("expected the integer as is");
 * if (formatValue({ a: 1 }) !== undefined) throw new Error("objects are not shown");
 * ```
 */
export function formatValue(value: unknown): string | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "number")) {
    return `[${
      value.map((v) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3))))).join(
        ",",
      )
    }]`;
  }
  return undefined; // objects, null, undefined: not shown
}

/**
 * One progress line: `[label] step 12/200 loss=1.235 reward=[0.5,0.25] | 3.2s`.
 * @example
 * ```ts
 * const record = { step: 3, loss: 1.23456 };
 * const line = formatProgressLine("sft", record, { total: 10, elapsedMs: 1500 });
 * if (line !== "[sft] step 3/10 loss=1.235 | 1.5s") throw new Error(line);
 * ```
 */
export function formatProgressLine(
  label: string,
  record: StepLike | StepRecordLike,
  opts: { total?: number; elapsedMs: number },
): string {
  const fields = Object.entries(record)
    .filter(([k]) => k !== "step")
    .map(([k, v]) => [k, formatValue(v)] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  const step = opts.total === undefined ? `${record.step}` : `${record.step}/${opts.total}`;
  return [`[${label}] step ${step}`, ...fields].join(" ") +
    ` | ${(opts.elapsedMs / 1000).toFixed(1)}s`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The live notebook display of one progress line (HTML with a bar, plus text/plain). */
export function progressBundle(line: string, step: number, total?: number): Record<string, string> {
  const bar = total === undefined
    ? ""
    : `<progress value="${step}" max="${total}" style="width:12em"></progress> `;
  return {
    "text/html": `<div class="convrec-progress">${bar}<code>${escapeHtml(line)}</code></div>`,
    "text/plain": line,
  };
}

/**
 * A reporter: in a terminal it prints one line per step; in Jupyter it shows one display and
 * updates it in place (throttled); "null" ignores records. Same signature everywhere.
 * @example A terminal reporter with its lines collected and a fixed clock
 * ```ts
 * const lines: string[] = [];
 * const onStep = reporter({ label: "sft", total: 3, write: (l) => lines.push(l), now: () => 0 });
 * for (let step = 1; step <= 3; step++) await onStep({ step, loss: 1 / step });
 * if (lines[2] !== "[sft] step 3/3 loss=0.3333 | 0.0s") throw new Error(lines[2]);
 * ```
 */
export function reporter<R extends StepLike = StepRecordLike>(opts: ReporterOptions): Reporter<R> {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const api = opts.api ?? jupyterApi();
  const mode = opts.mode === undefined || opts.mode === "auto"
    ? (api ? "notebook" : "terminal")
    : opts.mode;
  if (mode === "null") return nullReporter;
  if (mode === "terminal") {
    const write = opts.write ?? ((line: string) => console.log(line));
    return (record) => {
      write(
        formatProgressLine(opts.label, record, { total: opts.total, elapsedMs: now() - start }),
      );
      return Promise.resolve();
    };
  }
  if (api === undefined) {
    throw new Error(`reporter: mode "notebook" for "${opts.label}" but not in a Jupyter kernel`);
  }
  const displayId = opts.displayId ?? `convrec-progress-${opts.label}-${Math.round(start)}`;
  const minInterval = opts.minIntervalMs ?? 200;
  let shown = false;
  let lastUpdate = -Infinity;
  return async (record) => {
    const t = now();
    const last = opts.total !== undefined && record.step >= opts.total;
    if (shown && !last && t - lastUpdate < minInterval) return;
    const line = formatProgressLine(opts.label, record, {
      total: opts.total,
      elapsedMs: t - start,
    });
    await showBundle(progressBundle(line, record.step, opts.total), {
      api,
      displayId,
      update: shown,
    });
    shown = true;
    lastUpdate = t;
  };
}

/**
 * A reporter that ignores every record.
 * @example
 * ```ts
 * await nullReporter({ step: 1 }); // same signature as reporter(…), prints nothing
 * ```
 */
export const nullReporter: Reporter<StepLike> = () => Promise.resolve();
