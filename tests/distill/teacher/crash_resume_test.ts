// A batch killed mid-way (SIGKILL) loses nothing already answered: the re-run sends only the requests
// that never got an answer. The child runs with the narrow permissions the CLI should grant.

import { assert, assertEquals } from "../../_assert.ts";
import { createOpenAiClient } from "../../../lib/distill/teacher/openai_client.ts";
import { chatJson, readAllText, startFakeServer, userContent } from "./_fake_server.ts";

const KEY_ENV = "CONVREC_TEST_TEACHER_KEY";
const FAKE_KEY = "sk-test-FAKE-KEY-0123456789abcdef";
const CHILD = new URL("./_batch_child.ts", import.meta.url).pathname;
const N = 10;
const ANSWERED_BEFORE_KILL = 6;

const itemOf = (content: string) => Number(content.split(" ")[1]);

Deno.test("kill -9 mid-batch, then resume: only the unanswered requests are sent", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "teacher-crash-" });
  Deno.env.set(KEY_ENV, FAKE_KEY);
  let releaseHung = () => {};
  const hung = new Promise<void>((resolve) => (releaseHung = resolve));
  // The first 6 requests to ARRIVE are answered at once; later ones hang until the child is dead.
  // (Arrival order, not item index: the client checks its cache before taking a concurrency slot, so
  // under load requests can reach the server in any order.)
  const hungItems: number[] = [];
  let arrivals = 0;
  const first = startFakeServer(async (req) => {
    const i = itemOf(userContent(req));
    if (++arrivals > ANSWERED_BEFORE_KILL) {
      hungItems.push(i);
      await hung;
    }
    return chatJson(`answer ${i}`);
  });
  const port = Number(first.hostPort.split(":")[1]);
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        `--allow-net=${first.hostPort}`,
        `--allow-env=${KEY_ENV}`,
        `--allow-read=${cacheDir}`,
        `--allow-write=${cacheDir}`,
        CHILD,
        first.baseUrl,
        cacheDir,
        String(N),
        KEY_ENV,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    let out = "";
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    while (!out.includes(`"done":${ANSWERED_BEFORE_KILL},`)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    // Let the 4 remaining requests reach the server (they hang there), then kill.
    for (let t = 0; first.hits() < N && t < 300; t++) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    await reader.cancel();
    const status = await child.status;
    const err = await stderr;
    assert(out.includes(`"done":${ANSWERED_BEFORE_KILL},`), `child output: ${out}\n${err}`);
    assertEquals(status.signal, "SIGKILL");
    assert(!out.includes("runBatch:"), "the child finished before it was killed");
    assert(!(out + err).includes(FAKE_KEY));
    assertEquals(first.hits(), N); // 6 answered, 4 hanging when killed
  } finally {
    releaseHung();
    await first.close();
  }

  // Resume against the same base URL: only the 4 unanswered (the ones that hung) are sent.
  assertEquals(hungItems.length, N - ANSWERED_BEFORE_KILL);
  const seen: number[] = [];
  const second = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const i = itemOf(String((await req.json()).messages[0].content));
    seen.push(i);
    return chatJson(`answer ${i}`);
  });
  try {
    const client = createOpenAiClient({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      model: "test-model",
      cacheDir,
      apiKeyEnv: KEY_ENV,
    });
    const requests = Array.from(
      { length: N },
      (_, i) => ({ messages: [{ role: "user" as const, content: `item ${i}` }] }),
    );
    const r = await client.runBatch(requests);
    assertEquals(r.answers.map((a) => a?.content), requests.map((_, i) => `answer ${i}`));
    assertEquals([r.cached, r.fetched], [ANSWERED_BEFORE_KILL, N - ANSWERED_BEFORE_KILL]);
    assertEquals(seen.sort((a, b) => a - b), hungItems.sort((a, b) => a - b));
    assert(!(await readAllText(cacheDir)).includes(FAKE_KEY));
  } finally {
    await second.shutdown();
    Deno.env.delete(KEY_ENV);
    await Deno.remove(cacheDir, { recursive: true });
  }
});
