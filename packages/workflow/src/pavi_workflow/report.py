"""``pavi report``: rebuild ``report.html`` by running the merge job's console script.

The workflow never imports the job package: it runs ``pavi-seqinfo-align --report-only`` as a
process (an argument list, never a shell), found beside this Python first, then on PATH.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pavi_common_s3 import join
from pavi_contracts.exits import EXIT_USAGE
from pavi_contracts.files import REPORT, RUN_MANIFEST
from pavi_contracts.jobs import MERGE

from pavi_workflow.executors import ExecutorError, resolve_script


class ReportError(Exception):
    """The report could not be written; ``exit_code`` is the job's (or 2 when not installed)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class ReportRun:
    """Where the report was written."""

    results: str
    uri: str


def find_script() -> str:
    """Path of the merge job's console script, or a one-line ReportError telling how to get it."""
    try:
        return resolve_script(MERGE.script)
    except ExecutorError:
        raise ReportError(
            f"{MERGE.script} is not installed: install it with `pip install {MERGE.distribution}`"
            " or `pip install 'pavi-workflow[local]'` (or `uv sync --all-packages` in the "
            "repository)",
            EXIT_USAGE,
        ) from None


def results_prefix(target: str) -> str:
    """RESULTS as given, or ``RUN/results`` for a local ``pavi run --out RUN`` folder."""
    if "://" not in target:
        path = Path(target)
        if (path / RUN_MANIFEST).is_file() and (path / "results").is_dir():
            return str(path / "results")
    return target


def command(results: str, request: str | None = None) -> list[str]:
    """The argument list that rewrites ``RESULTS/report.html``."""
    argv = [find_script(), "--report-only", "--results-prefix", results]
    if request is not None:
        argv += ["--request", request]
    return argv


def rebuild(target: str, request: str | None = None) -> ReportRun:
    """Run the job in report-only mode; its one-line error becomes a ReportError."""
    results = results_prefix(target)
    done = subprocess.run(
        command(results, request),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit {done.returncode}"
        raise ReportError(last.removeprefix(f"{MERGE.script}: error: "), done.returncode)
    return ReportRun(results, join(results, REPORT))
