// One writer per run folder: a second process fails at once naming the live holder; a holder killed with
// kill -9 leaves a lock that the next writer takes over; evaluations share the folder with each other only.
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../_assert.ts";
import {
  acquireRunLock,
  busyMessage,
  prepareRunFolder,
  RUN_LOCK_FILE,
  RunFolderBusy,
  runFolderOf,
} from "../../../lib/train/run/mod.ts";

const HOLDER = new URL("./_hold_lock.ts", import.meta.url).pathname;

/** The RunFolderBusy that `fn` rejects with (fails otherwise). */
async function busy(fn: () => Promise<unknown>): Promise<RunFolderBusy> {
  try {
    await fn();
  } catch (e) {
    assert(e instanceof RunFolderBusy, `expected RunFolderBusy, got ${e}`);
    return e;
  }
  throw new Error("expected a RunFolderBusy rejection, got none");
}

/** Starts _hold_lock.ts on `dir`; resolves once it holds the lock. `done()` closes its pipes. */
async function startHolder(dir: string, ...extra: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `--allow-read=${dir}`, `--allow-write=${dir}`, HOLDER, dir, ...extra],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  assert(!first.done, "holder exited before taking the lock");
  assertEquals(JSON.parse(first.value!), { pid: child.pid });
  return { child, pid: child.pid, done: () => reader.cancel() };
}

/** A second process on the folder: what `prepareRunFolder` makes it print and exit with. */
async function secondProcess(dir: string, ...extra: string[]) {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `--allow-read=${dir}`, `--allow-write=${dir}`, HOLDER, dir, ...extra],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, stderr: new TextDecoder().decode(o.stderr) };
}

Deno.test("run lock: a second trainer process fails at once naming the live holder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-lock-" });
  try {
    await secondWriterRefused(dir);
    assertEquals(await Deno.readTextFile(join(dir, RUN_LOCK_FILE)), "", "record cleared");
    const lock = await acquireRunLock(dir);
    assertEquals(lock.previous, null);
    await lock.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A holder on `dir` and a second process refused beside it; the holder then exits cleanly. */
async function secondWriterRefused(dir: string) {
  const holder = await startHolder(dir);
  try {
    const t0 = performance.now();
    const second = await secondProcess(dir, "--resume");
    assert(second.code !== 0, "the second writer ran");
    for (
      const part of [
        `pid ${holder.pid}`,
        "since ",
        "_hold_lock.ts",
        `kill ${holder.pid}`,
        "another",
      ]
    ) assert(second.stderr.includes(part), `expected "${part}" in:\n${second.stderr}`);
    console.log(`second writer refused in ${(performance.now() - t0).toFixed(0)} ms`);
    // in this process too, typed, with the holder record
    const err = await busy(() => acquireRunLock(dir));
    assertEquals(err.holder?.pid, holder.pid);
    // the holder's config.json stayed as written
    assertEquals(JSON.parse(await Deno.readTextFile(join(dir, "config.json"))), { seed: 1 });
  } finally {
    holder.child.stdin.close(); // a clean exit releases the lock and clears the record
    assertEquals((await holder.child.status).code, 0);
    await holder.done();
  }
}

Deno.test("run lock: a holder killed with kill -9 leaves a lock the next writer takes over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-lock-" });
  try {
    const holder = await startHolder(dir);
    holder.child.kill("SIGKILL");
    await holder.child.status;
    await holder.done();
    const stale = JSON.parse(await Deno.readTextFile(join(dir, RUN_LOCK_FILE)));
    assertEquals(stale.pid, holder.pid, "the crashed holder's record is still there");
    const lines: string[] = [];
    await using lock = await prepareRunFolder(dir, { seed: 1 }, {
      resume: true,
      lock: { log: (l) => lines.push(l), command: "resume after the crash" },
    });
    assertEquals(lock.previous?.pid, holder.pid);
    assert(lines[0]?.includes(`taking over from pid ${holder.pid}`), lines.join("\n"));
    const record = JSON.parse(await Deno.readTextFile(join(dir, RUN_LOCK_FILE)));
    assertEquals([record.pid, record.command], [Deno.pid, "resume after the crash"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run lock: in one process, a second call fails naming this process; release is idempotent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-lock-" });
  try {
    const lock = await acquireRunLock(dir);
    const err = await busy(() => acquireRunLock(dir));
    assert(err.message.includes("already held by this process"), err.message);
    await lock.release();
    await lock.release();
    await (await acquireRunLock(dir)).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareRunFolder: a refused config releases the lock; --resume of a missing folder creates nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-lock-" });
  try {
    await (await prepareRunFolder(dir, { seed: 1 })).release();
    await assertRejects(() => prepareRunFolder(dir, { seed: 2 }, { resume: true }), '"seed"');
    await (await acquireRunLock(dir)).release(); // not left held by the refused call
    const missing = join(dir, "nope");
    await assertRejects(
      () => prepareRunFolder(missing, { seed: 1 }, { resume: true }),
      "does not exist",
    );
    assertEquals(await Deno.stat(missing).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run lock shared: evaluations beside each other, never beside the writer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "convrec-lock-" });
  try {
    // a folder no writer ever locked (no run.lock): a reader does not lock, creates nothing
    await (await acquireRunLock(dir, { shared: true })).release();
    assertEquals([...Deno.readDirSync(dir)], []);
    const writer = await acquireRunLock(dir, { command: "main.ts sft --run a" });
    const held = await busy(() => acquireRunLock(dir, { shared: true }));
    assert(held.message.includes("main.ts sft --run a"), held.message);
    await writer.release();
    const r1 = await acquireRunLock(dir, { shared: true });
    const r2 = await acquireRunLock(dir, { shared: true });
    const refused = await busy(() => acquireRunLock(dir));
    assert(refused.message.includes("being read"), refused.message);
    await r1.release();
    await r2.release();
    await (await acquireRunLock(dir)).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("busyMessage and runFolderOf: hand-checked text and paths", () => {
  const since = "2025-01-01T00:00:00.000Z";
  const msg = busyMessage(
    "runs/a",
    { pid: 7, since, command: "main.ts sft" },
    new Date(Date.parse(since) + 180_000),
  );
  assertEquals(
    msg,
    "runs/a: run folder is in use by another live process (pid 7, since 2025-01-01T00:00:00.000Z " +
      "(3 min ago), command: main.ts sft). Wait for it to finish or stop it (kill 7), or use another " +
      "run name. The lock runs/a/run.lock frees itself when that process exits, crashed or not: " +
      "there is nothing to delete.",
  );
  assert(busyMessage("runs/a", null).includes("names no holder yet"));
  assertEquals(runFolderOf("runs/a/checkpoints/step-12"), "runs/a");
  assertEquals(runFolderOf("data/models/base"), null);
});
