"""The two index files of a genome: ``.fai`` (where each sequence's lines are) and ``.gzi``
(where each BGZF block starts, compressed and uncompressed). Pure parsers (standard library):
the retrieval job reads remote genomes with them, the workflow checks genomes before a run."""

from __future__ import annotations

import itertools
import struct
from typing import Final, NamedTuple

__all__ = [
    "MAX_BGZF_BLOCK",
    "FaiRecord",
    "IndexFormatError",
    "is_bgzipped",
    "parse_fai",
    "parse_gzi",
]

#: Most uncompressed bytes one BGZF block holds (its ISIZE field, SAM/BAM specification).
MAX_BGZF_BLOCK: Final = 65536


def is_bgzipped(url: str) -> bool:
    """Whether a FASTA URL names a bgzip-compressed file (its name, before any query, ends in
    ``.gz``): its index is then ``{url}.fai`` and ``{url}.gzi``, else ``{url}.fai`` alone."""
    return url.split("?", 1)[0].rstrip("/").endswith(".gz")


class IndexFormatError(ValueError):
    """An index file that cannot be parsed (the message says where)."""


class FaiRecord(NamedTuple):
    """One ``.fai`` line: sequence name, length, first byte, letters and bytes per line."""

    name: str
    length: int
    offset: int
    linebases: int
    linewidth: int

    def byte_span(self, start: int, end: int) -> tuple[int, int]:
        """Uncompressed file offsets (inclusive) of letters ``start..end`` (1-based, inclusive)."""
        return self.position(start - 1), self.position(end - 1)

    def position(self, index: int) -> int:
        """File offset of the letter at 0-based ``index``."""
        line, column = divmod(index, self.linebases)
        return self.offset + line * self.linewidth + column


def parse_fai(data: bytes) -> dict[str, FaiRecord]:
    """Sequence name -> record; ``IndexFormatError`` on a malformed line."""
    records: dict[str, FaiRecord] = {}
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        try:
            name = fields[0]
            length, offset, linebases, linewidth = (int(f) for f in fields[1:5])
        except (IndexError, ValueError):
            raise IndexFormatError(
                f".fai line {number} is not NAME LENGTH OFFSET LINEBASES LINEWIDTH"
            ) from None
        if min(length, offset) < 0 or linebases < 1 or linewidth < linebases or not name:
            raise IndexFormatError(f".fai line {number} has impossible values: {raw!r}")
        records.setdefault(name, FaiRecord(name, length, offset, linebases, linewidth))
    if not records:
        raise IndexFormatError(".fai lists no sequence")
    return records


def parse_gzi(data: bytes) -> tuple[list[int], list[int]]:
    """(compressed offsets, uncompressed offsets) of every block start, ``(0, 0)`` first.

    The file is a little-endian uint64 count, then that many (compressed, uncompressed) pairs.
    """
    if len(data) < 8:
        raise IndexFormatError(".gzi is shorter than its 8-byte entry count")
    (count,) = struct.unpack_from("<Q", data)
    if len(data) != 8 + 16 * count:
        raise IndexFormatError(f".gzi says {count} entries but holds {(len(data) - 8) / 16:g}")
    pairs = struct.unpack_from(f"<{2 * count}Q", data, 8)
    compressed = [0, *pairs[0::2]]
    uncompressed = [0, *pairs[1::2]]
    for before, after in itertools.pairwise(compressed):
        if after <= before:
            raise IndexFormatError(".gzi block offsets are not increasing")
    for before, after in itertools.pairwise(uncompressed):
        if after < before:
            raise IndexFormatError(".gzi uncompressed offsets decrease")
    return compressed, uncompressed
