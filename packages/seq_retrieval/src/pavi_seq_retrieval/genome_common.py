"""What every genome reader shares: the fatal access error and the region checks."""

from __future__ import annotations

from collections.abc import Mapping

from pavi_seq_retrieval.model import GenomeReadError

FIELD = "fasta_file_url"


class GenomeAccessError(Exception):
    """The genome cannot be opened or read (fatal, exit 1); names ``fasta_file_url``."""

    def __init__(self, problem: str) -> None:
        self.field = FIELD
        self.problem = " ".join(problem.split())
        super().__init__(f"{FIELD}: {self.problem}")


def checked_length(lengths: Mapping[str, int], url: str, seq_id: str, start: int, end: int) -> int:
    """Letters in ``seq_id[start..end]``; ``GenomeReadError`` for an unknown sequence or a
    range outside it (the messages every reader uses)."""
    length = lengths.get(seq_id)
    if length is None:
        raise GenomeReadError(f"seq_id {seq_id!r} not in genome index {url}.fai")
    expected = end - start + 1
    if end > length and expected >= 0:
        raise GenomeReadError(
            f"region {start}-{end} past the end of {seq_id} (length {length}) in {url}"
        )
    if start < 1 or expected < 0:
        raise GenomeReadError(
            f"region {start}-{end} is outside {seq_id} (length {length}) in {url}"
        )
    return expected


def clamped(
    lengths: Mapping[str, int], seq_id: str, regions: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The readable parts of hinted regions (an unknown sequence has none), sorted."""
    length = lengths.get(seq_id)
    if length is None:
        return []
    parts = ((max(1, a), min(b, length)) for a, b in regions if a <= b)
    return sorted((a, b) for a, b in parts if a <= b)
