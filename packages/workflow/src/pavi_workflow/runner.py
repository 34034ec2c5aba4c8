"""The local runner (embedded default): the state machine's three steps as local processes.

``DIR`` stands in for the bucket: ``DIR/work/`` and ``DIR/results/`` are the prefixes the jobs
get, exactly where an execution gets ``s3://bucket/executions/{name}/work/`` and ``…/results/``.
Retrievals run concurrently (bounded by :data:`MAX_CONCURRENCY`), then the alignment, then the
merge; the first failing step stops the run (no new retrieval starts), as a failing Map
iteration fails the execution. A stop signal ends every running job (``stopping``). Where DIR
is and how it is replaced is :mod:`pavi_workflow.run_folder`'s job; which earlier outputs a
``--resume`` run reuses is :mod:`pavi_workflow.resume`'s.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Sequence
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
)
from pavi_contracts.jobs import Step, job
from pavi_contracts.selection import chunk_indexes

from pavi_workflow import resume
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
from pavi_workflow.stopping import JobGroups

#: The folders of a run: the jobs' prefixes, and the jobs' logs.
RUN_FOLDERS = ("work", "results", "logs")
#: The folders the jobs write (the prefixes they get); logs/ and run.json are the runner's.
JOB_FOLDERS = ("work", "results")
#: The most retrieval jobs a run starts at once, whatever ``--concurrency`` asks: each is a
#: process of ~60 MB that mostly waits on genome reads (so more jobs than cores pays off for
#: remote genomes), and 64 of them stay within ~4 GB and the usual 1024 open files.
MAX_CONCURRENCY = 64


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
    #: The job was running when the run was stopped by a signal.
    stopped: bool = False
    #: Reused from the earlier run (``--resume``): no job ran.
    cached: bool = False
    #: The step's keys (``pavi_workflow.resume``): by entry id for a retrieval, else by step.
    keys: dict[str, str | None] = field(default_factory=dict)

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
    #: Every entry of the request, in order (what the alignment and the merge cover).
    entry_ids: tuple[str, ...] = ()

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
    #: The signal that stopped the run (None when it was not stopped).
    signum: int | None = None
    #: Retrieval jobs run at once.
    concurrency: int = 1

    @property
    def ok(self) -> bool:
        """True when every step succeeded."""
        return self.error is None

    @property
    def status(self) -> str:
        """``succeeded``, ``failed`` or ``interrupted``."""
        if self.ok:
            return "succeeded"
        return "failed" if self.signum is None else "interrupted"

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
    indexes: Sequence[int] | None = None,
) -> RunPlan:
    """The commands of a run for the given prefixes (the state machine submits the same).

    Retrieval runs in chunks of ``entries_per_job`` consecutive entries, as the state machine's
    Map does (``pavi_contracts.selection.chunk_indexes``); the request's ``seq_type`` picks the
    protein or the transcript commands. ``indexes`` (a resumed run's entries to recompute)
    restricts the retrievals to those entries, chunked the same way.
    """
    ids, seq_type = request.entry_ids, request.seq_type
    todo = list(range(len(ids))) if indexes is None else list(indexes)
    retrievals = [
        StepRun(
            "retrieval",
            retrieval_command(request_uri, chunk, work_prefix, variants_file, seq_type),
            entry_ids=tuple(ids[i] for i in chunk),
            chunk=number,
        )
        for number, positions in enumerate(chunk_indexes(len(todo), entries_per_job))
        for chunk in [[todo[p] for p in positions]]
    ]
    return RunPlan(
        work_prefix,
        results_prefix,
        retrievals,
        StepRun("alignment", alignment_command(work_prefix, results_prefix, seq_type)),
        StepRun("merge", merge_command(work_prefix, results_prefix, request_uri, seq_type)),
        tuple(ids),
    )


def run_pipeline(
    request: Request,
    out_dir: Path,
    executor: Executor,
    *,
    variants_file: str | None = None,
    concurrency: int = 1,
    entries_per_job: int = DEFAULT_ENTRIES_PER_JOB,
    listener: Listener | None = None,
    groups: JobGroups | None = None,
    pass_fds: Sequence[int] = (),
    max_concurrency: int = MAX_CONCURRENCY,
    resume_from: Sequence[Path] = (),
) -> RunOutcome:
    """Run every step into ``out_dir`` (a fresh folder); stop at the first failing step.

    The validated request (local genome paths made absolute) is stored in the work folder,
    where the retrieval jobs read it, as they read the stored request in the cloud. At most
    ``max_concurrency`` retrievals run at once whatever ``concurrency`` asks. ``groups``
    starts the jobs (``groups.stop`` from a signal handler ends them); ``pass_fds`` are
    inherited by every job (the run folder's lock). Every step's keys are recorded;
    ``resume_from`` (run folders: DIR, and a run of DIR that did not succeed) reuses their
    outputs whose keys are unchanged (``pavi_workflow.resume``).
    """
    out_dir = out_dir.resolve()
    for name in RUN_FOLDERS:
        (out_dir / name).mkdir(parents=True, exist_ok=True)
    executor.prepare([out_dir / name for name in JOB_FOLDERS])
    request_path = out_dir / "work" / REQUEST
    write_text(request_path, request.to_json())
    jobs = resume.job_identities(executor)
    keys = resume.entry_keys(request, variants_file, jobs["retrieval"])
    previous = resume.PreviousRuns.load(resume_from)
    reused = _reuse_entries(request, keys, previous, out_dir, variants_file)
    ids = request.entry_ids
    plan = plan_run(
        request,
        str(request_path),
        f"{out_dir}/work/",
        f"{out_dir}/results/",
        variants_file=variants_file,
        entries_per_job=entries_per_job,
        indexes=[i for i, entry_id in enumerate(ids) if entry_id not in reused.entry_ids],
    )
    for step in plan.retrievals:
        step.keys = {entry_id: keys[entry_id] for entry_id in step.entry_ids}
    if reused.entry_ids:
        reused.keys = {entry_id: keys[entry_id] for entry_id in reused.entry_ids}
        plan.retrievals.insert(0, reused)
    groups = groups or JobGroups()
    outcome = RunOutcome(plan, out_dir, concurrency=capped(concurrency, max_concurrency))
    job = _JobRunner(executor, out_dir, listener, groups, pass_fds)
    failed = job.run_all(plan.retrievals, outcome.concurrency)
    if failed is None:
        for step in (plan.alignment, plan.merge):
            if step is plan.alignment:
                key = resume.alignment_key(out_dir / "work", ids, request.seq_type, jobs[step.step])
            else:
                key = resume.merge_key(
                    out_dir, ids, request.seq_type, request_path, jobs[step.step]
                )
            step.keys = {step.step: key}
            outputs = previous.reuse_step(step.step, key, out_dir)
            if outputs is not None:
                step.cached, step.exit_code, step.outputs = True, 0, outputs
            job.run(step)
            if not step.ok:
                failed = step
                break
    if groups.signum is not None and not all(step.ok for step in plan.steps):
        outcome.signum = groups.signum
        running = sum(step.stopped for step in plan.steps)
        name = signal.Signals(groups.signum).name
        outcome.error = f"interrupted by {name}: stopped {running} running job(s)"
    elif failed is not None:
        outcome.error = f"{failed.label} failed: {failed.message or f'exit {failed.exit_code}'}"
    return outcome


def _reuse_entries(
    request: Request,
    keys: dict[str, str | None],
    previous: resume.PreviousRuns,
    out_dir: Path,
    variants_file: str | None,
) -> StepRun:
    """The cached retrieval step: the entries whose files were linked from the earlier run
    (its command is the one that would have computed them)."""
    outputs: dict[str, str] = {}
    indexes: list[int] = []
    for index, entry_id in enumerate(request.entry_ids):
        found = previous.reuse_entry(entry_id, keys[entry_id], request.seq_type, out_dir / "work")
        if found is not None:
            outputs.update(found)
            indexes.append(index)
    command = retrieval_command(
        str(out_dir / "work" / REQUEST),
        indexes or [0],
        f"{out_dir}/work/",
        variants_file,
        request.seq_type,
    )
    ids = tuple(request.entry_ids[i] for i in indexes)
    return StepRun("retrieval", command, entry_ids=ids, exit_code=0, outputs=outputs, cached=True)


def capped(concurrency: int, maximum: int = MAX_CONCURRENCY) -> int:
    """The retrieval jobs run at once: ``concurrency``, at least 1, at most ``maximum``."""
    return max(1, min(concurrency, maximum))


class _JobRunner:
    """Runs StepRuns as processes, records exit code, time, last stderr line and outputs."""

    def __init__(
        self,
        executor: Executor,
        out_dir: Path,
        listener: Listener | None,
        groups: JobGroups,
        pass_fds: Sequence[int],
    ) -> None:
        self.executor = executor
        self.out_dir = out_dir
        self.listener = listener
        self.groups = groups
        self.pass_fds = tuple(pass_fds)
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run_all(self, steps: list[StepRun], concurrency: int) -> StepRun | None:
        """Run steps concurrently; no new step starts after a failure; first failure in order."""
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="pavi-job") as pool:
            list(pool.map(self._run_unless_stopped, steps))
        return next((s for s in steps if s.exit_code not in (0, None)), None)

    def _run_unless_stopped(self, step: StepRun) -> None:
        if self.stop.is_set() or self.groups.stopping():
            return
        self.run(step)
        if not step.ok:
            self.stop.set()

    def run(self, step: StepRun) -> None:
        """Run one step (never through a shell) in its own process group; not once stopping."""
        if step.cached:
            self._notify("end", step)
            return
        if self.groups.stopping():
            return
        self._notify("start", step)
        log_path = self.out_dir / "logs" / f"{step.name}.log"
        started = time.monotonic()
        try:
            argv = self.executor.argv(step.command)
            with log_path.open("wb") as log:
                proc = self.groups.start(argv, log, self.pass_fds)
                if proc is None:
                    step.exit_code = None
                    return
                step.exit_code = self.groups.wait(proc)
            step.stopped = self.groups.stopping() and step.exit_code != 0
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


def describe_step(step: StepRun, all_ids: Sequence[str] = ()) -> dict[str, Any]:
    """A step as the manifest records it (the alignment and merge cover ``all_ids``)."""
    return {
        "step": step.step,
        "chunk": step.chunk,
        "entries": list(step.entry_ids or all_ids),
        "cached": step.cached,
        "keys": step.keys,
        "command": step.command.argv,
        "exit_code": step.exit_code,
        "stopped": step.stopped,
        "seconds": step.seconds,
        "message": step.message if step.exit_code not in (0, None) else "",
        "log": step.log,
        "outputs": step.outputs,
    }


def build_manifest(
    outcome: RunOutcome, *, request_sha256: str, request_path: str | None, executor: str
) -> dict[str, Any]:
    """What ``run.json`` records of a run (paths as the jobs saw them)."""
    return {
        "status": outcome.status,
        "error": outcome.error,
        "signal": None if outcome.signum is None else signal.Signals(outcome.signum).name,
        "request": {"path": request_path, "sha256": request_sha256},
        "versions": package_versions(),
        "executor": executor,
        "concurrency": outcome.concurrency,
        "work_prefix": outcome.plan.work_prefix,
        "results_prefix": outcome.plan.results_prefix,
        "results": {k: str(v) for k, v in outcome.results.items()} if outcome.ok else {},
        "steps": [
            describe_step(s, outcome.plan.entry_ids)
            for s in outcome.plan.steps
            if s.exit_code is not None
        ],
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> Path:
    """Write a manifest as ``run.json`` (atomically) and return its path."""
    write_text(path, json.dumps(manifest, indent=2) + "\n")
    return path
