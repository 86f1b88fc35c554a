#!/usr/bin/python3
"""Executes a Jupyter notebook headless through nbclient without losing late outputs, papermill-style.

Departs from stock `jupyter nbconvert --execute`: the Deno kernel sometimes publishes stdout or an
execute_result just AFTER `status: idle` (platform.md), which nbclient drops. This runner keeps
reading iopub after idle until it has been quiet for --grace seconds, routes any output that still
arrives later (while the next cell runs) to the cell that produced it by its parent msg_id, and
drains iopub once more (0.3 s quiet) after the last cell. Measured: no output lost, 2-11 late
outputs per 60 rescued; stock nbconvert lost 2-5 of the same 60.

Parameters convention (the TypeScript analogue of papermill):
  * the cell tagged `parameters` declares each knob with `let`, one per line, e.g.
        let seed = 1;
        let algo: "grpo" | "rank_grpo" = "rank_grpo";
  * `--set key=value` (value parsed as JSON when it parses, else taken as a string) injects a cell
    tagged `injected-parameters` right after it that assigns `key = <JSON literal>;`.
    Assignments (not redeclarations) keep the notebook valid TypeScript when its cells are joined
    and type-checked; a key the parameters cell does not declare, or declares with `const`, fails.
  * the executed notebook records the overrides under metadata.papermill.parameters (with papermill's
    input/output paths, UTC start/end times, duration and exception flag), where papermill-aware tools
    read them, and under metadata.convrec (with the runner's wall time and any re-run).

Re-running one cell (what a user does after editing a cell in Jupyter):
  * `--rerun-cell N` (N: the cell's index in the INPUT notebook, 0-based, markdown cells counted)
    re-executes that code cell once more, after the whole notebook ran without error, in the same
    kernel; `--rerun-replace OLD=>NEW` (repeatable, applied in order; split at the first `=>`, so OLD
    cannot contain `=>`) first replaces every occurrence of OLD in its source, and each OLD must occur.
  * The saved notebook holds the edited source and the re-run's outputs in that cell; the other
    cells keep their outputs of the first pass, exactly what a user sees after the edit.

The runner stops with its parent: when the process that started it dies (a killed `convrec demo` or
`convrec nb`, whatever the signal), it kills its kernel's process group and exits, so no kernel
trains on with nobody reading its outputs.

Usage:
  /usr/bin/python3 lib/notebook/run_notebook.py NB.ipynb --out-dir DIR [--set k=v]... [--timeout S]
      [--grace S] [--kernel NAME] [--no-html] [--rerun-cell N [--rerun-replace OLD=>NEW]...]
Writes DIR/<stem>.ipynb (executed, also when a cell fails) and DIR/<stem>.html, prints one JSON
summary line on stdout; progress lines go to stderr. Exit 0 ok, 1 a cell failed, 2 bad usage/input.
"""

import argparse
import asyncio
import datetime
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async

DECL_RE = re.compile(r"^\s*(let|const|var)\s+([A-Za-z_$][\w$]*)", re.MULTILINE)


class UsageError(Exception):
    """Bad command line or notebook content (exit status 2)."""


def parse_set(items):
    """['k=v', ...] -> ordered dict; v is JSON when it parses, else the raw string."""
    out = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--set {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        key = key.strip()
        if not re.fullmatch(r"[A-Za-z_$][\w$]*", key):
            raise UsageError(f"--set {item!r}: key {key!r} is not a TypeScript identifier")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def find_parameters_cell(nb):
    """Index of the first code cell tagged `parameters`, or None."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    return None


def inject_parameters(nb, params, path):
    """Inserts the `injected-parameters` cell after the parameters cell; returns its index or None."""
    # Drop a previously injected cell so re-running an executed notebook does not stack overrides.
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    if not params:
        return None
    idx = find_parameters_cell(nb)
    if idx is None:
        raise UsageError(f"{path}: --set given but no code cell is tagged 'parameters'")
    declared = {name: kind for kind, name in DECL_RE.findall(nb.cells[idx].source)}
    for key in params:
        if key not in declared:
            names = ", ".join(declared) or "(none)"
            raise UsageError(f"{path}: cell {idx} (parameters): --set {key}: not declared; it declares {names}")
        if declared[key] == "const":
            raise UsageError(f"{path}: cell {idx} (parameters): `{key}` is declared with const; declare knobs with let")
    lines = ["// Injected by lib/notebook/run_notebook.py (--set overrides)."]
    lines += [f"{key} = {json.dumps(value)};" for key, value in params.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]})
    if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = "injected-parameters"  # cell ids exist from nbformat 4.5 on
    else:
        cell.pop("id", None)
    nb.cells.insert(idx + 1, cell)
    return idx + 1


def papermill_metadata(params, input_path, output_path, start, end, failed):
    """The run's record in the fields papermill writes under metadata.papermill (parameters, paths, UTC
    times, duration, whether a cell failed), so papermill-aware tools (scrapbook, nteract, papermill's
    own readers) find an executed notebook's parameters where they expect them."""
    iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()
    return {
        "parameters": params,
        "environment_variables": {},
        "input_path": input_path,
        "output_path": output_path,
        "start_time": iso(start),
        "end_time": iso(end),
        "duration": round(end - start, 3),
        "exception": failed,
    }


def parse_replacements(items):
    """['OLD=>NEW', ...] -> [(OLD, NEW), ...], split at the first `=>`; OLD must be non-empty."""
    out = []
    for item in items:
        old, sep, new = item.partition("=>")
        if not sep or old == "":
            raise UsageError(f"--rerun-replace {item!r}: expected OLD=>NEW with a non-empty OLD")
        out.append((old, new))
    return out


def plan_rerun(nb, cell_index, replacements, path):
    """The cell to re-run (a cell object of nb, found before injection) and its edited source."""
    if cell_index is None:
        if replacements:
            raise UsageError("--rerun-replace given without --rerun-cell")
        return None
    if not 0 <= cell_index < len(nb.cells):
        raise UsageError(f"{path}: --rerun-cell {cell_index}: expected 0..{len(nb.cells) - 1}")
    cell = nb.cells[cell_index]
    tags = cell.get("metadata", {}).get("tags", [])
    if cell.cell_type != "code" or not cell.source.strip() or "injected-parameters" in tags:
        raise UsageError(f"{path}: cell {cell_index}: --rerun-cell expects a non-empty code cell, got {cell.cell_type}")
    source = cell.source
    for old, new in replacements:
        if old not in source:
            raise UsageError(f"{path}: cell {cell_index}: --rerun-replace: {old!r} not found in its source:\n{source}")
        source = source.replace(old, new)
    return {"cell": cell, "input_cell": cell_index, "source": source, "replacements": len(replacements)}


class GraceNotebookClient(NotebookClient):
    """NotebookClient that does not drop iopub messages published after `status: idle`."""

    def __init__(self, nb, grace_s, **kw):
        super().__init__(nb, **kw)
        self.grace_s = grace_s
        self.late_outputs = 0
        self._routes = {}

    def _process_late(self, msg):
        route = self._routes.get(msg["parent_header"].get("msg_id"))
        if route is None:
            return
        cell, index = route
        if msg["msg_type"] in ("stream", "display_data", "execute_result", "error", "update_display_data"):
            self.late_outputs += 1
        try:
            self.process_message(msg, cell, index)
        except CellExecutionComplete:
            pass

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self._routes[parent_msg_id] = (cell, cell_index)
        idle = False
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.grace_s if idle else None))
            except Empty:
                return  # quiet for grace_s after idle
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                self._process_late(msg)
                continue
            if idle and msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
                self.late_outputs += 1
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                idle = True

    async def drain(self, quiet_s):
        """Reads iopub until quiet for quiet_s, routing stragglers to their cells."""
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=quiet_s))
            except Empty:
                return
            self._process_late(msg)


def log(text):
    print(f"run_notebook: {text}", file=sys.stderr, flush=True)


async def execute(nb, client, injected_idx, rerun=None):
    """Runs every code cell in order, then the `rerun` cell (plan_rerun) with its edited source when
    all succeeded; returns None or a dict describing the first failure (fills rerun's summary keys)."""
    failure = None
    async with client.async_setup_kernel():  # starts the kernel in resources.metadata.path
        # As nbclient's async_execute(): kernel_info first, so the notebook records its language.
        client.reset_execution_trackers()
        info = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
        if info is not None and "language_info" in info["content"]:
            nb.metadata["language_info"] = info["content"]["language_info"]
        code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
        for n, index in enumerate(code_cells, start=1):
            t0 = time.monotonic()
            try:
                await client.async_execute_cell(nb.cells[index], index, execution_count=n)
            except CellExecutionError as err:
                failure = {"cell": index, "ename": err.ename, "evalue": err.evalue}
            except (CellTimeoutError, DeadKernelError) as err:
                failure = {"cell": index, "ename": type(err).__name__, "evalue": str(err).splitlines()[0]}
            tag = " (injected parameters)" if index == injected_idx else ""
            status = "FAILED" if failure else "ok"
            log(f"cell {index}{tag} [{n}/{len(code_cells)}] {status} {time.monotonic() - t0:.2f}s")
            if failure:
                break
        if rerun is not None and failure is None:
            failure = await rerun_cell(nb, client, rerun, len(code_cells) + 1)
        await client.drain(max(client.grace_s, 0.3))
    return failure


async def rerun_cell(nb, client, rerun, execution_count):
    """Re-executes rerun["cell"] with its edited source as execution `execution_count`."""
    cell = rerun["cell"]
    index = next(i for i, c in enumerate(nb.cells) if c is cell)
    await client.drain(max(client.grace_s, 0.3))  # late outputs of the first pass reach their cells first
    cell.source = rerun["source"]
    rerun.update(executed_cell=index, execution_count=execution_count)
    failure = None
    t0 = time.monotonic()
    try:
        await client.async_execute_cell(cell, index, execution_count=execution_count)
    except CellExecutionError as err:
        failure = {"cell": index, "ename": err.ename, "evalue": err.evalue, "rerun": True}
    except (CellTimeoutError, DeadKernelError) as err:
        failure = {"cell": index, "ename": type(err).__name__, "evalue": str(err).splitlines()[0], "rerun": True}
    rerun["wall_s"] = round(time.monotonic() - t0, 3)
    edits = rerun["replacements"]
    log(f"cell {index} re-run (input cell {rerun['input_cell']}, {edits} edit{'s' * (edits != 1)}) "
        f"{'FAILED' if failure else 'ok'} {rerun['wall_s']:.2f}s")
    return failure


def rerun_summary(rerun):
    """The JSON-able part of a rerun plan after execution."""
    keys = ("input_cell", "executed_cell", "replacements", "execution_count", "wall_s")
    return {k: rerun.get(k) for k in keys} | {"source": rerun["source"]}


def write_atomic(path, text):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def count_outputs(nb):
    return sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")


def watch_parent(current, interval_s=0.5):
    """Kills the kernel of `current["client"]` and exits once this process's parent has died."""
    # the starter's own pid when it passed one: a parent that died while this runner started counts
    given = os.environ.get("CONVREC_PARENT_PID", "")
    parent = int(given) if given.isdigit() else os.getppid()

    def loop():
        while os.getppid() == parent:
            time.sleep(interval_s)
        try:
            provisioner = getattr(getattr(current.get("client"), "km", None), "provisioner", None)
            pgid = getattr(provisioner, "pgid", None)  # jupyter_client starts kernels in a new session
            pid = getattr(getattr(provisioner, "process", None), "pid", None)
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
            elif pid:
                os.kill(pid, signal.SIGKILL)
            log(f"parent process {parent} exited; stopped the kernel and this runner")
        except Exception:
            pass  # the kernel already gone, or stderr with the parent
        finally:
            os._exit(1)

    threading.Thread(target=loop, daemon=True).start()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--timeout", type=float, default=600.0, help="per-cell timeout in seconds (default 600)")
    ap.add_argument("--grace", type=float, default=0.02, help="quiet seconds after idle (default 0.02)")
    ap.add_argument("--kernel", default=None, help="kernel name (default: the notebook's kernelspec)")
    ap.add_argument("--no-html", action="store_true")
    ap.add_argument("--rerun-cell", type=int, default=None, metavar="N",
                    help="after the run, re-run input cell N (0-based) in the same kernel")
    ap.add_argument("--rerun-replace", action="append", default=[], metavar="OLD=>NEW",
                    help="edit the re-run cell's source first (repeatable, in order)")
    args = ap.parse_args(argv)

    try:
        params = parse_set(args.set)
        replacements = parse_replacements(args.rerun_replace)
        nb = nbformat.read(args.notebook, as_version=4)
        rerun = plan_rerun(nb, args.rerun_cell, replacements, args.notebook)
        injected_idx = inject_parameters(nb, params, args.notebook)
    except (UsageError, OSError, nbformat.reader.NotJSONError) as err:
        log(f"error: {err}")
        return 2
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name")
    if not kernel:
        log(f"error: {args.notebook}: metadata.kernelspec.name missing and no --kernel given")
        return 2

    os.makedirs(args.out_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(args.notebook))[0]
    cwd = os.path.dirname(os.path.abspath(args.notebook))

    def make_client(notebook):
        return GraceNotebookClient(
            notebook,
            args.grace,
            kernel_name=kernel,
            timeout=int(args.timeout),
            iopub_timeout=10,
            startup_timeout=120,
            resources={"metadata": {"path": cwd}},
        )

    current = {"client": None}
    watch_parent(current)
    t0 = time.monotonic()
    started = time.time()
    for attempt in (1, 2):
        client = make_client(nb)
        current["client"] = client
        try:
            failure = asyncio.run(execute(nb, client, injected_idx, rerun))
            break
        except (ValueError, RuntimeError) as err:
            # jupyter_client rejects a kernel message whose HMAC does not verify ("Invalid Signature"),
            # seen rarely from the Deno kernel on a loaded machine; and a kernel can die at start-up
            # ("Kernel died before replying to kernel_info": a port jupyter_client picked was taken by
            # another process before the kernel bound it, AddrInUse). Nothing more from that kernel can
            # be trusted, so start over once: a fresh kernel and a freshly read notebook (wall_s counts both).
            retriable = "Invalid Signature" in str(err) or "Kernel died before replying" in str(err)
            if attempt == 2 or not retriable:
                raise
            log(f"kernel failed ({err}); re-running the notebook once with a fresh kernel")
            nb = nbformat.read(args.notebook, as_version=4)
            rerun = plan_rerun(nb, args.rerun_cell, replacements, args.notebook)
            injected_idx = inject_parameters(nb, params, args.notebook)
    wall_s = time.monotonic() - t0
    nb.metadata["convrec"] = {"parameters": params, "wall_s": round(wall_s, 3)}
    if rerun is not None:
        nb.metadata["convrec"]["rerun"] = rerun_summary(rerun)

    out_nb = os.path.join(args.out_dir, stem + ".ipynb")
    nb.metadata["papermill"] = papermill_metadata(
        params, args.notebook, out_nb, started, time.time(), failure is not None
    )
    write_atomic(out_nb, nbformat.writes(nb))
    out_html = None
    if not args.no_html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        out_html = os.path.join(args.out_dir, stem + ".html")
        write_atomic(out_html, body)
    summary = {
        "notebook": out_nb,
        "html": out_html,
        "parameters": params,
        "cells": len(nb.cells),
        "outputs": count_outputs(nb),
        "late_outputs": client.late_outputs,
        "wall_s": round(wall_s, 3),
        "error": failure,
    }
    if rerun is not None:
        summary["rerun"] = rerun_summary(rerun)
    print(json.dumps(summary), flush=True)
    if failure:
        again = " (re-run)" if failure.get("rerun") else ""
        log(f"error: {args.notebook}: cell {failure['cell']}{again} failed: {failure['ename']}: {failure['evalue']}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
