// Stage 1 of ConvRec-R1 end to end (paper.md §5): teacher drafts → Remap → Reflect → Adjust → top-20
// catalog demonstrations as SFT records (JSONL + HF datasets folder), with the paper's ablations as one
// `variant` field and an optional evaluation of every variant. Departures are stated in remap.ts,
// reflect.ts and adjust.ts; the train subsample is drawn by conversation (paper: "25% of train").
import { join } from "node:path";
import {
  type Catalog,
  catalogFromItems,
  type CatalogItem,
  loadCatalog,
} from "../catalog/catalog.ts";
import { type Item, parseLine, parseList } from "../catalog/parse_list.ts";
import { writeJsonlAtomic } from "../data/atomic_write.ts";
import { writeHfDataset } from "../data/hf_datasets.ts";
import { readRecords } from "../data/read_records.ts";
import type { ConversationRecord } from "../data/record.ts";
import { generateWorld, type WorldConfigInput } from "../data/world/generate.ts";
import { createPrng, shuffled } from "../data/prng.ts";
import {
  addScore,
  emptyTotals,
  scoreList,
  type ScoreSummary,
  totalsSummary,
} from "../reward/score.ts";
import { type AdjustFit, type AdjustRow, applyAdjust, fitAdjust } from "./adjust.ts";
import type { Embedder } from "./embed/embedder.ts";
import { endpointEmbedder } from "./embed/endpoint_embedder.ts";
import { fitHashedTfidf } from "./embed/hashed_tfidf.ts";
import {
  addReflectCounts,
  emptyReflectCounts,
  type ReflectCounts,
  reflectScores,
} from "./reflect.ts";
import {
  chooseTopk,
  type RemapCandidates,
  remapCandidates,
  type RemapQuery,
  type TopkChoice,
} from "./remap.ts";
import { openaiTeacher } from "./teacher/openai_teacher.ts";
import { conversationText } from "./teacher/prompts.ts";
import { simulatedTeacher } from "./teacher/simulated.ts";
import type { Teacher } from "./teacher/teacher.ts";
import { z } from "zod";
import { ClientConfigSchema } from "./teacher/client_config.ts";
import { WorldConfigSchema } from "../data/world/config.ts";

/** The paper's ablations: which stages build the demonstrations. */
export const VARIANTS = ["full", "no-adjust", "no-reflect", "no-remap-reflect"] as const;
/** One variant. */
export type Variant = typeof VARIANTS[number];

/**
 * The distillation config (strict: unknown keys fail). `source`: the built-in world (its config) or
 * files (a catalog CSV and record files per split). `teacher`: the simulated one (world only) or an
 * OpenAI-compatible endpoint (the client config of teacher/client_config.ts). `embedder`: the offline
 * hashed TF-IDF (d) or the endpoint's `/embeddings`. `gpu`: the Remap top-k path.
 */
export const DistillConfigSchema = z.strictObject({
  source: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("world"), world: z.unknown().default({}) }),
    z.strictObject({
      kind: z.literal("files"),
      catalog: z.string().min(1),
      records: z.record(z.string(), z.string().min(1)),
    }),
  ]).default({ kind: "world", world: {} }),
  teacher: z.union([
    z.literal("simulated").transform(() => ({ kind: "simulated" as const, seed: 7 })),
    z.strictObject({ kind: z.literal("simulated"), seed: z.int().default(7) }),
    z.strictObject({ kind: z.literal("openai"), client: ClientConfigSchema }),
  ]).default({ kind: "simulated", seed: 7 }),
  embedder: z.discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("hashed"),
      dim: z.int().min(8).max(4096).default(512),
      char_weight: z.number().min(0).default(1),
    }),
    z.strictObject({ kind: z.literal("endpoint") }),
  ]).default({ kind: "hashed", dim: 512, char_weight: 1 }),
  variant: z.enum(VARIANTS).default("full"),
  lambda: z.number().default(1),
  gamma: z.number().default(0.5),
  n_r: z.int().min(1).max(2048).default(100),
  list_length: z.int().min(1).max(100).default(20),
  adjust: z.strictObject({
    l2w: z.number().min(0).default(0.01),
    l2b: z.number().min(0).default(0.01),
    reduction: z.enum(["sum", "mean"]).default("mean"),
    maxIter: z.int().min(0).default(200),
    tol: z.number().positive().default(1e-5),
  }).default({ l2w: 0.01, l2b: 0.01, reduction: "mean", maxIter: 200, tol: 1e-5 }),
  splits: z.array(z.string().min(1)).min(1).default(["train", "val"]),
  train_fraction: z.number().gt(0).max(1).default(0.25),
  seed: z.int().default(0),
  gpu: z.enum(["auto", "cpu", "gpu"]).default("auto"),
  concurrency: z.int().min(1).max(256).default(16),
  evaluate: z.boolean().default(false),
  out: z.string().nullable().default(null),
});

/** A parsed, complete distillation config. */
export type DistillConfig = z.output<typeof DistillConfigSchema>;
/** What a caller writes (defaults may be left out). */
export type DistillConfigInput = z.input<typeof DistillConfigSchema>;

/**
 * Parses a distillation config; errors name `source`, each bad field and what was expected. A world
 * source's `world` is checked by the world's own strict schema.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(parseDistillConfig({ variant: "no-reflect" }).n_r, 100);
 * ```
 */
export function parseDistillConfig(input: unknown, source = "distill config"): DistillConfig {
  const r = DistillConfigSchema.safeParse(input ?? {});
  const issues = r.success
    ? []
    : r.error.issues.map((i) => `${source}: field ${i.path.join(".") || "(root)"}: ${i.message}`);
  if (r.success && r.data.source.kind === "world") {
    const w = WorldConfigSchema.safeParse(r.data.source.world ?? {});
    if (!w.success) {
      issues.push(
        ...w.error.issues.map((i) =>
          `${source}: field source.world.${i.path.join(".")}: ${i.message}`
        ),
      );
    }
  }
  if (issues.length > 0) {
    throw new Error(`lib/distill/pipeline.ts: parseDistillConfig: ${issues.join("; ")}`);
  }
  return r.data!;
}

/** One stage's progress record (also printed as one log line). */
export interface StageRecord {
  stage: string;
  seconds: number;
  counts: Record<string, number | string>;
}

/** What {@link distill} returns. */
export interface DistillResult {
  config: DistillConfig;
  teacher: string;
  embedder: string;
  topk: Pick<TopkChoice, "path" | "reason">;
  stages: StageRecord[];
  /** SFT records per distilled split (input record + completion). */
  demonstrations: Record<string, ConversationRecord[]>;
  adjust: Pick<AdjustFit, "losses" | "gradMax" | "iterations" | "converged"> | null;
  reflect: ReflectCounts;
  /** Per evaluated split: metrics of the teacher's raw lists and of every variant (when `evaluate`). */
  evaluation: Record<string, Record<string, ScoreSummary>> | null;
  /** Files written (empty without `out`). */
  files: string[];
}

interface Conversation {
  key: string;
  split: string;
  records: ConversationRecord[];
  seen: string[];
  draft: string;
  items: Item[];
  cand?: RemapCandidates;
  reflected?: Float64Array;
}

const itemKey = (t: string, y: number | string) => `${t}\u0000${y}`;

async function loadSource(config: DistillConfig) {
  if (config.source.kind === "world") {
    const world = await generateWorld(config.source.world as WorldConfigInput);
    const items: CatalogItem[] = world.catalog.map((m) => ({
      title: m.title,
      year: m.year,
      meta: {},
    }));
    const records: Record<string, ConversationRecord[]> = {};
    for (const s of ["train", "val", "test"] as const) {
      records[s] = world.records[s] as ConversationRecord[];
    }
    return { world, items, records };
  }
  const catalog = await loadCatalog(config.source.catalog);
  const records: Record<string, ConversationRecord[]> = {};
  for (const [split, path] of Object.entries(config.source.records)) {
    records[split] = [];
    for await (const { record } of readRecords(path)) records[split].push(record);
  }
  return { world: null, items: [...catalog.items], records };
}

function buildTeacher(
  config: DistillConfig,
  world: Awaited<ReturnType<typeof loadSource>>["world"],
) {
  if (config.teacher.kind === "simulated") {
    if (world === null) {
      throw new Error(
        'lib/distill/pipeline.ts: teacher: the simulated teacher needs source.kind "world" (it knows only its world)',
      );
    }
    return { teacher: simulatedTeacher(world, { seed: config.teacher.seed }), embed: null };
  }
  const t = openaiTeacher(config.teacher.client);
  return { teacher: t as Teacher, embed: t.embed };
}

async function mapLimit<T, R>(
  xs: readonly T[],
  limit: number,
  f: (x: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await f(xs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, worker));
  return out;
}

/** Top `n` catalog items of a conversation by `scores` over its candidates, as `Title (Year)` lines. */
function demonstrationText(
  catalog: readonly CatalogItem[],
  cand: Int32Array,
  scores: Float64Array,
  n: number,
) {
  const order = Array.from(cand.keys()).sort((a, b) => scores[b] - scores[a] || cand[a] - cand[b]);
  return order.slice(0, n).map((j) => `${catalog[cand[j]].title} (${catalog[cand[j]].year})`).join(
    "\n",
  );
}

/** The teacher's list filtered to the catalog (exact pairs), seen titles and repeats dropped. */
function filteredTeacherText(c: Conversation, catalog: Catalog, n: number): string {
  const seen = new Set(c.seen);
  const have = new Set<string>();
  const out: string[] = [];
  for (const [t, y] of parseList(c.draft).items) {
    if (!catalog.has(t, y) || seen.has(t) || have.has(itemKey(t, y))) continue;
    have.add(itemKey(t, y));
    out.push(`${t} (${y})`);
  }
  return out.slice(0, n).join("\n");
}

/**
 * Runs the distillation: loads the source, drafts with the teacher, remaps, reflects, adjusts, writes the
 * demonstrations of `config.variant` for `config.splits` to `config.out` (when set) and, with
 * `evaluate`, scores the teacher's raw lists and every variant on the splits that have ground truth.
 *
 * @example
 * ```ts
 * const r = await distill({
 *   source: { kind: "world", world: { seed: 7, conversations: { train: 20, val: 5, test: 5 } } },
 *   gpu: "cpu",
 *   evaluate: true,
 * });
 * r.evaluation!.val.full.ndcg["20"]; // NDCG@20 of the full pipeline on val
 * ```
 */
export async function distill(
  input: DistillConfigInput,
  options: { readonly log?: (line: string) => void } = {},
): Promise<DistillResult> {
  const config = parseDistillConfig(input);
  const log = options.log ?? (() => {});
  const stages: StageRecord[] = [];
  let t0 = performance.now();
  const stage = (name: string, counts: Record<string, number | string>) => {
    const seconds = (performance.now() - t0) / 1000;
    stages.push({ stage: name, seconds, counts });
    log(
      `distill ${name}: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(" ")} (${
        seconds.toFixed(2)
      } s)`,
    );
    t0 = performance.now();
  };

  const source = await loadSource(config);
  const catalog = catalogFromItems(source.items);
  const catIndex = new Map<CatalogItem, number>(catalog.items.map((it, i) => [it, i]));
  const exactIndex = (t: string, y: number) => {
    const hit = catalog.lookup(t, y, { tolerance: 0 });
    return hit === null ? -1 : catIndex.get(hit)!;
  };
  const { teacher, embed: endpointCall } = buildTeacher(config, source.world);
  const variants: Variant[] = config.evaluate ? [...VARIANTS] : [config.variant];
  const needAdjust = variants.some((v) => v === "full" || v === "no-reflect");
  const needReflect = variants.some((v) => v === "full" || v === "no-adjust");
  const needRemap = variants.some((v) => v !== "no-remap-reflect");
  const work = [...new Set([...config.splits, ...(needAdjust ? ["train"] : [])])];
  const conversations: Conversation[] = [];
  for (const split of work) {
    const recs = source.records[split];
    if (recs === undefined) {
      throw new Error(`lib/distill/pipeline.ts: splits: the source has no split "${split}"`);
    }
    const groups = new Map<string, ConversationRecord[]>();
    for (const r of recs) {
      groups.set(r.prompt[0].content, [...(groups.get(r.prompt[0].content) ?? []), r]);
    }
    let keys = [...groups.keys()];
    if (split === "train" && config.train_fraction < 1) {
      const k = Math.max(1, Math.round(config.train_fraction * keys.length));
      const chosen = new Set(
        shuffled(createPrng(config.seed).fork("train-subsample"), keys).slice(0, k),
      );
      keys = keys.filter((key) => chosen.has(key));
    }
    for (const key of keys) {
      const records = groups.get(key)!;
      conversations.push({
        key,
        split,
        records,
        seen: records[0].seen_titles,
        draft: "",
        items: [],
      });
    }
  }
  stage("load", {
    teacher: teacher.name,
    catalog: catalog.items.length,
    conversations: conversations.length,
    records: conversations.reduce((n, c) => n + c.records.length, 0),
  });

  const N = config.list_length;
  await mapLimit(conversations, config.concurrency, async (c) => {
    c.draft = (await teacher.draft(c.key, { n: N })).text;
    const have = new Set<string>();
    for (const it of parseList(c.draft).items) {
      if (have.has(itemKey(...it))) continue;
      have.add(itemKey(...it));
      c.items.push(it);
    }
    c.items = c.items.slice(0, N);
  });
  stage("draft", {
    lists: conversations.length,
    items: conversations.reduce((n, c) => n + c.items.length, 0),
  });

  let embedder: Embedder | null = null;
  let topk: Pick<TopkChoice, "path" | "reason" | "dispose"> = {
    path: "cpu",
    reason: "Remap not run",
  };
  if (needRemap) {
    const catDesc = await mapLimit(
      catalog.items,
      config.concurrency,
      (it) => teacher.describe([it.title, it.year]),
    );
    const catTexts = catDesc.map((d) => d.text);
    if (config.embedder.kind === "hashed") {
      embedder = fitHashedTfidf(catTexts, {
        dim: config.embedder.dim,
        charWeight: config.embedder.char_weight,
      });
    } else {
      if (endpointCall === null) {
        throw new Error(
          'lib/distill/pipeline.ts: embedder: kind "endpoint" needs teacher.kind "openai" with client.embeddingModel',
        );
      }
      embedder = endpointEmbedder(endpointCall, {
        name: config.teacher.kind === "openai" ? config.teacher.client.embeddingModel ?? "?" : "?",
      });
    }
    const catRows = await embedder.embed(catTexts); // (C, d)
    const dim = embedder.dim;
    stage("describe+embed catalog", { items: catalog.items.length, dim, embedder: embedder.name });

    const novel = new Map<string, Item>();
    for (const c of conversations) {
      for (const it of c.items) if (exactIndex(...it) < 0) novel.set(itemKey(...it), it);
    }
    const novelItems = [...novel.values()];
    const novelDesc = await mapLimit(novelItems, config.concurrency, (it) => teacher.describe(it));
    const novelRows = await embedder.embed(novelDesc.map((d) => d.text)); // (M, d)
    const novelRow = new Map(novelItems.map((it, i) => [itemKey(...it), i]));
    const ctxRows = await embedder.embed(conversations.map((c) => conversationText(c.key))); // (Q, d)
    stage("describe+embed teacher items", {
      novel_items: novelItems.length,
      conversations: conversations.length,
    });

    const byTitle = new Map<string, number[]>();
    catalog.items.forEach((it, i) => byTitle.set(it.title, [...(byTitle.get(it.title) ?? []), i]));
    // A catalog item whose `Title (Year)` line does not parse back to itself (e.g. a title ending in a
    // parenthesised note) can never be written in a demonstration: it is never a candidate.
    const unwritable = catalog.items.flatMap((it, i) => {
      const p = parseLine(`${it.title} (${it.year})`);
      return p !== null && p[0] === it.title && p[1] === it.year ? [] : [i];
    });
    const queries: RemapQuery[] = conversations.map((c, qi) => {
      const teacherRows = new Float32Array(c.items.length * dim); // (K, d)
      const exact = c.items.map((it, k) => {
        const e = exactIndex(...it);
        const row = e >= 0 ? catRows.subarray(e * dim, (e + 1) * dim) : novelRows.subarray(
          novelRow.get(itemKey(...it))! * dim,
          (novelRow.get(itemKey(...it))! + 1) * dim,
        );
        teacherRows.set(row, k * dim);
        return e;
      });
      return {
        teacherRows,
        exact,
        context: ctxRows.subarray(qi * dim, (qi + 1) * dim),
        excluded: [...c.seen.flatMap((t) => byTitle.get(t) ?? []), ...unwritable],
      };
    });
    const chosen = await chooseTopk(config.gpu, {
      nq: queries.length,
      nc: catalog.items.length,
      dim,
    });
    topk = chosen;
    const cands = await remapCandidates(queries, catRows, dim, chosen.run, {
      lambda: config.lambda,
      nR: config.n_r,
    });
    conversations.forEach((c, i) => c.cand = cands[i]);
    topk.dispose?.();
    stage("remap", {
      queries: queries.length,
      n_r: config.n_r,
      unwritable: unwritable.length,
      path: topk.path,
    });
  }

  const reflectTotals = emptyReflectCounts();
  if (needReflect) {
    await mapLimit(conversations, config.concurrency, async (c) => {
      const cand = c.cand!;
      const items: Item[] = Array.from(
        cand.indices,
        (i) => [catalog.items[i].title, catalog.items[i].year],
      );
      const r = reflectScores(cand.scores, await teacher.rate(c.key, items), config.gamma);
      c.reflected = r.scores;
      addReflectCounts(reflectTotals, r.counts);
    });
    stage("reflect", { ...reflectTotals });
  }

  const fits: Partial<Record<"reflect" | "remap", AdjustFit>> = {};
  if (needAdjust) {
    for (const base of ["reflect", "remap"] as const) {
      const wanted = base === "reflect"
        ? variants.includes("full")
        : variants.includes("no-reflect");
      if (!wanted) continue;
      const rows: AdjustRow[] = [];
      let covered = 0, total = 0;
      for (const c of conversations.filter((c) => c.split === "train")) {
        const pos = new Map(Array.from(c.cand!.indices, (ci, j) => [ci, j]));
        const scores = base === "reflect" ? c.reflected! : c.cand!.scores;
        for (const r of c.records) {
          const positives: number[] = [];
          for (const [t, y] of r.groundtruth_with_release_year) {
            total++;
            const hit = catalog.lookup(t, Number(y));
            const j = hit === null ? undefined : pos.get(catIndex.get(hit)!);
            if (j !== undefined) positives.push(j), covered++;
          }
          rows.push({ candidates: c.cand!.indices, scores, positives });
        }
      }
      fits[base] = fitAdjust(rows, catalog.items.length, config.adjust);
      const f = fits[base]!;
      stage(`adjust(${base})`, {
        records: rows.length,
        gt_covered: `${covered}/${total}`,
        iterations: f.iterations,
        loss: `${f.losses[0].toFixed(1)}→${f.losses[f.losses.length - 1].toFixed(1)}`,
        grad_max: f.gradMax.toExponential(2),
      });
    }
  }

  const listFor = (c: Conversation, v: Variant): string => {
    if (v === "no-remap-reflect") return filteredTeacherText(c, catalog, N);
    const cand = c.cand!;
    const s = v === "no-adjust"
      ? c.reflected!
      : v === "no-reflect"
      ? applyAdjust(fits.remap!, cand.indices, cand.scores)
      : applyAdjust(fits.reflect!, cand.indices, c.reflected!);
    return demonstrationText(catalog.items, cand.indices, s, N);
  };
  const demonstrations: Record<string, ConversationRecord[]> = {};
  for (const split of config.splits) {
    demonstrations[split] = conversations.filter((c) => c.split === split).flatMap((c) => {
      const content = listFor(c, config.variant);
      return c.records.map((r) => ({
        ...r,
        completion: [{ role: "assistant" as const, content }],
      }));
    });
  }
  const files: string[] = [];
  if (config.out !== null) {
    await Deno.mkdir(config.out, { recursive: true });
    for (const [split, recs] of Object.entries(demonstrations)) {
      const jsonl = join(config.out, `${split}.jsonl`);
      await writeJsonlAtomic(jsonl, recs);
      const hf = join(config.out, `${split}_hf`);
      await writeHfDataset(
        hf,
        recs.map((r) => ({
          prompt: r.prompt,
          completion: r.completion,
          seen_titles: r.seen_titles,
          groundtruth_with_release_year: r.groundtruth_with_release_year,
        })),
      );
      files.push(jsonl, hf);
    }
  }
  stage("demonstrations", {
    variant: config.variant,
    ...Object.fromEntries(Object.entries(demonstrations).map(([s, r]) => [s, r.length])),
    files: files.length,
  });

  let evaluation: DistillResult["evaluation"] = null;
  if (config.evaluate) {
    evaluation = {};
    const ks = [5, 10, 20];
    for (const split of config.splits.filter((s) => s !== "train")) {
      const rows: Record<string, ScoreSummary> = {};
      for (const method of ["teacher", ...VARIANTS] as const) {
        const totals = emptyTotals(ks);
        for (const c of conversations.filter((c) => c.split === split)) {
          const text = method === "teacher" ? c.draft : listFor(c, method);
          for (const r of c.records) {
            if (r.groundtruth_with_release_year.length === 0) continue;
            const ctx = {
              seenTitles: r.seen_titles,
              groundTruth: r.groundtruth_with_release_year,
              catalog,
            };
            addScore(totals, scoreList(text, ctx, { ks }));
          }
        }
        rows[method] = totalsSummary(totals);
      }
      evaluation[split] = rows;
    }
    stage("evaluate", { splits: Object.keys(evaluation).join(",") || "none" });
  }
  const strip = (f: AdjustFit | undefined) =>
    f === undefined
      ? null
      : { losses: f.losses, gradMax: f.gradMax, iterations: f.iterations, converged: f.converged };
  return {
    config,
    teacher: teacher.name,
    embedder: embedder?.name ?? "none",
    topk: { path: topk.path, reason: topk.reason },
    stages,
    demonstrations,
    adjust: strip(fits.reflect ?? fits.remap),
    reflect: reflectTotals,
    evaluation,
    files,
  };
}
