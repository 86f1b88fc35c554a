// watchParent with an injected parent pid: fires once when it changes, never while it stays.
import { assertEquals } from "../_assert.ts";
import { watchParent } from "../../lib/runtime/parent_watch.ts";

Deno.test("watchParent: calls onParentGone once with the old parent pid when the ppid changes", async () => {
  let ppid = 4242;
  const gone: number[] = [];
  const stop = watchParent({ intervalMs: 10, ppid: () => ppid, onParentGone: (p) => gone.push(p) });
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(gone, [], "parent still there");
  ppid = 1; // re-parented to init: the parent died
  await new Promise((r) => setTimeout(r, 50));
  ppid = 7;
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(gone, [4242]);
  stop();
});

Deno.test("watchParent: a named parent already gone at the start (died while this one started) fires at once", async () => {
  const gone: number[] = [];
  const stop = watchParent({
    intervalMs: 10,
    parentPid: 4242,
    ppid: () => 1,
    onParentGone: (p) => gone.push(p),
  });
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(gone, [4242]);
  stop();
});
