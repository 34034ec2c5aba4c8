"""The job commands (``docs/architecture.md``), shared by the state machine and the runner.

A job command is its console script plus its arguments, kept apart because they travel apart:
the script is the job image's ``ENTRYPOINT``, so the state machine sends only the arguments as
the executor's command and the container executor passes only the arguments after the image;
the local executor runs ``[script, *args]``. The argument lists are built here and nowhere else
(``asl`` turns them into ``States.Array`` expressions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pavi_contracts.jobs import ALIGNMENT, MERGE, RETRIEVAL, Job, Step, job
from pavi_contracts.selection import format_selection

#: Entries per retrieval job unless a run or stack says otherwise (packages/workflow/README.md,
#: "Entries per job" gives the cost model behind it).
DEFAULT_ENTRIES_PER_JOB = 25


@dataclass(frozen=True)
class JobCommand:
    """One job: its step (the job table's row) and its arguments."""

    step: Step
    args: tuple[str, ...]

    @property
    def job(self) -> Job:
        """The step's row of the job table."""
        return job(self.step)

    @property
    def script(self) -> str:
        """The step's console script (= image ``ENTRYPOINT``)."""
        return self.job.script

    @property
    def argv(self) -> list[str]:
        """The whole command as it runs: script, then arguments."""
        return [self.script, *self.args]


def retrieval_args(
    request_uri: str, selection: str, work_prefix: str, variants_file: str | None = None
) -> tuple[str, ...]:
    """Arguments of the retrieval job for the entries ``selection`` (a SPEC) selects."""
    args: tuple[str, ...] = (
        "--request",
        request_uri,
        "--entries",
        selection,
        "--output-type",
        "protein",
        "--output-prefix",
        work_prefix,
    )
    if variants_file is not None:
        args += ("--variants-file", variants_file)
    return args


def prefixes_args(work_prefix: str, results_prefix: str) -> tuple[str, ...]:
    """Arguments of the alignment and merge jobs."""
    return ("--work-prefix", work_prefix, "--results-prefix", results_prefix)


def retrieval_command(
    request_uri: str, indexes: Sequence[int], work_prefix: str, variants_file: str | None = None
) -> JobCommand:
    """The retrieval job for one chunk of the request's entries."""
    args = retrieval_args(request_uri, format_selection(indexes), work_prefix, variants_file)
    return JobCommand(RETRIEVAL.step, args)


def alignment_command(work_prefix: str, results_prefix: str) -> JobCommand:
    """The alignment job over every protein FASTA under the work prefix."""
    return JobCommand(ALIGNMENT.step, prefixes_args(work_prefix, results_prefix))


def merge_args(work_prefix: str, results_prefix: str, request_uri: str) -> tuple[str, ...]:
    """Arguments of the merge job (the request's sha256 goes into the report)."""
    return (*prefixes_args(work_prefix, results_prefix), "--request", request_uri)


def merge_command(work_prefix: str, results_prefix: str, request_uri: str) -> JobCommand:
    """The merge job over every seqinfo under the work prefix and the alignment."""
    return JobCommand(MERGE.step, merge_args(work_prefix, results_prefix, request_uri))
