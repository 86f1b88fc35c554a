// The OpenAI-compatible client against a fake server on 127.0.0.1 (real HTTP): answers, retries (429 +
// Retry-After, 5xx, timeouts, malformed bodies), no retry on 4xx, cache, concurrency bound, batches.

import { assert, assertEquals, assertRejects, assertThrows } from "../../_assert.ts";
import { createOpenAiClient } from "../../../lib/distill/teacher/openai_client.ts";
import type { ClientConfigInput } from "../../../lib/distill/teacher/client_config.ts";
import { cachePath } from "../../../lib/distill/teacher/response_cache.ts";
import {
  chatJson,
  errorJson,
  readAllText,
  sleep,
  startFakeServer,
  userContent,
} from "./_fake_server.ts";

const KEY_ENV = "CONVREC_TEST_TEACHER_KEY";
const FAKE_KEY = "sk-test-FAKE-KEY-0123456789abcdef";

/** Runs `body` with a temp cache dir, the fake key set, and a captured log. */
async function withSetup(
  fn: (
    ctx: { cacheDir: string; logs: string[]; config: (baseUrl: string) => ClientConfigInput },
  ) => Promise<void>,
): Promise<void> {
  const cacheDir = await Deno.makeTempDir({ prefix: "teacher-cache-" });
  Deno.env.set(KEY_ENV, FAKE_KEY);
  const logs: string[] = [];
  try {
    await fn({
      cacheDir,
      logs,
      config: (baseUrl) => ({
        baseUrl,
        model: "test-model",
        cacheDir,
        apiKeyEnv: KEY_ENV,
        backoffBaseMs: 5,
        backoffMaxMs: 20,
        maxRetries: 3,
        timeoutMs: 2000,
      }),
    });
  } finally {
    Deno.env.delete(KEY_ENV);
    await Deno.remove(cacheDir, { recursive: true });
  }
}

const ask = (content: string) => ({ messages: [{ role: "user" as const, content }] });

Deno.test("normal answer: request fields, key only in the Authorization header, cached on re-run", async () => {
  await withSetup(async ({ cacheDir, logs, config }) => {
    const server = startFakeServer((req) => chatJson(`echo: ${userContent(req)}`));
    try {
      const client = createOpenAiClient(config(server.baseUrl), { log: (l) => logs.push(l) });
      const a = await client.complete(ask("hello"));
      assertEquals(a.content, "echo: hello");
      assertEquals([a.cached, a.truncated, a.finishReason], [false, false, "stop"]);
      assertEquals(a.usage, { promptTokens: 10, completionTokens: 5 });
      const req = server.requests[0];
      assertEquals(req.path, "/v1/chat/completions");
      assertEquals(req.authorization, `Bearer ${FAKE_KEY}`);
      assertEquals([req.body.model, req.body.temperature, req.body.max_tokens], [
        "test-model",
        0,
        2048,
      ]);
      // A fresh client on the same cache dir answers without calling the server.
      const again = createOpenAiClient(config(server.baseUrl), { log: (l) => logs.push(l) });
      const b = await again.complete(ask("hello"));
      assertEquals([b.content, b.cached, b.key], ["echo: hello", true, a.key]);
      assertEquals(server.hits(), 1);
      assert(!(await readAllText(cacheDir)).includes(FAKE_KEY), "key written to the cache");
      assert(!logs.join("\n").includes(FAKE_KEY), "key in logs");
    } finally {
      await server.close();
    }
  });
});

Deno.test("429 with Retry-After (seconds) is honoured, then success", async () => {
  await withSetup(async ({ logs, config }) => {
    const server = startFakeServer((req) =>
      req.hit === 1 ? errorJson(429, "slow down", { "retry-after": "1" }) : chatJson("ok")
    );
    try {
      const client = createOpenAiClient(config(server.baseUrl), { log: (l) => logs.push(l) });
      const t0 = performance.now();
      const a = await client.complete(ask("x"));
      const waited = performance.now() - t0;
      assertEquals(a.content, "ok");
      assertEquals(server.hits(), 2);
      // a lower bound (the client slept as told): a slow machine only waits longer, so it cannot flake
      assert(waited >= 950, `waited ${waited} ms, Retry-After asked for 1000`);
      assert(logs.some((l) => l.includes("HTTP 429") && l.includes("in 1000 ms")), logs.join("\n"));
    } finally {
      await server.close();
    }
  });
});

Deno.test("500 then success; 500 beyond retries fails naming host, status and fix", async () => {
  await withSetup(async ({ logs, config }) => {
    const server = startFakeServer((req) =>
      userContent(req) === "flaky" && req.hit === 1
        ? errorJson(500, "boom")
        : userContent(req) === "dead"
        ? errorJson(503, "down")
        : chatJson("ok")
    );
    try {
      const client = createOpenAiClient(config(server.baseUrl), { log: (l) => logs.push(l) });
      assertEquals((await client.complete(ask("flaky"))).content, "ok");
      assertEquals(server.hits(), 2);
      await assertRejects(
        () => client.complete(ask("dead")),
        `${server.hostPort}: chat completion failed after 4 attempts: HTTP 503`,
      );
      assertEquals(server.hits(), 2 + 4);
    } finally {
      await server.close();
    }
  });
});

Deno.test("a response slower than timeoutMs is abandoned and retried", async () => {
  await withSetup(async ({ logs, config }) => {
    const server = startFakeServer(async (req) => {
      if (req.hit === 1) await sleep(700); // 3.5× the client's timeout
      return chatJson(req.hit === 1 ? "slow" : "fast");
    });
    try {
      const client = createOpenAiClient({ ...config(server.baseUrl), timeoutMs: 200 }, {
        log: (l) => logs.push(l),
      });
      const t0 = performance.now();
      // the slow first answer ("slow") was abandoned: the content is the retry's, not a timing
      assertEquals((await client.complete(ask("x"))).content, "fast");
      console.log(`timeout and retry took ${(performance.now() - t0).toFixed(0)} ms`);
      assertEquals(server.hits(), 2);
      assert(logs.some((l) => l.includes("timeout")), logs.join("\n"));
    } finally {
      await server.close();
    }
  });
});

Deno.test("malformed JSON and missing choices are retried, then reported", async () => {
  await withSetup(async ({ logs, config }) => {
    const server = startFakeServer((req) => {
      const c = userContent(req);
      if (c === "bad-json-once" && req.hit === 1) {
        return new Response('{"choices": [', { headers: { "content-type": "application/json" } });
      }
      if (c === "no-choices") return Response.json({ id: "x", choices: [] });
      if (c === "no-choices-field") return Response.json({ id: "x" });
      if (c === "text-body") return new Response("<html>proxy error</html>");
      return chatJson("ok");
    });
    try {
      const client = createOpenAiClient({ ...config(server.baseUrl), maxRetries: 1 }, {
        log: (l) => logs.push(l),
      });
      assertEquals((await client.complete(ask("bad-json-once"))).content, "ok");
      assertEquals(server.hits(), 2);
      await assertRejects(
        () => client.complete(ask("no-choices")),
        "malformed: chat completion: choices",
      );
      await assertRejects(() => client.complete(ask("no-choices-field")), "choices");
      await assertRejects(() => client.complete(ask("text-body")), "expected a JSON body");
      assertEquals(server.hits(), 2 + 3 * 2);
    } finally {
      await server.close();
    }
  });
});

Deno.test("finish_reason length is flagged as truncated (and cached as such)", async () => {
  await withSetup(async ({ config }) => {
    const server = startFakeServer(() => chatJson("Heat (1995)\nAlie", "length"));
    try {
      const a = await createOpenAiClient(config(server.baseUrl)).complete(ask("x"));
      assertEquals([a.truncated, a.finishReason, a.content], [true, "length", "Heat (1995)\nAlie"]);
      const b = await createOpenAiClient(config(server.baseUrl)).complete(ask("x"));
      assertEquals([b.truncated, b.cached], [true, true]);
    } finally {
      await server.close();
    }
  });
});

Deno.test("401 is not retried; the message names host, status and fix, never the key", async () => {
  await withSetup(async ({ cacheDir, logs, config }) => {
    // The server echoes the Authorization header back, as some proxies do.
    const server = startFakeServer((req) => errorJson(401, `bad key ${req.authorization}`));
    try {
      const client = createOpenAiClient(config(server.baseUrl), { log: (l) => logs.push(l) });
      let message = "";
      try {
        await client.complete(ask("x"));
      } catch (err) {
        message = (err as Error).message;
        assertEquals((err as { status: number }).status, 401);
      }
      assertEquals(server.hits(), 1);
      assert(message.includes(server.hostPort) && message.includes("HTTP 401"), message);
      assert(message.includes(`set ${KEY_ENV}`), message);
      assert(!message.includes(FAKE_KEY), `key leaked: ${message}`);
      assert(message.includes("[redacted]"), message);
      const batch = await client.runBatch([ask("a"), ask("b")]);
      assert(!batch.summary.includes(FAKE_KEY) && !logs.join("\n").includes(FAKE_KEY));
      assert(!(await readAllText(cacheDir)).includes(FAKE_KEY));
    } finally {
      await server.close();
    }
  });
});

Deno.test("400 and 404 are not retried; 404 says to check baseUrl", async () => {
  await withSetup(async ({ config }) => {
    const server = startFakeServer((req) =>
      userContent(req) === "a"
        ? errorJson(400, "context too long")
        : errorJson(404, "no such model")
    );
    try {
      const client = createOpenAiClient(config(server.baseUrl));
      await assertRejects(() => client.complete(ask("a")), "HTTP 400: context too long");
      await assertRejects(() => client.complete(ask("b")), "check baseUrl");
      assertEquals(server.hits(), 2);
    } finally {
      await server.close();
    }
  });
});

Deno.test("a missing key fails with the fix; a fully cached run needs no key", async () => {
  await withSetup(async ({ config }) => {
    const server = startFakeServer(() => chatJson("ok"));
    try {
      await createOpenAiClient(config(server.baseUrl)).complete(ask("x"));
      Deno.env.delete(KEY_ENV);
      const client = createOpenAiClient(config(server.baseUrl));
      assertEquals((await client.complete(ask("x"))).cached, true);
      await assertRejects(() => client.complete(ask("y")), `set ${KEY_ENV} in the environment`);
      assertEquals(server.hits(), 1);
    } finally {
      await server.close();
    }
  });
});

Deno.test("network error (nothing listening) is retried then reported", async () => {
  await withSetup(async ({ logs, config }) => {
    const server = startFakeServer(() => chatJson("ok"));
    const baseUrl = server.baseUrl;
    await server.close();
    const client = createOpenAiClient({ ...config(baseUrl), maxRetries: 1 }, {
      log: (l) => logs.push(l),
    });
    await assertRejects(() => client.complete(ask("x")), "failed after 2 attempts: network");
    assertEquals(logs.length, 1);
  });
});

Deno.test("concurrency bound: the server never sees more than `concurrency` requests at once", async () => {
  await withSetup(async ({ config }) => {
    const server = startFakeServer(async (req) => {
      await sleep(40);
      return chatJson(userContent(req));
    });
    try {
      const client = createOpenAiClient({ ...config(server.baseUrl), concurrency: 3 });
      const progress: number[] = [];
      const r = await client.runBatch(
        Array.from({ length: 12 }, (_, i) => ask(`q${i}`)),
        { onProgress: (p) => progress.push(p.done) },
      );
      assertEquals(r.answers.map((a) => a?.content), Array.from({ length: 12 }, (_, i) => `q${i}`));
      assertEquals(server.maxInFlight(), 3);
      assertEquals(progress, Array.from({ length: 12 }, (_, i) => i + 1));
    } finally {
      await server.close();
    }
  });
});

Deno.test("resumable batch: permanent 500s give partial results; the re-run sends only the missing", async () => {
  await withSetup(async ({ logs, config }) => {
    const requests = Array.from({ length: 10 }, (_, i) => ask(`item ${i}`));
    const failing = startFakeServer((req) => {
      const i = Number(userContent(req).split(" ")[1]);
      return i % 2 === 1 ? errorJson(500, "permanent") : chatJson(`answer ${i}`);
    });
    let port = 0;
    try {
      port = Number(failing.hostPort.split(":")[1]);
      const first = await createOpenAiClient({ ...config(failing.baseUrl), maxRetries: 2 }, {
        log: (l) => logs.push(l),
      })
        .runBatch(requests);
      assertEquals(logs.filter((l) => l.includes("HTTP 500: permanent")).length, 5 * 2); // retry notices
      assertEquals(
        first.answers.map((a) => a?.content ?? null),
        requests.map((_, i) => i % 2 ? null : `answer ${i}`),
      );
      assertEquals(first.failures.map((f) => [f.index, f.status]), [[1, 500], [3, 500], [5, 500], [
        7,
        500,
      ], [9, 500]]);
      assert(
        first.summary.startsWith("runBatch: 5/10 answered (0 from cache, 5 fetched); 5 failed:"),
        first.summary,
      );
      assert(first.summary.includes("#3: ") && first.summary.includes("HTTP 500"), first.summary);
      assertEquals(failing.hits(), 5 + 5 * 3);
    } finally {
      await failing.close();
    }
    // Same base URL (same port) so the cache keys match.
    const healthy = startHealthyServerOn(port);
    try {
      const second = await createOpenAiClient(config(healthy.baseUrl)).runBatch(requests);
      assertEquals(second.answers.map((a) => a?.content), requests.map((_, i) => `answer ${i}`));
      assertEquals([second.cached, second.fetched, second.failures.length], [5, 5, 0]);
      assertEquals(healthy.hits(), 5);
      assertEquals(healthy.seen.sort(), [1, 3, 5, 7, 9]);
    } finally {
      await healthy.close();
    }
  });
});

/** A healthy server on a given port (the batch re-run must hit the same baseUrl). */
function startHealthyServerOn(port: number) {
  const seen: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const i = Number(String(body.messages[0].content).split(" ")[1]);
    seen.push(i);
    return chatJson(`answer ${i}`);
  });
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    seen,
    hits: () => seen.length,
    close: () => server.shutdown(),
  };
}

Deno.test("a 401 stops the batch: queued requests are not sent", async () => {
  await withSetup(async ({ config }) => {
    const server = startFakeServer(() => errorJson(401, "invalid key"));
    try {
      const client = createOpenAiClient({ ...config(server.baseUrl), concurrency: 2 });
      const r = await client.runBatch(Array.from({ length: 10 }, (_, i) => ask(`q${i}`)));
      // at most the two in flight reach the server (under load the first 401 can land before the second
      // request took its slot); the rest are skipped, never sent
      assert(server.hits() >= 1 && server.hits() <= 2, `hits ${server.hits()}`);
      assertEquals(r.failures.length, 10);
      assert(r.stopped !== null && r.stopped.includes("HTTP 401"), String(r.stopped));
      assert(r.failures.some((f) => f.kind === "skipped" && f.message.includes("not sent")));
    } finally {
      await server.close();
    }
  });
});

Deno.test("a corrupted cache file is detected, warned about, refetched and repaired", async () => {
  await withSetup(async ({ cacheDir, logs, config }) => {
    const server = startFakeServer(() => chatJson("fresh"));
    try {
      const client = createOpenAiClient(config(server.baseUrl), { log: (l) => logs.push(l) });
      const a = await client.complete(ask("x"));
      const path = cachePath(cacheDir, a.key);
      await Deno.writeTextFile(path, '{"version":1,"key":"trunc');
      assertEquals((await client.complete(ask("x"))).cached, false);
      assert(logs.some((l) => l.includes(path) && l.includes("not JSON")), logs.join("\n"));
      // A valid entry under the wrong name (another request's answer) is caught too.
      const b = await client.complete(ask("y"));
      await Deno.copyFile(cachePath(cacheDir, b.key), path);
      assertEquals((await client.complete(ask("x"))).cached, false);
      assert(logs.some((l) => l.includes("holds key")), logs.join("\n"));
      assertEquals(server.hits(), 4);
      assertEquals((await client.complete(ask("x"))).cached, true);
    } finally {
      await server.close();
    }
  });
});

Deno.test("embed: batched by embeddingBatchSize, cached per text, duplicates sent once", async () => {
  await withSetup(async ({ config }) => {
    const server = startFakeServer((req) => {
      const input: string[] = req.body.input;
      assertEquals(req.body.encoding_format, "float");
      return Response.json({
        object: "list",
        data: input.map((t, index) => ({
          object: "embedding",
          index,
          embedding: [t.length, 1, 0.5],
        })),
      });
    });
    try {
      const cfg = { ...config(server.baseUrl), embeddingModel: "emb", embeddingBatchSize: 3 };
      const texts = ["a", "bb", "ccc", "dddd", "bb", "eeeee", "ffffff", "g"];
      const v = await createOpenAiClient(cfg).embed(texts);
      assertEquals(v.map((x) => Array.from(x)), texts.map((t) => [t.length, 1, 0.5]));
      assertEquals(server.hits(), 3); // 7 distinct texts in batches of 3
      assertEquals(server.requests.map((r) => r.path), [
        "/v1/embeddings",
        "/v1/embeddings",
        "/v1/embeddings",
      ]);
      const again = await createOpenAiClient(cfg).embed(["g", "a", "new"]);
      assertEquals(again.map((x) => x[0]), [1, 1, 3]);
      assertEquals(server.hits(), 4);
      await assertRejects(
        () => createOpenAiClient(config(server.baseUrl)).embed(["a"]),
        "embeddingModel",
      );
    } finally {
      await server.close();
    }
  });
});

Deno.test("config: strict fields, defaults, and a pasted key is refused without being echoed", () => {
  {
    // Creating a client touches neither the network, the environment nor the cache folder.
    const base = { baseUrl: "http://127.0.0.1:9/v1", model: "m", cacheDir: "never-created" };
    const c = createOpenAiClient(base).config;
    assertEquals([c.temperature, c.concurrency, c.maxRetries, c.apiKeyEnv], [
      0,
      8,
      5,
      "OPENAI_API_KEY",
    ]);
    let message = "";
    try {
      createOpenAiClient({ ...base, apiKey: FAKE_KEY } as unknown as ClientConfigInput);
    } catch (err) {
      message = (err as Error).message;
    }
    assert(message.includes("apiKey") && message.includes("environment variable"), message);
    assert(!message.includes(FAKE_KEY), message);
    assertThrows(
      () => createOpenAiClient({ ...base, concurency: 2 } as unknown as ClientConfigInput),
      "concurency",
    );
    assertThrows(() => createOpenAiClient({ ...base, baseUrl: "ftp://x" }), "baseUrl");
  }
});
