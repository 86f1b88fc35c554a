// One way to parse a strict config at a boundary: every offending key named with what was expected,
// prefixed by where the config came from. Not in the paper.
import type { z } from "zod";

/**
 * Parse `input` with `schema`; on failure throw `${source}: "key": message; unknown key(s) "x"`.
 * @example parseStrictConfig(SftConfigSchema, json, "runs/a/config.json");
 */
export function parseStrictConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  source: string,
): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) =>
    i.code === "unrecognized_keys"
      ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`
      : `"${i.path.join(".")}": ${i.message}`
  );
  throw new Error(`${source}: ${problems.join("; ")}`);
}
