"""The names of the files the jobs exchange through the work and results prefixes.

``docs/files.md`` describes each file's content; here are only the names, so that the jobs,
the runner, the state machine and the client agree on them.
"""

from __future__ import annotations

from typing import Final, Literal

OutputType = Literal["protein", "transcript"]
OUTPUT_TYPES: Final[tuple[OutputType, ...]] = ("protein", "transcript")

#: Work prefix: one per entry, written by the retrieval job.
SEQINFO_SUFFIX: Final = "-seqinfo.json"
SEQINFO_PATTERN: Final = f"*{SEQINFO_SUFFIX}"
#: Work prefix: the FASTA sequences of all entries, concatenated by the alignment job.
ALIGNMENT_INPUT: Final = "alignment-input.fa"
#: Results prefix.
ALIGNMENT_OUTPUT: Final = "alignment-output.aln"
ALIGNED_SEQINFO: Final = "aligned_seq_info.json"
#: Results prefix: the alignment with its variants marked, one self-contained HTML page.
REPORT: Final = "report.html"
#: Execution prefix (cloud): the request as submitted.
REQUEST: Final = "request.json"
#: Local run folder: the runner's manifest.
RUN_MANIFEST: Final = "run.json"


def fasta_name(entry_id: str, output_type: OutputType = "protein") -> str:
    """``{id}-protein.fa`` or ``{id}-transcript.fa``."""
    return f"{entry_id}-{output_type}.fa"


def fasta_pattern(output_type: OutputType = "protein") -> str:
    """The glob matching every entry's FASTA of one output type."""
    return f"*-{output_type}.fa"


def seqinfo_name(entry_id: str) -> str:
    """``{id}-seqinfo.json``."""
    return f"{entry_id}{SEQINFO_SUFFIX}"


def entry_outputs(entry_id: str, output_type: OutputType = "protein") -> tuple[str, str]:
    """The two files a retrieval writes for one entry, FASTA first."""
    return fasta_name(entry_id, output_type), seqinfo_name(entry_id)
