// Public surface of lib/catalog: the catalog, the authors' list parser, and Python text semantics.
export * from "./catalog.ts";
export * from "./parse_list.ts";
export * from "./py_text.ts";
