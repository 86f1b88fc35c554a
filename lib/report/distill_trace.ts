// One conversation through Remap → Reflect → Adjust with every score kept (s_remap, the judge's rating,
// s_reflect, s_final), by replaying lib/distill/pipeline.ts's stages for the full variant on the built-in
// world (simulated teacher, hashed TF-IDF, CPU top-k). The pipeline returns only the top-20 lists; the
// replay is checked against them (tests/report/distill_figures_test.ts).

import { catalogFromItems, type CatalogItem } from "../catalog/catalog.ts";
import { type Item, parseLine, parseList } from "../catalog/parse_list.ts";
import { titleKey } from "../catalog/py_text.ts";
import { generateWorld, type WorldConfigInput } from "../data/world/generate.ts";
import type { WorldRecord } from "../data/world/mod.ts";
import { createPrng, shuffled } from "../data/prng.ts";
import { type AdjustRow, applyAdjust, fitAdjust } from "../distill/adjust.ts";
import { fitHashedTfidf } from "../distill/embed/hashed_tfidf.ts";
import { type DistillConfigInput, parseDistillConfig } from "../distill/pipeline.ts";
import { reflectScores } from "../distill/reflect.ts";
import { remapCandidates, type RemapQuery } from "../distill/remap.ts";
import { conversationText } from "../distill/teacher/prompts.ts";
import { simulatedTeacher } from "../distill/teacher/simulated.ts";
import { similarityTopkRef } from "../../kernels/similarity_topk_ref.ts";
import type { Row } from "./table.ts";

/** One Remap candidate of the traced conversation with every score. */
export interface TraceCandidate {
  title: string;
  year: number;
  /** Rank by s_remap (1 = best). */
  remap_rank: number;
  s_remap: number;
  /** The judge's −2..2 rating; null when it gave none (then 0 is used). */
  rating: number | null;
  /** s_remap + γ·rating. */
  s_reflect: number;
  /** w ⊙ s_reflect + b (Adjust fitted on train). */
  s_final: number;
  /** Rank by s_final (1 = best). */
  final_rank: number;
  /** Rank in the teacher's draft when the teacher named this exact item, else null. */
  teacher_rank: number | null;
  /** A record of the conversation has it as ground truth (same title key, |Δyear| ≤ 2). */
  ground_truth: boolean;
}

/** What {@link conversationTrace} returns (plain JSON, so it can be cached). */
export interface ConversationTrace {
  /** The conversation (the records' user-message content). */
  conversation: string;
  split: string;
  record_ids: string[];
  /** The teacher's raw zero-shot list. */
  draft: string;
  /** The N_r candidates in Remap order. */
  candidates: TraceCandidate[];
  /** The full variant's demonstration: top-N by s_final as `Title (Year)` lines. */
  demonstration: string;
  adjust: { iterations: number; converged: boolean; train_records: number };
}

interface Conv {
  key: string;
  split: string;
  records: WorldRecord[];
  items: Item[];
  draft: string;
}

const itemKey = (t: string, y: number | string) => `${t}\u0000${y}`;

/** The pipeline's conversations in its order: splits (train added), grouped by prompt, train subsampled. */
function pipelineConversations(
  records: Record<string, readonly WorldRecord[]>,
  splits: readonly string[],
  trainFraction: number,
  seed: number,
): Conv[] {
  const out: Conv[] = [];
  for (const split of new Set([...splits, "train"])) {
    const groups = new Map<string, WorldRecord[]>();
    for (const r of records[split] ?? []) {
      groups.set(r.prompt[0].content, [...(groups.get(r.prompt[0].content) ?? []), r]);
    }
    let keys = [...groups.keys()];
    if (split === "train" && trainFraction < 1) {
      const k = Math.max(1, Math.round(trainFraction * keys.length));
      const chosen = new Set(shuffled(createPrng(seed).fork("train-subsample"), keys).slice(0, k));
      keys = keys.filter((key) => chosen.has(key));
    }
    for (const key of keys) {
      out.push({ key, split, records: groups.get(key)!, items: [], draft: "" });
    }
  }
  return out;
}

/**
 * Replays the full pipeline (Remap → Reflect → Adjust) for a world-source config and returns one
 * conversation's candidates with all scores. The conversation must be one the pipeline distils (a
 * `splits` conversation; train ones only if subsampled in). Needs the simulated teacher and the hashed
 * embedder; the top-k runs on the CPU twin (the GPU path gives the same list).
 * @example
 * const trace = await conversationTrace(config, { conversation: world.records.val[0].prompt[0].content });
 * trace.candidates.filter((c) => c.final_rank <= 10);
 */
export async function conversationTrace(
  input: DistillConfigInput,
  opts: { conversation: string },
): Promise<ConversationTrace> {
  const config = parseDistillConfig(input);
  const where = "lib/report/distill_trace.ts: conversationTrace";
  if (config.source.kind !== "world" || config.teacher.kind !== "simulated") {
    throw new Error(`${where}: config: expected source.kind "world" and the simulated teacher`);
  }
  if (config.embedder.kind !== "hashed") {
    throw new Error(`${where}: config.embedder: expected kind "hashed"`);
  }
  const world = await generateWorld(config.source.world as WorldConfigInput);
  const items: CatalogItem[] = world.catalog.map((m) => ({
    title: m.title,
    year: m.year,
    meta: {},
  }));
  const catalog = catalogFromItems(items);
  const catIndex = new Map<CatalogItem, number>(catalog.items.map((it, i) => [it, i]));
  const exactIndex = (t: string, y: number) => {
    const hit = catalog.lookup(t, y, { tolerance: 0 });
    return hit === null ? -1 : catIndex.get(hit)!;
  };
  const teacher = simulatedTeacher(world, { seed: config.teacher.seed });
  const convs = pipelineConversations(
    world.records,
    config.splits,
    config.train_fraction,
    config.seed,
  );
  const target = convs.findIndex((c) => c.key === opts.conversation);
  if (target < 0) {
    throw new Error(
      `${where}: conversation: not among the ${convs.length} conversations the pipeline distils`,
    );
  }
  const N = config.list_length;
  for (const c of convs) {
    c.draft = (await teacher.draft(c.key, { n: N })).text;
    const have = new Set<string>();
    for (const it of parseList(c.draft).items) {
      if (!have.has(itemKey(...it))) have.add(itemKey(...it)), c.items.push(it);
    }
    c.items = c.items.slice(0, N);
  }

  // Remap: every conversation in one batch, as the pipeline does.
  const catTexts = await Promise.all(
    catalog.items.map(async (it) => (await teacher.describe([it.title, it.year])).text),
  );
  const embedder = fitHashedTfidf(catTexts, {
    dim: config.embedder.dim,
    charWeight: config.embedder.char_weight,
  });
  const dim = embedder.dim;
  const catRows = await embedder.embed(catTexts); // (C, d)
  const ctxRows = await embedder.embed(convs.map((c) => conversationText(c.key))); // (Q, d)
  const byTitle = new Map<string, number[]>();
  catalog.items.forEach((it, i) => byTitle.set(it.title, [...(byTitle.get(it.title) ?? []), i]));
  const unwritable = catalog.items.flatMap((it, i) => {
    const p = parseLine(`${it.title} (${it.year})`);
    return p !== null && p[0] === it.title && p[1] === it.year ? [] : [i];
  });
  const queries: RemapQuery[] = [];
  for (const [qi, c] of convs.entries()) {
    const teacherRows = new Float32Array(c.items.length * dim); // (K, d)
    const exact: number[] = [];
    for (const [k, it] of c.items.entries()) {
      const e = exactIndex(...it);
      const row = e >= 0
        ? catRows.subarray(e * dim, (e + 1) * dim)
        : await embedder.embed([(await teacher.describe(it)).text]);
      teacherRows.set(row, k * dim);
      exact.push(e);
    }
    queries.push({
      teacherRows,
      exact,
      context: ctxRows.subarray(qi * dim, (qi + 1) * dim),
      excluded: [...c.records[0].seen_titles.flatMap((t) => byTitle.get(t) ?? []), ...unwritable],
    });
  }
  const cands = await remapCandidates(queries, catRows, dim, similarityTopkRef, {
    lambda: config.lambda,
    nR: config.n_r,
  });

  // Reflect: the train conversations (Adjust's data) and the target.
  const candItems = (qi: number): Item[] =>
    Array.from(cands[qi].indices, (i) => [catalog.items[i].title, catalog.items[i].year]);
  const rated = new Map<number, { ratings: readonly (number | null)[]; scores: Float64Array }>();
  for (const [qi, c] of convs.entries()) {
    if (c.split !== "train" && qi !== target) continue;
    const r = await teacher.rate(c.key, candItems(qi));
    rated.set(qi, {
      ratings: r.ratings,
      scores: reflectScores(cands[qi].scores, r, config.gamma).scores,
    });
  }

  // Adjust on train ground truth, exactly as the pipeline builds its rows.
  const rows: AdjustRow[] = [];
  for (const [qi, c] of convs.entries()) {
    if (c.split !== "train") continue;
    const pos = new Map(Array.from(cands[qi].indices, (ci, j) => [ci, j]));
    for (const r of c.records) {
      const positives: number[] = [];
      for (const [t, y] of r.groundtruth_with_release_year) {
        const hit = catalog.lookup(t, Number(y));
        const j = hit === null ? undefined : pos.get(catIndex.get(hit)!);
        if (j !== undefined) positives.push(j);
      }
      rows.push({ candidates: cands[qi].indices, scores: rated.get(qi)!.scores, positives });
    }
  }
  const fit = fitAdjust(rows, catalog.items.length, config.adjust);

  const conv = convs[target];
  const cand = cands[target];
  const { ratings, scores: reflected } = rated.get(target)!;
  const final = applyAdjust(fit, cand.indices, reflected); // (N_r)
  const order = Array.from(cand.indices.keys()).sort((a, b) =>
    final[b] - final[a] || cand.indices[a] - cand.indices[b]
  );
  const finalRank = new Int32Array(order.length);
  order.forEach((j, r) => finalRank[j] = r + 1);
  const teacherRank = new Map(conv.items.map(([t, y], k) => [itemKey(t, y), k + 1]));
  const truth = conv.records.flatMap((r) => r.groundtruth_with_release_year);
  const candidates = Array.from(cand.indices, (ci, j): TraceCandidate => {
    const { title, year } = catalog.items[ci];
    return {
      title,
      year,
      remap_rank: j + 1,
      s_remap: cand.scores[j],
      rating: ratings[j],
      s_reflect: reflected[j],
      s_final: final[j],
      final_rank: finalRank[j],
      teacher_rank: teacherRank.get(itemKey(title, year)) ?? null,
      ground_truth: truth.some(([t, y]) =>
        titleKey(t) === titleKey(title) && Math.abs(Number(y) - year) <= 2
      ),
    };
  });
  return {
    conversation: conv.key,
    split: conv.split,
    record_ids: conv.records.map((r) => r.id),
    draft: conv.draft,
    candidates,
    demonstration: order.slice(0, N).map((j) => `${candidates[j].title} (${candidates[j].year})`)
      .join("\n"),
    adjust: { iterations: fit.iterations, converged: fit.converged, train_records: rows.length },
  };
}

/**
 * The top `n` candidates by s_remap ("before": Remap's order) or by s_final ("after" Reflect and
 * Adjust) as table rows.
 * @example await showFigure(table(traceRows(trace, { by: "final", n: 10 })));
 */
export function traceRows(
  trace: ConversationTrace,
  opts: { by: "remap" | "final"; n?: number },
): Row[] {
  const rank = (c: TraceCandidate) => (opts.by === "remap" ? c.remap_rank : c.final_rank);
  return [...trace.candidates].sort((a, b) => rank(a) - rank(b)).slice(0, opts.n ?? 10).map((
    c,
  ) => ({
    remap_rank: c.remap_rank,
    final_rank: c.final_rank,
    item: `${c.title} (${c.year})`,
    teacher_rank: c.teacher_rank ?? "",
    s_remap: c.s_remap,
    rating: c.rating ?? "none",
    s_reflect: c.s_reflect,
    s_final: c.s_final,
    ground_truth: c.ground_truth ? "yes" : "",
  }));
}
