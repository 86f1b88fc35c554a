// Public surface of lib/data: record schema, readers and atomic writers. The built-in world is its own
// namespace (`world` in lib/mod.ts).
export * from "./record.ts";
export * from "./jsonl.ts";
export * from "./json_array.ts";
export * from "./hf_datasets.ts";
export * from "./read_records.ts";
export * from "./atomic_write.ts";
export * from "./csv.ts";
