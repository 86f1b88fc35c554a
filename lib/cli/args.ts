// Command-line argument parsing: `--name value`, `--name=value` and boolean `--flag`, validated
// against a strict zod schema so a misspelt option fails with the list of valid ones.

import { z } from "zod";

/** Raw options: strings for valued options, `true` for bare flags. */
export type RawOptions = Record<string, string | true>;

/**
 * Splits argv into `--key value` / `--key=value` / `--flag` options and positional words.
 * A value that itself starts with `--` must use the `--key=value` spelling.
 * @example
 * ```ts
 * const { positional, options } = splitArgs(["score", "--k", "5,10", "--skip-invalid"]);
 * // { positional: ["score"], options: { k: "5,10", "skip-invalid": true } }
 * if (positional.join() !== "score" || options.k !== "5,10" || options["skip-invalid"] !== true) {
 *   throw new Error(JSON.stringify(options));
 * }
 * ```
 */
export function splitArgs(argv: readonly string[]): { positional: string[]; options: RawOptions } {
  const positional: string[] = [];
  const options: RawOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (key === "") throw new UsageError(`empty option name in "${a}"`);
    if (key in options) throw new UsageError(`option --${key} given twice`);
    if (eq >= 0) options[key] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) options[key] = argv[++i];
    else options[key] = true;
  }
  return { positional, options };
}

/** An error in how a command was called; the CLI prints it with the command's usage. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Validates raw options with a strict schema; errors name the option and what was expected.
 * @example A misspelt option fails naming it
 * ```ts
 * import { z } from "zod";
 *
 * const schema = z.strictObject({ k: z.string() });
 * if (parseOptions(schema, { k: "5" }).k !== "5") throw new Error("expected k 5");
 * try {
 *   parseOptions(schema, { kk: "5" });
 *   throw new Error("expected a UsageError");
 * } catch (e) {
 *   if (!(e as Error).message.includes("unknown option --kk")) throw e;
 * }
 * ```
 */
export function parseOptions<S extends z.ZodType>(schema: S, options: RawOptions): z.infer<S> {
  const r = schema.safeParse(options);
  if (r.success) return r.data;
  const msgs = r.error.issues.map((iss) => {
    if (iss.code === "unrecognized_keys") {
      return `unknown option ${iss.keys.map((k) => `--${k}`).join(", ")}`;
    }
    const where = iss.path.length > 0 ? `--${iss.path.join(".")}` : "options";
    return `${where}: ${iss.message}`;
  });
  throw new UsageError(msgs.join("; "));
}

/** A comma-separated list of positive integers, e.g. `5,10,15,20`. */
export const intList = z.string().transform((s, ctx) => {
  const parts = s.split(",").map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || nums.some((n) => n <= 0)) {
    ctx.addIssue({
      code: "custom",
      message: `expected positive integers like 5,10,20, got "${s}"`,
    });
    return z.NEVER;
  }
  return nums;
});

/** A bare flag (`--skip-invalid`); `--flag=true|false` also accepted. */
export const flag = z.union([z.literal(true), z.enum(["true", "false"])]).transform((v) =>
  v === true || v === "true"
);

/**
 * Raw options back as command-line words (for a README's rebuild command).
 * @example
 * ```ts
 * const argv = optionArgv({ run: "a", resume: true });
 * if (argv.join(" ") !== "--run a --resume") throw new Error(argv.join(" "));
 * ```
 */
export function optionArgv(raw: RawOptions): string[] {
  return Object.entries(raw).flatMap(([k, v]) => v === true ? [`--${k}`] : [`--${k}`, String(v)]);
}

/**
 * A config key's command-line flag: snake_case → kebab-case.
 * @example
 * ```ts
 * if (flagOf("group_size") !== "group-size") throw new Error(flagOf("group_size"));
 * ```
 */
export function flagOf(key: string): string {
  return key.replaceAll("_", "-");
}

/** The inner type of a field without its `.default()` / `.optional()` wrappers, and its default. */
function unwrapField(field: z.ZodType): { inner: z.ZodType; default?: unknown } {
  let inner = field;
  let def: unknown = undefined;
  for (;;) {
    const d = inner.def as { type: string; defaultValue?: unknown; innerType?: z.ZodType };
    if (d.type === "default") def ??= d.defaultValue;
    if ((d.type === "default" || d.type === "optional") && d.innerType) inner = d.innerType;
    else return { inner, default: def };
  }
}

/** Whether a field's inner type takes a boolean (a bare `--flag`). */
function isBooleanField(inner: z.ZodType): boolean {
  const d = inner.def as { type: string; options?: z.ZodType[] };
  return d.type === "boolean" || (d.type === "union" && (d.options ?? []).some(isBooleanField));
}

/**
 * The command-line option of a config field: the field's own checks, the word coerced (numbers
 * `Number(word)`, booleans a bare flag or `=true|false`), always optional (the config supplies defaults).
 * @example
 * ```ts
 * import { z } from "zod";
 *
 * const mu = cliField(z.int().min(1).default(1));
 * if (mu.parse("2") !== 2 || mu.parse(undefined) !== undefined) throw new Error("mu");
 * ```
 */
export function cliField(field: z.ZodType): z.ZodType {
  const { inner } = unwrapField(field);
  if (isBooleanField(inner)) return flag.optional();
  if (inner.def.type === "number") {
    return z.preprocess((v) => (typeof v === "string" ? Number(v) : v), inner).optional();
  }
  return inner.optional();
}

/**
 * Options of a strict CLI schema derived from config fields: `--kebab-key` for every key of `shape`
 * (values validated by the field's own schema, see {@link cliField}).
 * @example
 * ```ts
 * import { z } from "zod";
 *
 * const schema = z.strictObject(cliOptions({ group_size: z.int().min(2) }));
 * if (schema.parse({ "group-size": "4" })["group-size"] !== 4) throw new Error("group-size");
 * ```
 */
export function cliOptions(shape: Record<string, z.ZodType>): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(shape).map(([k, f]) => [flagOf(k), cliField(f)]));
}

/**
 * Usage lines of config fields: `--kebab-key VALUE  description (default …)`, wrapped at `lineWidth`. The
 * value's placeholder is the field's meta `value` if set, else from its type (enum values, N for
 * integers, X for numbers, S for strings, none for flags).
 * @example
 * ```ts
 * import { z } from "zod";
 *
 * const usage = flagUsage({ mu: z.int().min(1).default(1).describe("policy updates") }, {
 *   indent: 10,
 * });
 * if (usage !== "  --mu N  policy updates (default 1)") throw new Error(JSON.stringify(usage));
 * ```
 */
export function flagUsage(
  shape: Record<string, z.ZodType>,
  options: { indent?: number; lineWidth?: number } = {},
): string {
  const { indent = 22, lineWidth = 100 } = options;
  return Object.entries(shape).map(([key, field]) => {
    const { inner, default: def } = unwrapField(field);
    const d = inner.def as { type: string; entries?: Record<string, string>; format?: string };
    const meta = z.globalRegistry.get(field) as { value?: string } | undefined;
    const value = isBooleanField(inner) ? "" : ` ${
      meta?.value ??
        (d.type === "enum"
          ? Object.values(d.entries ?? {}).join("|")
          : d.type === "number"
          ? ((inner as z.ZodNumber).isInt ? "N" : "X")
          : "S")
    }`;
    const head = `  --${flagOf(key)}${value}`;
    const text = `${field.description ?? ""}${def === undefined ? "" : ` (default ${def})`}`;
    const lines: string[] = [];
    let line = head.padEnd(indent);
    if (head.length + 1 > indent) [lines[0], line] = [head, " ".repeat(indent)];
    let fresh = true; // no word on this line yet
    for (const word of text.split(" ")) {
      if (!fresh && line.length + 1 + word.length > lineWidth) {
        lines.push(line);
        [line, fresh] = [" ".repeat(indent), true];
      }
      line += (fresh ? "" : " ") + word;
      fresh = false;
    }
    lines.push(line);
    return lines.join("\n");
  }).join("\n");
}
