"""The three job commands (docs/architecture.md), shared by the state machine and the runner.

A job command is its console script plus its arguments, kept apart because they travel apart:
the script is the job image's ``ENTRYPOINT``, so the state machine sends only the arguments as
Batch's ``Command`` and the container executor passes only the arguments after the image; the
local executor runs ``[script, *args]``. The argument lists are built here and nowhere else
(``asl`` turns them into ``States.Array`` expressions).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

RETRIEVAL_SCRIPT: Final = "pavi-seq-retrieval"
ALIGNMENT_SCRIPT: Final = "pavi-alignment"
MERGE_SCRIPT: Final = "pavi-seqinfo-align"

#: Step name -> (console script = image repository = image ENTRYPOINT, distribution).
STEP_PACKAGES: Final = {
    "retrieval": (RETRIEVAL_SCRIPT, "pavi-seq-retrieval"),
    "alignment": (ALIGNMENT_SCRIPT, "pavi-alignment"),
    "merge": (MERGE_SCRIPT, "pavi-seqinfo-align"),
}


@dataclass(frozen=True)
class JobCommand:
    """One job: its console script (the image's entrypoint) and its arguments (Batch Command)."""

    step: str
    args: tuple[str, ...]

    @property
    def script(self) -> str:
        """The step's console script."""
        return STEP_PACKAGES[self.step][0]

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
    """Arguments of ``pavi-seq-retrieval`` for one entry given as compact JSON."""
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
    """Arguments of ``pavi-alignment`` and ``pavi-seqinfo-align``."""
    return ("--work-prefix", work_prefix, "--results-prefix", results_prefix)


def retrieval_command(
    entry: Mapping[str, Any], work_prefix: str, variants_file: str | None = None
) -> JobCommand:
    """``pavi-seq-retrieval`` for one entry."""
    return JobCommand("retrieval", retrieval_args(entry_json(entry), work_prefix, variants_file))


def alignment_command(work_prefix: str, results_prefix: str) -> JobCommand:
    """``pavi-alignment`` over every protein FASTA under the work prefix."""
    return JobCommand("alignment", prefixes_args(work_prefix, results_prefix))


def merge_command(work_prefix: str, results_prefix: str) -> JobCommand:
    """``pavi-seqinfo-align`` over every seqinfo under the work prefix and the alignment."""
    return JobCommand("merge", prefixes_args(work_prefix, results_prefix))
