"""The local runner (embedded default): the state machine's three steps as local processes.

``DIR`` stands in for the bucket: ``DIR/work/`` and ``DIR/results/`` are the prefixes the jobs
get, exactly where an execution gets ``s3://bucket/executions/{name}/work/`` and ``…/results/``.
Retrievals run concurrently (bounded), then the alignment, then the merge; the first failing
step stops the run (no new retrieval starts), as a failing Map iteration fails the execution.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pavi_common_s3 import write_text
from pavi_contracts.files import (
    ALIGNED_SEQINFO,
    ALIGNMENT_OUTPUT,
    REPORT,
    REQUEST,
    RUN_MANIFEST,
)
from pavi_contracts.jobs import Step, job
from pavi_contracts.selection import chunk_indexes

from pavi_workflow.commands import (
    DEFAULT_ENTRIES_PER_JOB,
    JobCommand,
    alignment_command,
    merge_command,
    retrieval_command,
)
from pavi_workflow.executors import Executor
from pavi_workflow.manifest import file_sha256, package_versions
from pavi_workflow.request import Request

#: Folders of DIR a run owns and clears before it starts (nothing else is ever deleted).
RUN_FOLDERS = ("work", "results", "logs")
#: The folders the jobs write (the prefixes they get); logs/ and run.json are the runner's.
JOB_FOLDERS = ("work", "results")


@dataclass
class StepRun:
    """One job of a run: what ran, how it ended, what it wrote."""

    step: Step
    command: JobCommand
    #: The request's entries a retrieval job covers (empty for alignment and merge).
    entry_ids: tuple[str, ...] = ()
    #: The chunk's number for a retrieval job.
    chunk: int | None = None
    exit_code: int | None = None
    seconds: float = 0.0
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""

    @property
    def label(self) -> str:
        """``retrieval of entry X`` / ``retrieval of entries X, Y`` / ``alignment`` / ``merge``."""
        if not self.entry_ids:
            return self.step
        noun = "entry" if len(self.entry_ids) == 1 else "entries"
        return f"retrieval of {noun} {', '.join(self.entry_ids)}"

    @property
    def name(self) -> str:
        """``retrieval-003`` (chunk number) / ``alignment`` / ``merge``: log file names."""
        return self.step if self.chunk is None else f"{self.step}-{self.chunk:03d}"

    @property
    def ok(self) -> bool:
        """True when the job exited 0."""
        return self.exit_code == 0


@dataclass
class RunPlan:
    """Every command of a run, in execution order (retrievals in request order)."""

    work_prefix: str
    results_prefix: str
    retrievals: list[StepRun]
    alignment: StepRun
    merge: StepRun

    @property
    def steps(self) -> list[StepRun]:
        """All steps in order."""
        return [*self.retrievals, self.alignment, self.merge]


@dataclass
class RunOutcome:
    """The result of :func:`run_pipeline`."""

    plan: RunPlan
    out_dir: Path
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every step succeeded."""
        return self.error is None

    @property
    def results(self) -> dict[str, Path]:
        """The result files (``alignment``, ``seq_info``, ``report``)."""
        base = self.out_dir / "results"
        return {
            "alignment": base / ALIGNMENT_OUTPUT,
            "seq_info": base / ALIGNED_SEQINFO,
            "report": base / REPORT,
        }


#: Progress callback: (event, step) with event "start" or "end".
Listener = Callable[[str, StepRun], None]


def plan_run(
    request: Request,
    request_uri: str,
    work_prefix: str,
    results_prefix: str,
    *,
    variants_file: str | None = None,
    entries_per_job: int = DEFAULT_ENTRIES_PER_JOB,
) -> RunPlan:
    """The commands of a run for the given prefixes (the state machine submits the same).

    Retrieval runs in chunks of ``entries_per_job`` consecutive entries, as the state machine's
    Map does (``pavi_contracts.selection.chunk_indexes``); the request's ``seq_type`` picks the
    protein or the transcript commands.
    """
    ids, seq_type = request.entry_ids, request.seq_type
    retrievals = [
        StepRun(
            "retrieval",
            retrieval_command(request_uri, indexes, work_prefix, variants_file, seq_type),
            entry_ids=tuple(ids[i] for i in indexes),
            chunk=number,
        )
        for number, indexes in enumerate(chunk_indexes(len(ids), entries_per_job))
    ]
    return RunPlan(
        work_prefix,
        results_prefix,
        retrievals,
        StepRun("alignment", alignment_command(work_prefix, results_prefix, seq_type)),
        StepRun("merge", merge_command(work_prefix, results_prefix, request_uri, seq_type)),
    )


def prepare_run_dir(out_dir: Path) -> Path:
    """Create DIR and clear what an earlier run left in its own folders; return DIR resolved."""
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (*RUN_FOLDERS, RUN_MANIFEST):
        path = out_dir / name
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
    for name in RUN_FOLDERS:
        (out_dir / name).mkdir()
    return out_dir


def run_pipeline(
    request: Request,
    out_dir: Path,
    executor: Executor,
    *,
    variants_file: str | None = None,
    concurrency: int = 1,
    entries_per_job: int = DEFAULT_ENTRIES_PER_JOB,
    listener: Listener | None = None,
) -> RunOutcome:
    """Run every step into ``out_dir``; stop at the first failing step.

    The validated request (local genome paths made absolute) is stored in the work folder,
    where the retrieval jobs read it, as they read the stored request in the cloud.
    """
    out_dir = prepare_run_dir(out_dir)
    executor.prepare([out_dir / name for name in JOB_FOLDERS])
    request_path = out_dir / "work" / REQUEST
    write_text(request_path, request.to_json())
    plan = plan_run(
        request,
        str(request_path),
        f"{out_dir}/work/",
        f"{out_dir}/results/",
        variants_file=variants_file,
        entries_per_job=entries_per_job,
    )
    outcome = RunOutcome(plan, out_dir)
    job = _JobRunner(executor, out_dir, listener)
    failed = job.run_all(plan.retrievals, max(1, concurrency))
    if failed is None:
        for step in (plan.alignment, plan.merge):
            job.run(step)
            if not step.ok:
                failed = step
                break
    if failed is not None:
        outcome.error = f"{failed.label} failed: {failed.message or f'exit {failed.exit_code}'}"
    return outcome


class _JobRunner:
    """Runs StepRuns as processes, records exit code, time, last stderr line and outputs."""

    def __init__(self, executor: Executor, out_dir: Path, listener: Listener | None) -> None:
        self.executor = executor
        self.out_dir = out_dir
        self.listener = listener
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run_all(self, steps: list[StepRun], concurrency: int) -> StepRun | None:
        """Run steps concurrently; no new step starts after a failure; first failure in order."""
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="pavi-job") as pool:
            list(pool.map(self._run_unless_stopped, steps))
        return next((s for s in steps if s.exit_code not in (0, None)), None)

    def _run_unless_stopped(self, step: StepRun) -> None:
        if self.stop.is_set():
            return
        self.run(step)
        if not step.ok:
            self.stop.set()

    def run(self, step: StepRun) -> None:
        """Run one step (never through a shell)."""
        self._notify("start", step)
        log_path = self.out_dir / "logs" / f"{step.name}.log"
        started = time.monotonic()
        try:
            argv = self.executor.argv(step.command)
            with log_path.open("wb") as log:
                completed = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            step.exit_code = completed.returncode
            step.message = _last_line(log_path.read_text(encoding="utf-8", errors="replace"))
        except Exception as err:  # noqa: BLE001 (an executor/OS failure fails this step only)
            step.exit_code = 127
            step.message = str(err)
        step.seconds = round(time.monotonic() - started, 3)
        step.log = str(log_path)
        step.outputs = self._outputs(step)
        self._notify("end", step)

    def _outputs(self, step: StepRun) -> dict[str, str]:
        """Checksums of the files the step's job declares (those that exist)."""
        paths = [
            self.out_dir / output.prefix / output.for_entry(entry_id, step.command.output_type)
            for output in job(step.step).outputs
            for entry_id in (step.entry_ids or ("",))
        ]
        return {str(path): file_sha256(path) for path in paths if path.is_file()}

    def _notify(self, event: str, step: StepRun) -> None:
        if self.listener is not None:
            with self.lock:
                self.listener(event, step)


def _last_line(text: str) -> str:
    """The job's one-line error (without its ``<command>: error:`` prefix), else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    head, sep, message = last.partition(": error: ")
    if sep and " " not in head:
        return message
    return last


def describe_step(step: StepRun) -> dict[str, Any]:
    """A step as the manifest records it."""
    return {
        "step": step.step,
        "chunk": step.chunk,
        "entries": list(step.entry_ids),
        "command": step.command.argv,
        "exit_code": step.exit_code,
        "seconds": step.seconds,
        "message": step.message if step.exit_code not in (0, None) else "",
        "log": step.log,
        "outputs": step.outputs,
    }


def write_manifest(
    outcome: RunOutcome, *, request_sha256: str, request_path: str | None, executor: str
) -> Path:
    """Write ``DIR/run.json`` (atomically) and return its path."""
    path = outcome.out_dir / RUN_MANIFEST
    manifest = {
        "status": "succeeded" if outcome.ok else "failed",
        "error": outcome.error,
        "request": {"path": request_path, "sha256": request_sha256},
        "versions": package_versions(),
        "executor": executor,
        "work_prefix": outcome.plan.work_prefix,
        "results_prefix": outcome.plan.results_prefix,
        "results": {k: str(v) for k, v in outcome.results.items()} if outcome.ok else {},
        "steps": [describe_step(s) for s in outcome.plan.steps if s.exit_code is not None],
    }
    write_text(path, json.dumps(manifest, indent=2) + "\n")
    return path
