// A fake teacher LLM behind the fake OpenAI-compatible server: it reads the prompts of prompts.ts and
// answers like a plausible (imperfect) model, deterministically from the prompt text. Test-only.

import { parseLine } from "../../lib/catalog/parse_list.ts";
import type { Item } from "../../lib/catalog/parse_list.ts";
import { createPrng, fnv1a32, type Prng } from "../../lib/data/prng.ts";
import { RECOMMENDATION_PROMPT_PREFIX } from "../../lib/data/world/prompt.ts";
import { DESCRIBE_PROMPT, REFLECT_PROMPT } from "../../lib/distill/teacher/prompts.ts";
import { chatJson, type FakeRequest, userContent } from "./teacher/_fake_server.ts";

/** What a request asks the model for. */
export type RequestKind = "draft" | "reflect" | "describe" | "embeddings" | "other";

/** Width of the fake `/embeddings` vectors. */
export const FAKE_EMBEDDING_DIM = 16;

/** Per draft answer: hallucinated titles, catalog titles with a wrong year, and catalog items. */
export const DRAFT_HALLUCINATED = 2;
export const DRAFT_WRONG_YEAR = 1;

const REFLECT_HEAD = REFLECT_PROMPT.slice(0, REFLECT_PROMPT.indexOf("{conversation}"));
const DESCRIBE_HEAD = DESCRIBE_PROMPT.slice(0, DESCRIBE_PROMPT.indexOf("{title}"));
const CANDIDATES_HEAD = "\nHere are the candidates:\n";
const DESCRIBE_ITEM = /^You are a film encyclopedia\. Describe the movie (.+) \((\d{4})\)\.$/m;
const LIST_LENGTH = /reply with (\d+) recommendations/;

const INVENTED_FIRST = ["The Silent", "Midnight", "Crimson", "The Last", "Broken", "Paper"];
const INVENTED_SECOND = ["Harbor", "Orchard", "Frequency", "Lanterns", "Tide", "Meridian"];
const KEYWORDS = [
  "drama",
  "comedy",
  "thriller",
  "romance",
  "heist",
  "family",
  "war",
  "small town",
  "revenge",
  "coming of age",
  "road trip",
  "friendship",
  "space",
  "courtroom",
  "sports",
  "music",
  "crime",
  "horror",
  "satire",
  "period piece",
];

/**
 * Which prompt of prompts.ts a request carries (or `/embeddings`).
 * @example requestKind({ path: "/v1/embeddings", body: {}, authorization: null, hit: 1 }) // "embeddings"
 */
export function requestKind(req: FakeRequest): RequestKind {
  if (req.path.endsWith("/embeddings")) return "embeddings";
  if (!req.path.endsWith("/chat/completions")) return "other";
  const content = userContent(req);
  if (content.startsWith(RECOMMENDATION_PROMPT_PREFIX)) return "draft";
  if (content.startsWith(REFLECT_HEAD)) return "reflect";
  if (content.startsWith(DESCRIBE_HEAD)) return "describe";
  return "other";
}

function draftAnswer(content: string, clean: readonly Item[], known: ReadonlySet<string>): string {
  const n = Number(LIST_LENGTH.exec(content)?.[1] ?? 20);
  const prng = createPrng(fnv1a32(content));
  const lines: string[] = [];
  const used = new Set<number>();
  const drawItem = (): Item => {
    for (;;) {
      const i = prng.int(clean.length);
      if (!used.has(i)) return used.add(i), clean[i];
    }
  };
  for (let k = 0; k < n; k++) {
    if (k >= n - DRAFT_HALLUCINATED) {
      lines.push(`${invented(prng)} (${1970 + prng.int(45)})`);
    } else if (k === 3 && DRAFT_WRONG_YEAR > 0) {
      const [title, year] = drawItem();
      const wrong = [year + 1, year - 1, year + 2].find((y) => !known.has(`${title}\u0000${y}`))!;
      lines.push(`"${title}" (${wrong})`);
    } else {
      const [title, year] = drawItem();
      lines.push(k % 5 === 0 ? `**${title} (${year})**` : `${title} (${year})`);
    }
  }
  const numbered = lines.map((l, i) => `${i + 1}. ${l}`);
  return [`Sure! Here are ${n} movies you might enjoy:`, "", ...numbered, "", "Enjoy!"].join("\n");
}

function invented(prng: Prng): string {
  return `${INVENTED_FIRST[prng.int(INVENTED_FIRST.length)]} ${
    INVENTED_SECOND[prng.int(INVENTED_SECOND.length)]
  }`;
}

function reflectAnswer(content: string): string {
  const at = content.indexOf(CANDIDATES_HEAD);
  const conversation = content.slice(REFLECT_HEAD.length, at);
  const candidates = content.slice(at + CANDIDATES_HEAD.length).split("\n").filter((l) => l !== "");
  const rated = candidates.map((c) => `${c}####${(fnv1a32(conversation + c) % 5) - 2}`);
  return ["Here are the ratings:", ...rated].join("\n");
}

function describeAnswer(content: string): string {
  const m = DESCRIBE_ITEM.exec(content);
  if (m === null) return "I am not sure which movie you mean.";
  const prng = createPrng(fnv1a32(`${m[1]}\u0000${m[2]}`));
  const keywords = [
    ...new Set(Array.from({ length: 8 }, () => KEYWORDS[prng.int(KEYWORDS.length)])),
  ];
  const plot = `${m[1]} follows a ${keywords[0]} story set around ${m[2]}. ` +
    `Its characters face ${keywords[1 % keywords.length]} and ${
      keywords[2 % keywords.length]
    }. The ending is memorable.`;
  return prng.int(2) === 0
    ? `Keywords: ${keywords.join(", ")}\nPlot: ${plot}`
    : `**Keywords:** ${keywords.join(", ")}\n\n**Plot:** ${plot}`;
}

/** A small deterministic vector of a text: word hashes into {@link FAKE_EMBEDDING_DIM} buckets, plus a bias. */
function embedText(text: string): number[] {
  const v = new Array<number>(FAKE_EMBEDDING_DIM).fill(0);
  v[0] = 1;
  for (const w of text.toLowerCase().split(/\W+/)) {
    if (w !== "") v[1 + (fnv1a32(w) % (FAKE_EMBEDDING_DIM - 1))] += 1;
  }
  return v;
}

/**
 * A request handler playing the teacher over `catalog`: a draft is a numbered list of `n` lines
 * (a commentary line first, {@link DRAFT_WRONG_YEAR} catalog title with a wrong year,
 * {@link DRAFT_HALLUCINATED} invented titles, the rest catalog items, some in markdown or quotes);
 * Reflect rates every candidate −2..2 after a commentary line; describe answers keywords + plot;
 * `/embeddings` answers {@link FAKE_EMBEDDING_DIM}-wide bag-of-words vectors.
 * @example
 * const server = startFakeServer(fakeTeacherLlm([["Heat", 1995], ["Alien", 1979]]));
 */
export function fakeTeacherLlm(catalog: readonly Item[]): (req: FakeRequest) => Response {
  const known = new Set(catalog.map(([t, y]) => `${t}\u0000${y}`));
  // Items whose `Title (Year)` line parses back to themselves, so "in the catalog" is unambiguous.
  const clean = catalog.filter(([t, y]) => {
    const p = parseLine(`${t} (${y})`);
    return p !== null && p[0] === t && p[1] === y && !t.includes('"');
  });
  return (req) => {
    const kind = requestKind(req);
    if (kind === "embeddings") {
      const input = req.body.input as string[];
      return Response.json({
        object: "list",
        data: input.map((t, index) => ({ object: "embedding", index, embedding: embedText(t) })),
        model: req.body.model,
      });
    }
    const content = userContent(req);
    if (kind === "draft") return chatJson(draftAnswer(content, clean, known));
    if (kind === "reflect") return chatJson(reflectAnswer(content));
    if (kind === "describe") return chatJson(describeAnswer(content));
    return Response.json({ error: { message: "unknown prompt", type: "test" } }, { status: 400 });
  };
}
