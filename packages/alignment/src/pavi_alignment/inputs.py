"""Assembling alignment-input.fa: the sequence files concatenated in file-name order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pavi_common_s3 as storage
from pavi_contracts.files import fasta_pattern

READ_WORKERS = 8
#: ``--seq-type`` -> the files aligned (``dna`` aligns the spliced transcripts).
SEQ_PATTERNS = {"protein": fasta_pattern("protein"), "dna": fasta_pattern("transcript")}


@dataclass(frozen=True)
class AlignmentInput:
    """The concatenated FASTA and what went into it."""

    data: bytes
    files: list[str]
    empty_files: list[str]

    @property
    def records(self) -> int:
        """Number of FASTA records (header lines)."""
        return count_records(self.data)

    @property
    def residues(self) -> int:
        """Sequence characters of all records (header lines and whitespace excluded)."""
        return count_residues(self.data)


def list_sequence_files(work_prefix: str, seq_type: str) -> list[str]:
    """The sequence files under ``work_prefix``, sorted by file name (code-point order)."""
    return storage.list_uris(work_prefix, SEQ_PATTERNS[seq_type])


def concatenate(uris: list[str]) -> AlignmentInput:
    """The files' bytes joined with nothing in between (zero-byte files add nothing)."""
    with ThreadPoolExecutor(max_workers=max(1, min(READ_WORKERS, len(uris)))) as pool:
        contents = list(pool.map(storage.read_bytes, uris))
    empty = [uri for uri, data in zip(uris, contents, strict=True) if not data]
    return AlignmentInput(b"".join(contents), uris, empty)


def count_records(fasta: bytes) -> int:
    """FASTA records in ``fasta``: lines that start with ``>``."""
    return sum(1 for line in fasta.splitlines() if line.startswith(b">"))


def count_residues(fasta: bytes) -> int:
    """Sequence characters in ``fasta``: the non-blank characters of the non-header lines."""
    return sum(len(line.strip()) for line in fasta.splitlines() if not line.startswith(b">"))
