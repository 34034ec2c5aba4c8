"""Runs that fail safely: the run folder is claimed, locked and replaced only on success; stop
signals end every job; an unwritable --out is one line; concurrency is capped.

Every run here is the real ``pavi`` console script with the real jobs. A run is held in the
middle of a retrieval job by serving its ``--variants-file`` over HTTP from a gate that answers
only when the test opens it: "a job is running" is then a fact (its request arrived), not a
guess about time.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pavi_workflow.executors import LocalExecutor
from pavi_workflow.request import load_request
from pavi_workflow.run_folder import MARKER
from pavi_workflow.runner import MAX_CONCURRENCY, run_pipeline

PAVI = str(Path(sys.executable).parent / "pavi")
CASE = "syn-substitutions"
FAILING_CASE = "syn-failure-missing-seqid"
#: Upper bound on any wait for a run to reach a point (a hang guard, not a timing assertion).
HANG_GUARD = 300.0


class Gate:
    """An HTTP server answering every GET with a file once the test opens the gate."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.opened = threading.Event()
        self.arrivals = 0
        self.arrived = threading.Condition()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with gate.arrived:
                    gate.arrivals += 1
                    gate.arrived.notify_all()
                gate.opened.wait(HANG_GUARD)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(gate.body)))
                    self.end_headers()
                    self.wfile.write(gate.body)
                except OSError:  # the job was stopped while it waited
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/variants.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int) -> None:
        """Block until ``count`` requests have arrived (jobs are running and held)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.arrivals >= count, HANG_GUARD)

    def close(self) -> None:
        self.opened.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def case_files(
    tmp_path: Path, testdata: Path, case_request: Callable[[str], list[dict[str, Any]]]
) -> Callable[[str], tuple[Path, Path]]:
    """A case's request file (in tmp_path/inputs) and its variants file."""

    def files(case: str) -> tuple[Path, Path]:
        inputs = tmp_path / "inputs"
        inputs.mkdir(exist_ok=True)
        request = inputs / f"{case}.json"
        request.write_text(json.dumps(case_request(case)), encoding="utf-8")
        return request, testdata / "cases" / case / "variants.json"

    return files


@pytest.fixture
def gate(testdata: Path) -> Iterator[Gate]:
    """The gate serving the case's variants file."""
    served = Gate((testdata / "cases" / CASE / "variants.json").read_bytes())
    yield served
    served.close()


def pavi(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``pavi`` to its end."""
    return subprocess.run(
        [PAVI, *map(str, args)], capture_output=True, text=True, check=False, stdin=None
    )


def start_pavi(*args: str | Path) -> subprocess.Popen[str]:
    """Start ``pavi`` in the background (its own session, like a shell's background job)."""
    return subprocess.Popen(
        [PAVI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with its content's sha256 (folders as ``dir``)."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        found[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def processes_naming(text: str) -> list[str]:
    """Live processes whose command line holds ``text`` (a /proc scan; zombies are dead)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text in cmdline and state != "Z":
            found.append(f"{entry.name}: {cmdline}")
    return found


def assert_expected_results(out: Path, expected: Path) -> None:
    """The .aln byte for byte and the merged JSON equal to the original's."""
    aln = (out / "results" / "alignment-output.aln").read_bytes()
    assert aln == (expected / "alignment-output.aln").read_bytes()
    got = json.loads((out / "results" / "aligned_seq_info.json").read_text())
    assert got == json.loads((expected / "aligned_seq_info.json").read_text())


def one_error_line(stderr: str) -> str:
    """The single ``pavi: error:`` line of stderr (and no traceback)."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("pavi: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_folder_with_files_pavi_did_not_write_is_refused_untouched(
    tmp_path: Path, case_files: Callable[[str], tuple[Path, Path]]
) -> None:
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "results" / "thesis.txt").write_text("mine")
    (out / "work").mkdir()
    (out / "notes.txt").write_text("mine too")
    before = snapshot(out)
    done = pavi("run", request, "--out", out, "--variants-file", variants)
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert line == (
        f"pavi: error: --out {out}: holds files pavi run did not write "
        "(notes.txt, results, work): choose a new or empty folder"
    )
    assert snapshot(out) == before


def test_inputs_inside_the_folders_a_run_replaces_are_refused_and_kept(
    tmp_path: Path, case_files: Callable[[str], tuple[Path, Path]], require_clustalo: str
) -> None:
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    assert pavi("run", request, "--out", out, "--variants-file", variants).returncode == 0
    kept_request = out / "work" / "request.json"  # the stored request, a natural rerun input
    kept_variants = out / "results" / "variants.json"
    shutil.copy(variants, kept_variants)
    before = snapshot(out)
    for args in (
        (kept_request, "--variants-file", variants),
        (request, "--variants-file", kept_variants),
    ):
        done = pavi("run", *args, "--out", out)
        assert done.returncode == 2, done.stderr
        line = one_error_line(done.stderr)
        assert "which pavi run replaces" in line, line
        assert snapshot(out) == before


def test_inputs_kept_at_the_top_of_the_run_folder_survive_reruns(
    tmp_path: Path,
    testdata: Path,
    case_files: Callable[[str], tuple[Path, Path]],
    require_clustalo: str,
) -> None:
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    assert pavi("run", request, "--out", out, "--variants-file", variants).returncode == 0
    mine = {out / "request.json": request, out / "variants.json": variants}
    for copy, original in mine.items():
        shutil.copy(original, copy)
    for _ in range(2):
        done = pavi(
            "run", out / "request.json", "--out", out, "--variants-file", out / "variants.json"
        )
        assert done.returncode == 0, done.stderr
    for copy, original in mine.items():
        assert copy.read_bytes() == original.read_bytes()
    assert_expected_results(out, testdata / "cases" / CASE / "expected")


def test_a_failed_run_keeps_the_earlier_results_and_its_own_logs(
    tmp_path: Path, case_files: Callable[[str], tuple[Path, Path]], require_clustalo: str
) -> None:
    out = tmp_path / "out"
    request, variants = case_files(CASE)
    assert pavi("run", request, "--out", out, "--variants-file", variants).returncode == 0
    earlier = {name: snapshot(out / name) for name in ("work", "results", "logs")}
    manifest = (out / "run.json").read_bytes()
    bad_request, bad_variants = case_files(FAILING_CASE)
    done = pavi("run", bad_request, "--out", out, "--variants-file", bad_variants, "--no-preflight")
    assert done.returncode == 1
    assert one_error_line(done.stderr).startswith("pavi: error: retrieval of entr")
    assert {name: snapshot(out / name) for name in earlier} == earlier
    assert (out / "run.json").read_bytes() == manifest
    failed = json.loads((out / "staging" / "run.json").read_text())
    assert failed["status"] == "failed"
    assert failed["request"]["path"] == str(bad_request)
    assert all(Path(step["log"]).parent == out / "staging" / "logs" for step in failed["steps"])
    assert all(Path(step["log"]).is_file() for step in failed["steps"])
    # the next good run replaces both
    done = pavi("run", request, "--out", out, "--variants-file", variants)
    assert done.returncode == 0, done.stderr
    assert not (out / "staging").exists()
    assert json.loads((out / "run.json").read_text())["status"] == "succeeded"


def test_a_locked_folder_is_refused_with_one_line_and_nothing_written(
    tmp_path: Path, case_files: Callable[[str], tuple[Path, Path]], require_clustalo: str
) -> None:
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    assert pavi("run", request, "--out", out, "--variants-file", variants).returncode == 0
    before = snapshot(out)
    with (out / MARKER).open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = pavi("run", request, "--out", out, "--variants-file", variants)
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert line.startswith(f"pavi: error: --out {out}: another pavi run is writing this folder")
    assert snapshot(out) == before


def test_two_runs_into_one_folder_one_is_refused_the_other_completes(
    tmp_path: Path,
    testdata: Path,
    gate: Gate,
    case_files: Callable[[str], tuple[Path, Path]],
    require_clustalo: str,
) -> None:
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    first = start_pavi("run", request, "--out", out, "--variants-file", gate.url)
    try:
        gate.wait_for(1)
        staged = snapshot(out)
        second = pavi("run", request, "--out", out, "--variants-file", variants)
        assert second.returncode == 1
        line = one_error_line(second.stderr)
        assert line == (
            f"pavi: error: --out {out}: another pavi run is writing this folder "
            f"(pid {first.pid}): wait for it to end or choose another --out"
        )
        assert snapshot(out) == staged
        gate.opened.set()
        _, stderr = first.communicate(timeout=HANG_GUARD)
    finally:
        gate.opened.set()
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert_expected_results(out, testdata / "cases" / CASE / "expected")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_signal_ends_every_job_and_keeps_the_earlier_run(
    sig: signal.Signals,
    code: int,
    tmp_path: Path,
    testdata: Path,
    gate: Gate,
    case_files: Callable[[str], tuple[Path, Path]],
    require_clustalo: str,
) -> None:
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    assert pavi("run", request, "--out", out, "--variants-file", variants).returncode == 0
    earlier = snapshot(out / "results"), (out / "run.json").read_bytes()
    run = start_pavi(
        "run", request, "--out", out, "--variants-file", gate.url,
        "--entries-per-job", "1", "--concurrency", "2",
    )  # fmt: skip
    try:
        gate.wait_for(2)  # two retrieval jobs are running (the default concurrency is 2+)
        assert len(processes_naming(str(out / "staging"))) >= 2
        run.send_signal(sig)
        _, stderr = run.communicate(timeout=HANG_GUARD)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == code, stderr
    line = one_error_line(stderr)
    assert line.startswith(f"pavi: error: interrupted by {sig.name}: stopped "), line
    assert line.endswith(f"this run is left in {out / 'staging'}"), line
    assert processes_naming(str(out)) == []
    manifest = json.loads((out / "staging" / "run.json").read_text())
    assert manifest["status"] == "interrupted"
    assert manifest["signal"] == sig.name
    assert sum(step["stopped"] for step in manifest["steps"]) >= 2
    assert (snapshot(out / "results"), (out / "run.json").read_bytes()) == earlier
    gate.opened.set()
    done = pavi("run", request, "--out", out, "--variants-file", variants)
    assert done.returncode == 0, done.stderr
    assert_expected_results(out, testdata / "cases" / CASE / "expected")
    assert not (out / "staging").exists()


def test_jobs_of_a_killed_run_keep_the_folder_locked_until_they_end(
    tmp_path: Path,
    testdata: Path,
    gate: Gate,
    case_files: Callable[[str], tuple[Path, Path]],
    require_clustalo: str,
) -> None:
    """SIGKILL cannot be caught: the job it orphans still holds the inherited lock."""
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    run = start_pavi("run", request, "--out", out, "--variants-file", gate.url)
    try:
        gate.wait_for(1)
        run.kill()
        run.communicate(timeout=HANG_GUARD)
        assert processes_naming(str(out / "staging")) != []  # the orphaned job
        refused = pavi("run", request, "--out", out, "--variants-file", variants)
        assert refused.returncode == 1
        assert "another pavi run is writing this folder" in one_error_line(refused.stderr)
    finally:
        gate.opened.set()
    deadline = time.monotonic() + HANG_GUARD
    while processes_naming(str(out / "staging")) and time.monotonic() < deadline:
        time.sleep(0.05)
    done = pavi("run", request, "--out", out, "--variants-file", variants)
    assert done.returncode == 0, done.stderr
    assert_expected_results(out, testdata / "cases" / CASE / "expected")


def test_a_stop_signal_ends_the_whole_process_group_of_a_job(
    tmp_path: Path, case_files: Callable[[str], tuple[Path, Path]]
) -> None:
    """A job's own children die with it: the container engine here is a script that starts a
    ``sleep`` and waits for it (as an engine client waits for its container)."""
    engine = tmp_path / "bin" / "podman"
    engine.parent.mkdir()
    engine.write_text('#!/bin/sh\nsleep 100000 &\necho "child $!"\nwait\n')
    engine.chmod(0o755)
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    run = start_pavi(
        "run", request, "--out", out, "--variants-file", variants,
        "--executor", "container", "--engine", engine, "--image-tag", "test",
    )  # fmt: skip
    log = out / "staging" / "logs" / "retrieval-000.log"
    child = 0
    try:
        child = _wait_for_child(log, run)
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=HANG_GUARD)
        assert run.returncode == 143, stderr
        assert not _alive(child), f"the job's child {child} outlived the run"
        assert processes_naming(str(out)) == []
    finally:
        if run.poll() is None:
            run.kill()
        if child and _alive(child):
            os.kill(child, signal.SIGKILL)


def _wait_for_child(log: Path, run: subprocess.Popen[str]) -> int:
    """The pid the fake engine printed to its job log (hang-guarded)."""
    deadline = time.monotonic() + HANG_GUARD
    while run.poll() is None and time.monotonic() < deadline:
        text = log.read_text() if log.is_file() else ""
        if text.startswith("child ") and text.endswith("\n"):
            return int(text.split()[1])
        threading.Event().wait(0.05)
    pytest.fail(f"no job started in {log.parent}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("below", [False, True])
def test_an_unwritable_out_is_one_line(
    tmp_path: Path, case_files: Callable[[str], tuple[Path, Path]], below: bool
) -> None:
    """--out on a read-only file system: the folder itself (empty) or one to create in it."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to mount a read-only file system")
    request, variants = case_files(CASE)
    mount = tmp_path / "ro"
    mount.mkdir()
    out = mount / "out" if below else mount
    script = 'mount -t tmpfs -o ro tmpfs "$1" && shift && exec "$@"'
    done = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", script, "sh", str(mount),
         PAVI, "run", str(request), "--out", str(out), "--variants-file", str(variants)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"pavi: error: --out {out}: cannot write there: Read-only file system\n"


def test_concurrency_above_the_cap_is_refused_in_one_line(
    tmp_path: Path, case_files: Callable[[str], tuple[Path, Path]]
) -> None:
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    done = pavi("run", request, "--out", out, "--variants-file", variants, "--concurrency", "10000")
    assert done.returncode == 2
    assert done.stderr == (
        f"pavi: error: --concurrency: 10000 is above {MAX_CONCURRENCY}, the most jobs pavi run "
        "starts at once\n"
    )
    assert not out.exists()


def test_concurrency_at_the_cap_runs_and_is_recorded(
    tmp_path: Path, case_files: Callable[[str], tuple[Path, Path]], require_clustalo: str
) -> None:
    request, variants = case_files(CASE)
    out = tmp_path / "out"
    cap = str(MAX_CONCURRENCY)
    done = pavi("run", request, "--out", out, "--variants-file", variants, "--concurrency", cap)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "run.json").read_text())["concurrency"] == MAX_CONCURRENCY


def test_the_runner_never_runs_more_jobs_at_once_than_the_cap(
    tmp_path: Path,
    gate: Gate,
    case_files: Callable[[str], tuple[Path, Path]],
    require_clustalo: str,
) -> None:
    request_file, _ = case_files(CASE)
    request = load_request(request_file, target="local")
    running = 0
    most = 0
    lock = threading.Lock()

    def listener(event: str, step: object) -> None:
        nonlocal running, most
        del step
        with lock:
            running += 1 if event == "start" else -1
            most = max(most, running)
            if most >= 3:
                gate.opened.set()  # every job may go on once three have started together

    outcome = run_pipeline(
        request,
        tmp_path / "run",
        LocalExecutor(),
        variants_file=gate.url,
        concurrency=10000,
        entries_per_job=1,
        listener=listener,
        max_concurrency=3,
    )
    assert outcome.concurrency == 3
    assert most == 3
    assert [step.exit_code for step in outcome.plan.retrievals] == [0] * 8
