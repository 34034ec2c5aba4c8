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

from pavi_contracts.files import OutputType
from pavi_contracts.jobs import ALIGNMENT, MERGE, RETRIEVAL, Job, Step, job
from pavi_contracts.request_input import ALIGNMENT_SEQ_TYPES
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

    @property
    def output_type(self) -> str:
        """The retrieval's ``--output-type`` (what its declared FASTA is named after)."""
        if "--output-type" in self.args[:-1]:
            return self.args[self.args.index("--output-type") + 1]
        return "protein"


def retrieval_args(
    request_uri: str,
    selection: str,
    work_prefix: str,
    variants_file: str | None = None,
    output_type: str = "protein",
) -> tuple[str, ...]:
    """Arguments of the retrieval job for the entries ``selection`` (a SPEC) selects;
    ``output_type`` is the request's ``seq_type`` (``protein`` or ``transcript``)."""
    args: tuple[str, ...] = (
        "--request",
        request_uri,
        "--entries",
        selection,
        "--output-type",
        output_type,
        "--output-prefix",
        work_prefix,
    )
    if variants_file is not None:
        args += ("--variants-file", variants_file)
    return args


def prefixes_args(work_prefix: str, results_prefix: str) -> tuple[str, ...]:
    """Arguments of the alignment and merge jobs."""
    return ("--work-prefix", work_prefix, "--results-prefix", results_prefix)


def seq_type_args(seq_type: OutputType) -> tuple[str, ...]:
    """``--seq-type dna`` for a transcript request; nothing for a protein one (the jobs'
    default, so a protein run's commands are what they always were)."""
    if seq_type == "protein":
        return ()
    return ("--seq-type", ALIGNMENT_SEQ_TYPES[seq_type])


def alignment_args(
    work_prefix: str, results_prefix: str, seq_type: OutputType = "protein"
) -> tuple[str, ...]:
    """Arguments of the alignment job (``--seq-type dna`` aligns the transcript FASTAs)."""
    return (*prefixes_args(work_prefix, results_prefix), *seq_type_args(seq_type))


def retrieval_command(
    request_uri: str,
    indexes: Sequence[int],
    work_prefix: str,
    variants_file: str | None = None,
    seq_type: OutputType = "protein",
) -> JobCommand:
    """The retrieval job for one chunk of the request's entries."""
    selection = format_selection(indexes)
    args = retrieval_args(request_uri, selection, work_prefix, variants_file, seq_type)
    return JobCommand(RETRIEVAL.step, args)


def alignment_command(
    work_prefix: str, results_prefix: str, seq_type: OutputType = "protein"
) -> JobCommand:
    """The alignment job over every protein (or transcript) FASTA under the work prefix."""
    return JobCommand(ALIGNMENT.step, alignment_args(work_prefix, results_prefix, seq_type))


def merge_args(
    work_prefix: str, results_prefix: str, request_uri: str, seq_type: OutputType = "protein"
) -> tuple[str, ...]:
    """Arguments of the merge job (the request's sha256 goes into the report; a transcript
    run's report shows nucleotides)."""
    prefixes = prefixes_args(work_prefix, results_prefix)
    return (*prefixes, "--request", request_uri, *seq_type_args(seq_type))


def merge_command(
    work_prefix: str, results_prefix: str, request_uri: str, seq_type: OutputType = "protein"
) -> JobCommand:
    """The merge job over every seqinfo under the work prefix and the alignment."""
    args = merge_args(work_prefix, results_prefix, request_uri, seq_type)
    return JobCommand(MERGE.step, args)
