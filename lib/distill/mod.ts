// Public surface of Stage 1 (paper.md §5): teachers, embeddings, Remap, Reflect, Adjust and the
// `distill` pipeline with its ablation variants.
export * from "./teacher/mod.ts";
export * from "./teacher/simulated.ts";
export * from "./embed/mod.ts";
export * from "./remap.ts";
export * from "./reflect.ts";
export * from "./adjust.ts";
export * from "./pipeline.ts";
