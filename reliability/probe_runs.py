"""Whole ``pavi run``s: 20 at once, two into one folder, SIGTERM and SIGINT mid-run."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from reliability.core import (
    GENOME,
    Rows,
    compare,
    finish,
    marked_processes,
    read_manifest,
    reap_marked,
    run_outputs,
    shorten,
    traceback_in,
    wait_for,
)
from reliability.fixtures import (
    Reference,
    example_entries,
    pavi_run,
    pavi_start,
    token,
    write_request,
)
from reliability.servers import FileServer, file_server

CONCURRENT_RUNS = 20
#: Seconds the slow genome server waits before each answer: keeps a run in its retrieval step.
SLOW_ANSWER = 0.7


def probe_concurrent(root: Path, ref: Reference, rows: Rows) -> None:
    """20 ``pavi run``s of the example at once, each into its own folder."""
    name = "20 concurrent runs"
    request = write_request(root / "request.json", example_entries())
    mark = token()
    outs = [root / f"run-{i:02d}" for i in range(CONCURRENT_RUNS)]
    started = time.monotonic()
    procs = [pavi_start(request, out, mark, "--concurrency", "1") for out in outs]
    results = [finish(p, max(10.0, 300 - (time.monotonic() - started)), started) for p in procs]
    reap_marked(mark)
    failed = [f"run-{i:02d}: {r.describe()}" for i, r in enumerate(results) if r.code != 0]
    seconds = round(time.monotonic() - started, 1)
    rows.add(
        name,
        f"all {CONCURRENT_RUNS} exit 0",
        not failed,
        f"{CONCURRENT_RUNS - len(failed)}/{CONCURRENT_RUNS} ok in {seconds} s"
        + (f"; {failed[0]}" if failed else ""),
    )
    wrong = []
    for i, out in enumerate(outs):
        diff = compare(ref.outputs, run_outputs(out))
        if diff:
            wrong.append(f"run-{i:02d}: {', '.join(diff[:3])}")
    rows.add(
        name,
        "each run's outputs = clean run's (byte for byte)",
        not wrong,
        f"{CONCURRENT_RUNS - len(wrong)}/{CONCURRENT_RUNS} identical"
        + (f"; {wrong[0]}" if wrong else ""),
    )
    crossed = []
    for i, out in enumerate(outs):
        text = (out / "run.json").read_text() if (out / "run.json").is_file() else ""
        others = [o.name for o in outs if o != out and f"/{o.name}/" in text]
        if not text or others:
            crossed.append(f"run-{i:02d}: " + ("no run.json" if not text else f"names {others[0]}"))
    rows.add(
        name,
        "no cross-talk: each run.json names only its own folder",
        not crossed,
        "every manifest names only its own folder" if not crossed else crossed[0],
    )


def _slow_request(root: Path, server: FileServer, name: str) -> Path:
    return write_request(
        root / name / "request.json", example_entries(), f"{server.url}/synthetic.fa.gz"
    )


def _retrieving(mark: str, server: FileServer) -> bool:
    """True once a retrieval job of the marked run is running and has asked the genome server."""
    jobs = [p for p in marked_processes(mark) if "pavi-seq-retrieval" in p.command]
    return bool(jobs) and server.gets > 0


def probe_same_folder(root: Path, ref: Reference, rows: Rows) -> None:
    """A second ``pavi run`` into a folder a run is using must be refused."""
    name = "two runs, one folder"
    mark = token()
    with file_server(GENOME.parent, delay=SLOW_ANSWER) as server:
        request = _slow_request(root, server, "request")
        out = root / "out"
        started = time.monotonic()
        first = pavi_start(request, out, mark)
        busy = wait_for(lambda: _retrieving(mark, server), 30)
        second = pavi_run(request, out, mark=mark, timeout=120)
        first_result = finish(first, 120, started)
    reap_marked(mark)
    if not busy:
        rows.add(name, "second run refused", False, "the first run never reached retrieval")
        return
    refused = (
        second.code not in (0, None)
        and second.last.startswith("pavi: error:")
        and not traceback_in(second.stderr)
    )
    rows.add(
        name,
        "second run refused with one line (first still running)",
        refused,
        second.describe(),
    )
    diff = compare(ref.outputs, run_outputs(out))
    rows.add(
        name,
        "first run unharmed: exit 0, outputs = clean run's",
        first_result.code == 0 and not diff,
        first_result.describe() + (f"; {', '.join(diff[:3])}" if diff else "; outputs identical"),
    )


def probe_signals(root: Path, ref: Reference, rows: Rows) -> None:
    """SIGTERM to ``pavi`` (as ``kill`` sends it) and SIGINT to its group (as Ctrl-C does)."""
    for sig, codes, to_group in (
        (signal.SIGTERM, (143, -signal.SIGTERM), False),
        (signal.SIGINT, (130, -signal.SIGINT), True),
    ):
        name = f"{sig.name} mid-run"
        mark = token()
        out = root / f"signal-{sig.name}" / "out"
        with file_server(GENOME.parent, delay=SLOW_ANSWER) as server:
            request = _slow_request(root, server, f"signal-{sig.name}")
            started = time.monotonic()
            proc = pavi_start(request, out, mark)
            busy = wait_for(lambda: _retrieving(mark, server), 30)  # noqa: B023 (called here)
            with contextlib.suppress(ProcessLookupError):
                if to_group:
                    os.killpg(proc.pid, sig)
                else:
                    os.kill(proc.pid, sig)
            result = finish(proc, 30, started)
            # Processes of the run still alive 1 s after it exited (then removed).
            wait_for(lambda: not marked_processes(mark), 1.0)  # noqa: B023 (called here)
            left = marked_processes(mark)
            reap_marked(mark)
        if not busy:
            rows.add(name, "signal during retrieval", False, "the run never reached retrieval")
            continue
        target = "its process group" if to_group else "the pavi process"
        rows.add(
            name,
            f"exit {codes[0]} (signal to {target}), one line, no traceback",
            result.code in codes
            and result.last.startswith("pavi: error:")
            and not traceback_in(result.stderr),
            result.describe(),
        )
        rows.add(
            name,
            "no process of the run left",
            not left,
            "none left" if not left else f"{len(left)} left: {shorten(left[0].command, 120)}",
        )
        manifest = read_manifest(out)
        status = manifest.get("status") if manifest else None
        rows.add(
            name, "run.json status 'interrupted'", status == "interrupted", f"status {status!r}"
        )
        again = pavi_run(ref.request, out, timeout=120)
        diff = compare(ref.outputs, run_outputs(out))
        rows.add(
            name,
            "rerun into the same folder correct",
            again.code == 0 and not diff,
            again.describe() + (f"; {', '.join(diff[:3])}" if diff else "; outputs identical"),
        )
