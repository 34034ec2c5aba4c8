"""What ``pavi run`` shows: progress while it runs (stderr) and a one-screen summary."""

from __future__ import annotations

from types import TracebackType

from pavi_contracts.jobs import JOBS, RETRIEVAL
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pavi_workflow.runner import RunOutcome, StepRun


class RunDisplay:
    """A listener for the runner: a rich progress bar on a TTY, plain lines otherwise."""

    def __init__(self, console: Console, total_retrievals: int) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not self.live,
        )
        self.tasks = {
            job.step: self.progress.add_task(
                job.step, total=total_retrievals if job is RETRIEVAL else 1
            )
            for job in JOBS
        }

    def __enter__(self) -> RunDisplay:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def __call__(self, event: str, step: StepRun) -> None:
        """Runner callback: the retrieval bar counts entries, a chunk advances it by its size."""
        if event == "end" and not step.stopped:
            self.progress.advance(self.tasks[step.step], max(1, len(step.entry_ids)))
        if not self.live:
            state = "started" if event == "start" else _ending(step)
            self.console.print(f"{step.label}: {state}", markup=False, highlight=False)


def summary_table(outcome: RunOutcome, kept: str = "") -> Table:
    """Steps that ran (or were reused: ``cached``), their exit codes and times, then the
    result files.

    ``kept`` says where a run that did not succeed was left (shown after its error).
    """
    table = Table(title="pavi run", title_justify="left")
    for column in ("step", "entries", "exit", "seconds"):
        table.add_column(column)
    steps = [s for s in outcome.plan.steps if s.exit_code is not None]
    for step in steps:
        if step.cached:
            table.add_row(f"{step.name} (cached)", _entries(step.entry_ids), "", "")
            continue
        table.add_row(
            step.name, _entries(step.entry_ids), str(step.exit_code), f"{step.seconds:.2f}"
        )
    not_run = len(outcome.plan.steps) - len(steps)
    if not_run:
        table.add_row("(not run)", f"{not_run} step(s)", "", "")
    table.caption = (
        f"results: {outcome.out_dir / 'results'}  manifest: {outcome.out_dir / 'run.json'}"
        if outcome.ok
        else f"{outcome.status.upper()}: {outcome.error}" + (f"  {kept}" if kept else "")
    )
    return table


def _entries(ids: tuple[str, ...], shown: int = 3) -> str:
    """The first few entry ids of a chunk, then how many more."""
    if len(ids) <= shown:
        return ", ".join(ids)
    return f"{', '.join(ids[:shown])} +{len(ids) - shown}"


def _ending(step: StepRun) -> str:
    if step.cached:
        return "cached (reused from the earlier run)"
    if step.stopped:
        return f"stopped (exit {step.exit_code})"
    if step.ok:
        return f"ok ({step.seconds:.2f}s)"
    return f"failed, exit {step.exit_code}: {step.message}"
