// Pure pieces of the client: Retry-After parsing, seeded backoff, failure classes, cache keys, semaphore.

import { assert, assertEquals } from "../../_assert.ts";
import { APIConnectionTimeoutError, APIError } from "openai";
import {
  backoffDelayMs,
  classifyFailure,
  malformedResponse,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
} from "../../../lib/distill/teacher/retry.ts";
import { cacheKey, canonicalJson, sha256Hex } from "../../../lib/distill/teacher/response_cache.ts";
import { semaphore } from "../../../lib/distill/teacher/semaphore.ts";

Deno.test("retryAfterMs: seconds, HTTP-date, retry-after-ms, garbage, clamping", () => {
  const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
  const h = (o: Record<string, string>) => new Headers(o);
  assertEquals(retryAfterMs(h({ "retry-after": "3" }), now), 3000);
  assertEquals(retryAfterMs(h({ "retry-after": "Wed, 21 Oct 2015 07:28:05 GMT" }), now), 5000);
  assertEquals(retryAfterMs(h({ "retry-after": "Wed, 21 Oct 2015 07:27:00 GMT" }), now), 0);
  assertEquals(retryAfterMs(h({ "retry-after-ms": "250", "retry-after": "9" }), now), 250);
  assertEquals(retryAfterMs(h({ "retry-after": "soon" }), now), null);
  assertEquals(retryAfterMs(h({}), now), null);
  assertEquals(retryAfterMs(h({ "retry-after": "99999" }), now), MAX_RETRY_AFTER_MS);
});

Deno.test("backoff: exponential, capped, jitter in [1/2, 1), same inputs same wait", () => {
  const o = { baseMs: 100, maxMs: 1000, seed: 7, key: "k" };
  for (let a = 0; a < 8; a++) {
    const ceiling = Math.min(1000, 100 * 2 ** a);
    const d = backoffDelayMs(a, o);
    assert(d >= ceiling / 2 && d <= ceiling, `attempt ${a}: ${d}`);
    assertEquals(backoffDelayMs(a, o), d);
  }
  const waits = new Set(["a", "b", "c", "d", "e"].map((key) => backoffDelayMs(3, { ...o, key })));
  assert(waits.size > 1, "jitter does not depend on the request");
  assert(
    backoffDelayMs(3, { ...o, seed: 8 }) !== backoffDelayMs(3, o) ||
      backoffDelayMs(4, { ...o, seed: 8 }) !== backoffDelayMs(4, o),
  );
});

Deno.test("classifyFailure: retryable vs fatal", () => {
  const now = 0;
  const http = (status: number, headers: Record<string, string> = {}) =>
    classifyFailure(
      APIError.generate(status, { error: { message: "m" } }, undefined, new Headers(headers)),
      now,
    );
  assertEquals([
    http(429, { "retry-after": "2" }).retryable,
    http(429, { "retry-after": "2" }).retryAfterMs,
  ], [true, 2000]);
  assertEquals([500, 502, 503, 408, 409].map((s) => http(s).retryable), [
    true,
    true,
    true,
    true,
    true,
  ]);
  assertEquals([400, 401, 403, 404, 422].map((s) => http(s).retryable), [
    false,
    false,
    false,
    false,
    false,
  ]);
  assertEquals([400, 401, 403, 404].map((s) => http(s).fatal), [false, true, true, true]);
  assertEquals(classifyFailure(new APIConnectionTimeoutError(), now).kind, "timeout");
  assertEquals(classifyFailure(new SyntaxError("x"), now).kind, "malformed");
  assertEquals(classifyFailure(malformedResponse("x"), now).retryable, true);
  assertEquals(classifyFailure(new TypeError("bug"), now).retryable, false);
});

Deno.test("cache key: canonical JSON ignores key order, changes with any answer-relevant field", async () => {
  assertEquals(
    canonicalJson({ b: 1, a: [{ d: 2, c: 3 }], u: undefined }),
    '{"a":[{"c":3,"d":2}],"b":1}',
  );
  assertEquals(
    await sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  const base = {
    baseUrl: "http://h/v1",
    model: "m",
    messages: [{ role: "user", content: "x" }],
    temperature: 0,
  };
  const k = await cacheKey(base);
  assertEquals(
    await cacheKey({ temperature: 0, messages: base.messages, model: "m", baseUrl: "http://h/v1" }),
    k,
  );
  for (
    const change of [{ model: "n" }, { baseUrl: "http://g/v1" }, { temperature: 0.7 }, {
      messages: [],
    }]
  ) {
    assert(await cacheKey({ ...base, ...change }) !== k, JSON.stringify(change));
  }
});

Deno.test("semaphore: never more than the limit at once, FIFO, errors release the slot", async () => {
  const limit = semaphore(2);
  let running = 0, peak = 0;
  const order: number[] = [];
  const task = (i: number) =>
    limit(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i);
      running--;
      if (i === 1) throw new Error("boom");
      return i;
    });
  const results = await Promise.allSettled([0, 1, 2, 3, 4].map(task));
  assertEquals(peak, 2);
  assertEquals(results.map((r) => r.status), [
    "fulfilled",
    "rejected",
    "fulfilled",
    "fulfilled",
    "fulfilled",
  ]);
  assertEquals(order, [0, 1, 2, 3, 4]);
});
