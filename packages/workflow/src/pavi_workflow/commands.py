"""The job commands (``docs/architecture.md``), shared by the state machine and the runner.

A job command is its console script plus its arguments, kept apart because they travel apart:
the script is the job image's ``ENTRYPOINT``, so the state machine sends only the arguments as
the executor's command and the container executor passes only the arguments after the image;
the local executor runs ``[script, *args]``. The argument lists are built here and nowhere else
(``asl`` turns them into ``States.Array`` expressions).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pavi_contracts.jobs import ALIGNMENT, MERGE, RETRIEVAL, Job, Step, job


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


def entry_json(entry: Mapping[str, Any]) -> str:
    """One entry as compact JSON, exactly as ``States.JsonToString`` writes it."""
    return json.dumps(entry, separators=(",", ":"))


def retrieval_args(
    entry: str, work_prefix: str, variants_file: str | None = None
) -> tuple[str, ...]:
    """Arguments of the retrieval job for one entry given as compact JSON."""
    args: tuple[str, ...] = (
        "--entry",
        entry,
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
    entry: Mapping[str, Any], work_prefix: str, variants_file: str | None = None
) -> JobCommand:
    """The retrieval job for one entry."""
    return JobCommand(RETRIEVAL.step, retrieval_args(entry_json(entry), work_prefix, variants_file))


def alignment_command(work_prefix: str, results_prefix: str) -> JobCommand:
    """The alignment job over every protein FASTA under the work prefix."""
    return JobCommand(ALIGNMENT.step, prefixes_args(work_prefix, results_prefix))


def merge_command(work_prefix: str, results_prefix: str) -> JobCommand:
    """The merge job over every seqinfo under the work prefix and the alignment."""
    return JobCommand(MERGE.step, prefixes_args(work_prefix, results_prefix))
