// `convrec score` as a user runs it — a whole process, start-up included — side by side with the
// Python reference of the authors' rules (tests/reference/reference_scorer.py --score-records) on the
// same file in the same run; and the peak RSS of the whole process tree as the input grows.
//
//   npx -y deno@2.9.6 run --allow-read --allow-write=/tmp --allow-run --allow-env \
//     tests/bench/score_process.ts [--sizes 18000,90000,1000000] [--rounds 5] [--python-max 90000]
//     [--python python3]
//
// Records are the 40 real Reddit-v2 SFT records (../shared) cycled to each size (~2.9 KB each; 1M
// records are a 2.9 GB file, written to /tmp and removed). Timing rounds alternate TS and Python
// with nothing else sampled; memory is measured in separate runs that list `ps -eo pid,ppid,rss` every ~20 ms and
// sum RSS over the process and all its descendants (deno task → launcher → child). The two summaries
// must be equal (records, Recall/NDCG@k, in-catalog, violations): both did the same work.

import { parseArgs } from "node:util";

const HERE = new URL(".", import.meta.url).pathname;
const ROOT = `${HERE}../..`;
const DATA = `${ROOT}/../shared/data/reddit-v2`;
const CATALOG = `${DATA}/catalog.csv`;
const SFT = `${DATA}/sft_sample.jsonl`;
const REFERENCE = `${HERE}../reference/reference_scorer.py`;
const DENO = Deno.execPath();

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "18000,90000" },
    rounds: { type: "string", default: "5" },
    "python-max": { type: "string", default: "90000" },
    python: { type: "string", default: "python3" },
  },
});
const SIZES = flags.sizes.split(",").map(Number);
const ROUNDS = Number(flags.rounds);
const PYTHON_MAX = Number(flags["python-max"]);
const PYTHON = flags.python;

/** Writes the real records cycled to `count` lines; returns the path. */
async function recordsFile(dir: string, count: number): Promise<string> {
  const lines = (await Deno.readTextFile(SFT)).split("\n").filter((l) => l.trim() !== "");
  const path = `${dir}/records_${count}.jsonl`;
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  const block = enc.encode(lines.join("\n") + "\n");
  for (let i = 0; i + lines.length <= count; i += lines.length) await file.write(block);
  const rest = count % lines.length;
  if (rest > 0) await file.write(enc.encode(lines.slice(0, rest).join("\n") + "\n"));
  file.close();
  return path;
}

interface RunResult {
  seconds: number;
  /** Peak summed RSS of the tree in MB (only when sampled). */
  peakMb: number | null;
  summary: Record<string, unknown>;
}

/** Summed RSS (kB) of `root` and all its descendants now, from one `ps` listing (Deno reads /proc
 * only with --allow-all). */
async function treeRssKb(root: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,ppid=,rss="], stdout: "piped" })
    .output();
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const [pid, ppid, kb] = line.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(pid)) continue;
    rss.set(pid, kb);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

async function run(cmd: string, args: string[], sample: boolean): Promise<RunResult> {
  const start = performance.now();
  const child = new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .spawn();
  let peak = 0;
  let done = false;
  const sampler = (async () => {
    while (sample && !done) {
      peak = Math.max(peak, await treeRssKb(child.pid));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const out = await child.output();
  const seconds = (performance.now() - start) / 1000;
  done = true;
  await sampler;
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  const summary = JSON.parse(stdout.split("\n").at(-1)!);
  return { seconds, peakMb: sample ? peak / 1024 : null, summary };
}

const ts = (path: string, sample = false) =>
  run(DENO, ["task", "--quiet", "cli", "score", "--catalog", CATALOG, "--data", path], sample);
const py = (path: string, sample = false) =>
  run(PYTHON, [REFERENCE, "--catalog", CATALOG, "--score-records", path], sample);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The fields both print, for the same-work check. */
function common(s: Record<string, unknown>): string {
  const { records, recall, ndcg, in_catalog, format_violations } = s;
  return JSON.stringify({ records, recall, ndcg, in_catalog, format_violations });
}

const dir = await Deno.makeTempDir({ prefix: "score_process_" });
try {
  console.log(
    `# convrec score as a whole process vs the Python reference (${new Date().toISOString()})`,
  );
  console.log(`deno ${Deno.version.deno}: ${DENO}; python: ${PYTHON}; rounds: ${ROUNDS}\n`);
  console.log(
    "| records | TS s (median) | Python s (median) | Python/TS | TS peak tree RSS MB | Python peak RSS MB |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const size of SIZES) {
    const path = await recordsFile(dir, size);
    const withPython = size <= PYTHON_MAX;
    const rounds = size <= 20_000 ? ROUNDS : 1;
    const tsTimes: number[] = [];
    const pyTimes: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = await ts(path);
      tsTimes.push(t.seconds);
      if (withPython) {
        const p = await py(path);
        pyTimes.push(p.seconds);
        if (common(t.summary) !== common(p.summary)) {
          throw new Error(
            `summaries differ at ${size}:\nTS ${common(t.summary)}\nPy ${common(p.summary)}`,
          );
        }
      }
    }
    const tsMem = await ts(path, true);
    const pyMem = withPython && size <= 20_000 ? await py(path, true) : null;
    const tsMed = median(tsTimes);
    const pyMed = withPython ? median(pyTimes) : null;
    console.log(
      `| ${size} | ${tsMed.toFixed(2)} | ${pyMed?.toFixed(2) ?? "—"} | ${
        pyMed === null ? "—" : (pyMed / tsMed).toFixed(1) + "×"
      } | ${tsMem.peakMb!.toFixed(0)} | ${pyMem?.peakMb?.toFixed(0) ?? "—"} |`,
    );
    await Deno.remove(path);
  }
  try {
    const t0 = performance.now();
    const v = await new Deno.Command("npx", {
      args: ["-y", "deno@2.9.6", "--version"],
      stdout: "null",
    })
      .output();
    if (v.success) {
      console.log(
        `\n\`npx -y deno@2.9.6\` resolution alone: ${
          ((performance.now() - t0) / 1000).toFixed(2)
        } s ` +
          "(added to every `npx -y deno@2.9.6 task cli …` call; not in the TS column)",
      );
    }
  } catch { /* no npx */ }
} finally {
  await Deno.remove(dir, { recursive: true });
}
