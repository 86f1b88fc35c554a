// Public surface of the built-in movie world (lib/data/world): catalog from vega-datasets, seeded
// generative story, Reddit-v2-format records, reference baselines. Not in the paper.
export * from "./baselines.ts";
export * from "./catalog_csv.ts";
export * from "./config.ts";
export * from "./conversation.ts";
export * from "./generate.ts";
export * from "./movies.ts";
export * from "../prng.ts";
export * from "./prompt.ts";
export * from "./taste.ts";
export * from "./write_world.ts";
