// Child process of crash_resume_test.ts: runs one batch against the fake server with the permissions
// the CLI should grant (--allow-net=<host:port> --allow-env=<apiKeyEnv> --allow-read/--allow-write=<cacheDir>)
// and prints one JSON progress line per settled request. Args: baseUrl cacheDir count apiKeyEnv.

import { createOpenAiClient } from "../../../lib/distill/teacher/openai_client.ts";

const [baseUrl, cacheDir, count, apiKeyEnv] = Deno.args;
const client = createOpenAiClient({
  baseUrl,
  model: "test-model",
  cacheDir,
  apiKeyEnv,
  concurrency: 4,
  maxRetries: 0,
});
const requests = Array.from(
  { length: Number(count) },
  (_, i) => ({ messages: [{ role: "user" as const, content: `item ${i}` }] }),
);
const result = await client.runBatch(requests, {
  onProgress: (p) => console.log(JSON.stringify(p)),
});
console.log(result.summary);
