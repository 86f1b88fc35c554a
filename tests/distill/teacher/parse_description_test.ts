// The describe parser: labelled, markdown, header-style and unlabelled answers.

import { assertEquals } from "../../_assert.ts";
import {
  metadataText,
  parseDescription,
  splitKeywords,
} from "../../../lib/distill/teacher/parse_description.ts";
import type { Item } from "../../../lib/catalog/parse_list.ts";

const HEAT: Item = ["Heat", 1995];
const opts = { truncated: false };

Deno.test("the requested format", () => {
  const d = parseDescription(
    "Keywords: heist, crime, Los Angeles\nPlot: A thief and a detective collide.",
    HEAT,
    opts,
  );
  assertEquals(d.keywords, ["heist", "crime", "Los Angeles"]);
  assertEquals(d.plot, "A thief and a detective collide.");
  assertEquals(d.missing, []);
  assertEquals(
    d.text,
    "Heat (1995)\nKeywords: heist, crime, Los Angeles\nPlot: A thief and a detective collide.",
  );
});

Deno.test("markdown labels, a title line, a bullet keyword list, a plot over several lines", () => {
  const text = [
    "**Title:** Heat (1995)",
    "",
    "## Keywords",
    "- heist",
    "- **crime**",
    "- Heist",
    "",
    "**Plot summary:**",
    "A professional thief plans one last score.",
    "",
    "A driven detective closes in.",
  ].join("\n");
  const d = parseDescription(text, HEAT, { truncated: true });
  assertEquals(d.keywords, ["heist", "crime"]);
  assertEquals(d.plot, "A professional thief plans one last score. A driven detective closes in.");
  assertEquals([d.missing, d.truncated], [[], true]);
});

Deno.test("keywords then an unlabelled paragraph: the paragraph is the plot", () => {
  const d = parseDescription(
    "Heat (1995)\nKeywords: heist; crime.\n\nA thief and a cop, one last job.",
    HEAT,
    opts,
  );
  assertEquals(d.keywords, ["heist", "crime"]);
  assertEquals(d.plot, "A thief and a cop, one last job.");
});

Deno.test("a 'Plot twists' sentence is not a label; missing fields are reported", () => {
  const d = parseDescription("Plot twists abound in this thriller.", HEAT, opts);
  assertEquals([d.keywords, d.plot, d.missing], [[], "Plot twists abound in this thriller.", [
    "keywords",
  ]]);
  const empty = parseDescription("", HEAT, opts);
  assertEquals([empty.missing, empty.text], [["keywords", "plot"], "Heat (1995)"]);
});

Deno.test("splitKeywords and metadataText", () => {
  assertEquals(splitKeywords(' "noir" , , Noir;  femme   fatale '), ["noir", "femme fatale"]);
  assertEquals(
    metadataText(["Up", 2009], [], "An old man flies his house."),
    "Up (2009)\nPlot: An old man flies his house.",
  );
});
