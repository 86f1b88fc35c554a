// Parses the teacher's item description (keywords + one-paragraph plot, paper.md §5 step 1) and builds
// the metadata text `Title (Year)\nKeywords: …\nPlot: …` that Remap embeds.

import type { Item } from "../../catalog/parse_list.ts";
import type { Description } from "./teacher.ts";

type Section = "keywords" | "plot" | "title";

const LEAD_DECORATION = /^[\s>*_#•·\-–—]+/u;
// A label followed by a colon/dash (then the value), or a label alone on its line (a header).
const LABEL =
  /^(keywords?|key words|tags|themes|plot(?:\s+summary)?|synopsis|summary|title)\s*[*_]*\s*(?:[:：\-–—]\s*[*_]*\s*(.*)|[*_:：]*\s*$)/iu;
const KEYWORD_WRAP = /^[\s*_`"'“”‘’•·\-–—]+|[\s*_`"'“”‘’.;:]+$/gu;
const MARKDOWN_EMPHASIS = /\*\*|__|`/g;
const SPACES = /\s+/g;
const LONE_TITLE = /^.{1,200}\(\d{4}\)\s*:?$/u;

function sectionOf(label: string): Section {
  const l = label.toLowerCase();
  if (l.startsWith("plot") || l === "synopsis" || l === "summary") return "plot";
  if (l === "title") return "title";
  return "keywords";
}

/**
 * Splits a keyword field into keywords: comma-, semicolon- or line-separated, bullets and quotes
 * removed, empty ones dropped, repeats (case-insensitive) dropped.
 * @example splitKeywords("heist, **crime**; Los Angeles.\n- rivalry") // ["heist", "crime", "Los Angeles", "rivalry"]
 */
export function splitKeywords(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const piece of text.split(/[,;\n]/)) {
    const k = piece.replace(MARKDOWN_EMPHASIS, "").replace(KEYWORD_WRAP, "").replace(SPACES, " ");
    if (k === "" || seen.has(k.toLowerCase())) continue;
    seen.add(k.toLowerCase());
    out.push(k);
  }
  return out;
}

/**
 * The metadata text Remap embeds: `Title (Year)`, then `Keywords: …` and `Plot: …` when present.
 * @example metadataText(["Heat", 1995], ["heist"], "A thief and a cop.") // "Heat (1995)\nKeywords: heist\nPlot: A thief and a cop."
 */
export function metadataText(item: Item, keywords: readonly string[], plot: string): string {
  let text = `${item[0]} (${item[1]})`;
  if (keywords.length > 0) text += `\nKeywords: ${keywords.join(", ")}`;
  if (plot !== "") text += `\nPlot: ${plot}`;
  return text;
}

/**
 * Parses a description answer. Labels are matched case-insensitively with or without markdown,
 * bullets or a colon (`**Keywords:**`, `## Plot`, `- Tags -`); a field may continue over the
 * following lines. Without a plot label, the unlabelled lines become the plot. The title always comes
 * from `item`, never from the answer.
 * @example
 * const d = parseDescription("**Keywords:** heist, crime\nPlot: A thief and a cop.", ["Heat", 1995], { truncated: false });
 * // d.keywords ["heist", "crime"]; d.plot "A thief and a cop."; d.missing []
 */
export function parseDescription(
  text: string,
  item: Item,
  options: { readonly truncated: boolean },
): Description {
  const fields: Record<Section | "none", string[]> = {
    keywords: [],
    plot: [],
    title: [],
    none: [],
  };
  const labelled = { keywords: false, plot: false };
  let current: Section | "none" = "none";
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.replace(LEAD_DECORATION, "").trim();
    if (line === "") {
      // A blank line ends a keyword list or a title; a plot paragraph may span blank lines.
      if (current !== "plot" && fields[current].length > 0) current = "none";
      continue;
    }
    const m = LABEL.exec(line);
    if (m !== null) {
      current = sectionOf(m[1]);
      if (current !== "title") labelled[current] = true;
      if (m[2] !== undefined && m[2].trim() !== "") {
        fields[current].push(m[2].trim());
        if (current === "title") current = "none";
      }
      continue;
    }
    fields[current].push(current === "keywords" ? raw.trim() : line);
  }
  const keywords = splitKeywords(fields.keywords.join("\n"));
  const plotLines = labelled.plot
    ? fields.plot
    : fields.none.filter((l) => !LONE_TITLE.test(l.replace(MARKDOWN_EMPHASIS, "")));
  const plot = plotLines.join(" ").replace(MARKDOWN_EMPHASIS, "").replace(SPACES, " ").trim();
  const missing: ("keywords" | "plot")[] = [];
  if (keywords.length === 0) missing.push("keywords");
  if (plot === "") missing.push("plot");
  return {
    item,
    keywords,
    plot,
    text: metadataText(item, keywords, plot),
    missing,
    truncated: options.truncated,
  };
}
