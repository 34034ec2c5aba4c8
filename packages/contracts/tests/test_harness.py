"""The harness: JSON log records, the one-line failure, one exit-code policy, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import click
import pytest
from pavi_contracts.exits import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE
from pavi_contracts.harness import JobError, fail, log, run_main


class ReportedError(Exception):
    """Stands for a library's expected error type (StorageError in the jobs)."""


def test_log_writes_one_json_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    log("pavi-x", "started", entry="E1", count=3)
    log("pavi-x", "done")
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [r["event"] for r in records] == ["started", "done"]
    assert records[0]["job"] == "pavi-x"
    assert (records[0]["entry"], records[0]["count"]) == ("E1", 3)
    assert isinstance(records[0]["ts"], float)


def test_fail_prints_one_line_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        fail("pavi-x", "broken\n  across lines", EXIT_USAGE)
    assert exit_info.value.code == EXIT_USAGE
    assert capsys.readouterr().err == "pavi-x: error: broken across lines\n"


def _raise(err: BaseException) -> None:
    raise err


@pytest.mark.parametrize(
    ("err", "code", "line"),
    [
        (JobError("entry E1: field x: bad", EXIT_USAGE), EXIT_USAGE, "entry E1: field x: bad"),
        (JobError("clustalo failed"), EXIT_FAILURE, "clustalo failed"),
        (ReportedError("s3://b/k: no such object"), EXIT_FAILURE, "s3://b/k: no such object"),
        (ValueError("odd"), EXIT_FAILURE, "unexpected ValueError: odd"),
        (RecursionError("deep"), EXIT_USAGE, "input nested too deeply to read"),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted"),
    ],
)
def test_run_main_turns_failures_into_one_line(
    err: BaseException, code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_main("pavi-x", lambda: _raise(err), reported=(ReportedError,))
    assert exit_info.value.code == code
    assert capsys.readouterr().err == f"pavi-x: error: {line}\n"


@click.command()
@click.option("--count", type=int, required=True)
def _command(count: int) -> None:
    if count < 0:
        raise JobError("count: must not be negative", EXIT_USAGE)


@pytest.mark.parametrize(
    ("argv", "code", "line"),
    [
        ([], EXIT_USAGE, "Missing option '--count' (see `pavi-x --help`)"),
        (["--count", "x"], EXIT_USAGE, "Invalid value for '--count': 'x' is not a valid integer"),
        (["--count", "-1"], EXIT_USAGE, "count: must not be negative"),
    ],
)
def test_run_main_reports_click_usage_errors(
    argv: list[str], code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_main("pavi-x", lambda: _command.main(args=argv, standalone_mode=False))
    assert exit_info.value.code == code
    assert capsys.readouterr().err.startswith(f"pavi-x: error: {line}")


def test_run_main_success_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    ran = []
    run_main("pavi-x", lambda: ran.append(True))
    assert ran == [True]
    assert capsys.readouterr().err == ""


def test_run_main_exit_status_of_help_is_zero(capsys: pytest.CaptureFixture[str]) -> None:
    run_main("pavi-x", lambda: _command.main(args=["--help"], standalone_mode=False))
    assert "--count" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [
        (signal.SIGTERM, EXIT_TERMINATED, "terminated"),
        (signal.SIGINT, EXIT_INTERRUPTED, "interrupted"),
    ],
)
def test_signals_end_the_script_with_one_line_and_kill_its_child(
    signum: int, code: int, word: str, tmp_path: os.PathLike[str]
) -> None:
    """A script waiting on a child process: the signal ends both, one line, 143 or 130."""
    script = textwrap.dedent(
        """
        import signal, subprocess, sys
        from pavi_contracts.harness import run_main

        # A shell without job control starts background commands with SIGINT ignored, and
        # Python keeps it ignored: take the handler a terminal's foreground job has.
        signal.signal(signal.SIGINT, signal.default_int_handler)

        def body():
            code = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
            subprocess.run([sys.executable, "-c", code], check=False)

        run_main("pavi-x", body)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    child_pid = int(process.stdout.readline())
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code
    assert stderr.strip().splitlines()[-1] == f"pavi-x: error: {word}"
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child_pid), "the child process outlived the script"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
