// Locates the read-only shared data (../shared beside the checkout; CI lays a copy there too).
export const SHARED = new URL("../../shared/data/reddit-v2/", import.meta.url).pathname;
export const REAL_CATALOG = `${SHARED}catalog.csv`;
export const REAL_SFT = `${SHARED}sft_sample.jsonl`;
