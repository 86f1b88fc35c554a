// Command-line argument parsing: `--name value`, `--name=value` and boolean `--flag`, validated
// against a strict zod schema so a misspelt option fails with the list of valid ones.

import { z } from "zod";

/** Raw options: strings for valued options, `true` for bare flags. */
export type RawOptions = Record<string, string | true>;

/**
 * Splits argv into `--key value` / `--key=value` / `--flag` options and positional words.
 * A value that itself starts with `--` must use the `--key=value` spelling.
 * @example splitArgs(["score", "--k", "5,10", "--skip-invalid"]) // { positional: ["score"], options: { k: "5,10", "skip-invalid": true } }
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
 * @example parseOptions(z.strictObject({ k: z.string() }), { k: "5" }) // { k: "5" }
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
 * @example optionArgv({ run: "a", resume: true }) // ["--run", "a", "--resume"]
 */
export function optionArgv(raw: RawOptions): string[] {
  return Object.entries(raw).flatMap(([k, v]) => v === true ? [`--${k}`] : [`--${k}`, String(v)]);
}
