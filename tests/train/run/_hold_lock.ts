// A process that takes a run folder the way a trainer does (prepareRunFolder) and holds it until killed
// or until its stdin closes; prints one line `{"pid": N}` once it holds the lock. Used by run_lock_test.ts.
import { prepareRunFolder } from "../../../lib/train/run/run_folder.ts";

const [dir] = Deno.args;
await using _lock = await prepareRunFolder(dir, { seed: 1 }, {
  resume: Deno.args.includes("--resume"),
});
console.log(JSON.stringify({ pid: Deno.pid }));
await new Response(Deno.stdin.readable).arrayBuffer(); // until the test closes stdin (or kills us)
