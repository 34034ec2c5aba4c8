"""The three job commands (docs/architecture.md), shared by the state machine and the runner.

A command is the full argument list *including* the console script's name: the images run
it as their container command (no entrypoint), Batch receives it as ``Command``, and the local
runner executes it as a process.
"""

from __future__ import annotations

import json
from typing import Any, Final

RETRIEVAL_SCRIPT: Final = "pavi-seq-retrieval"
ALIGNMENT_SCRIPT: Final = "pavi-alignment"
MERGE_SCRIPT: Final = "pavi-seqinfo-align"

#: Step name -> (console script = image repository, distribution).
STEP_PACKAGES: Final = {
    "retrieval": (RETRIEVAL_SCRIPT, "pavi-seq-retrieval"),
    "alignment": (ALIGNMENT_SCRIPT, "pavi-alignment"),
    "merge": (MERGE_SCRIPT, "pavi-seqinfo-align"),
}


def entry_json(entry: dict[str, Any]) -> str:
    """One entry as compact JSON, exactly as ``States.JsonToString`` writes it."""
    return json.dumps(entry, separators=(",", ":"))


def retrieval_command(
    entry: dict[str, Any], work_prefix: str, variants_file: str | None = None
) -> list[str]:
    """``pavi-seq-retrieval`` for one entry."""
    command = [
        RETRIEVAL_SCRIPT,
        "--entry",
        entry_json(entry),
        "--output-type",
        "protein",
        "--output-prefix",
        work_prefix,
    ]
    if variants_file is not None:
        command += ["--variants-file", variants_file]
    return command


def alignment_command(work_prefix: str, results_prefix: str) -> list[str]:
    """``pavi-alignment`` over every protein FASTA under the work prefix."""
    return [ALIGNMENT_SCRIPT, "--work-prefix", work_prefix, "--results-prefix", results_prefix]


def merge_command(work_prefix: str, results_prefix: str) -> list[str]:
    """``pavi-seqinfo-align`` over every seqinfo under the work prefix and the alignment."""
    return [MERGE_SCRIPT, "--work-prefix", work_prefix, "--results-prefix", results_prefix]
