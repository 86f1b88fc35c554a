// pickToken: greedy, temperature, top-p and allowed-set semantics against hand-computed distributions.
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { logSumExp, pickToken } from "../../../lib/model/generate/sampling.ts";

const LOGITS = Float32Array.from([Math.log(0.1), Math.log(0.2), Math.log(0.3), Math.log(0.4)]);
const close = (a: number, b: number, what: string) =>
  assert(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);

Deno.test("pickToken: greedy takes the argmax (lowest id on ties) and reports log p", () => {
  const g = pickToken(LOGITS, 0.99, { temperature: 0 });
  assertEquals(g.token, 3);
  close(g.logprob, Math.log(0.4), "logprob");
  assertEquals(g.samplingLogprob, 0);
  assertEquals(pickToken(Float32Array.from([1, 5, 5]), 0, { temperature: 0 }).token, 1);
  assertEquals(pickToken(LOGITS, 0, { temperature: 0, allowed: [0, 2] }).token, 2);
});

Deno.test("pickToken: temperature 1 inverts the CDF of p", () => {
  // CDF over ids 0..3: 0.1, 0.3, 0.6, 1.0
  const at = (u: number) => pickToken(LOGITS, u).token;
  assertEquals([0, 0.09, 0.11, 0.29, 0.31, 0.59, 0.61, 0.999].map(at), [0, 0, 1, 1, 2, 2, 3, 3]);
  const p = pickToken(LOGITS, 0.5);
  close(p.samplingLogprob, Math.log(0.3), "sampling logprob = policy logprob at T=1");
  close(p.logprob, Math.log(0.3), "logprob");
});

Deno.test("pickToken: temperature 2 samples ∝ sqrt(p); logprob stays the policy's", () => {
  const w = [0.1, 0.2, 0.3, 0.4].map(Math.sqrt), z = w.reduce((s, x) => s + x, 0);
  const pick = pickToken(LOGITS, (w[0] + 0.5 * w[1]) / z, { temperature: 2 });
  assertEquals(pick.token, 1);
  close(pick.samplingLogprob, Math.log(w[1] / z), "q");
  close(pick.logprob, Math.log(0.2), "p");
});

Deno.test("pickToken: top-p keeps the smallest head reaching the mass, renormalised", () => {
  // sorted 0.4, 0.3 → mass 0.7 ≥ 0.6: keep {3, 2}; q = 4/7, 3/7 in descending order
  const a = pickToken(LOGITS, 0.5, { topP: 0.6 });
  assertEquals(a.token, 3);
  close(a.samplingLogprob, Math.log(4 / 7), "q(3)");
  const b = pickToken(LOGITS, 0.6, { topP: 0.6 });
  assertEquals(b.token, 2);
  close(b.samplingLogprob, Math.log(3 / 7), "q(2)");
  close(b.logprob, Math.log(0.3), "p(2)");
  assertEquals(pickToken(LOGITS, 0.999, { topP: 0.39 }).token, 3);
  assertEquals(pickToken(LOGITS, 0.999, { topP: 1e-9 }).token, 3);
});

Deno.test("pickToken: allowed renormalises over the allowed ids only", () => {
  const pick = pickToken(LOGITS, 0.5, { allowed: [0, 1] }); // q = 1/3, 2/3
  assertEquals(pick.token, 1);
  close(pick.samplingLogprob, Math.log(2 / 3), "q");
  close(pick.logprob, Math.log(0.2), "p unconstrained");
  assertThrows(() => pickToken(LOGITS, 0.3, { allowed: [] }), /allowed/);
  assertThrows(() => pickToken(LOGITS, 0.3, { temperature: -1 }), /temperature/);
  assertThrows(() => pickToken(LOGITS, 0.3, { topP: 1.5 }), /topP/);
  close(logSumExp([0, 0]), Math.log(2), "logSumExp");
});
