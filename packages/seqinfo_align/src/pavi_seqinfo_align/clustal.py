"""Reading the Clustal alignment: record ids, gapped rows and the conservation line.

The package's one Clustal reader: the merge and the report both use it. One pass over the
lines, in time linear in the file's size. It accepts and rejects what Biopython's
``Bio.Align`` Clustal parser (the previous parser) does and gives the same rows, including
its removal of columns that are gaps in every row (the tests compare both on every alignment
of the test data and on generated ones), without its quadratic row access or numpy.
Two deliberate differences: rows of different total lengths (a short last block), which
Biopython pads or truncates depending on the first row, are rejected; and a file whose only
block ends at the end of the file (no blank line after it), where Biopython finds nothing,
is read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

#: ASCII byte → 0 for a gap, 1 for anything else (a row's column mask).
_MASK = bytes(0 if byte == ord("-") else 1 for byte in range(256))
KNOWN_PROGRAMS = ("CLUSTAL", "PROBCONS", "MUSCLE", "MSAPROBS", "Kalign", "Biopython")
GAP = "-"


class AlignmentFormatError(ValueError):
    """The text is not a Clustal alignment."""


@dataclass(frozen=True)
class ClustalAlignment:
    """Rows in alignment order (duplicate ids stay apart) and the conservation line."""

    rows: list[tuple[str, str]]
    #: One character per column: the consensus line's, a space where a block has none.
    conservation: str


def read_clustal(text: str) -> ClustalAlignment:
    """The rows and conservation line of the first alignment in ``text``."""
    lines = io.StringIO(text).readlines()  # split at "\n" only, as a text stream does
    if not lines:
        raise _error("Empty file.")
    _check_header(lines[0])
    reader = _Blocks()
    rest = reader.first_block(lines, 1)
    for line in lines[rest:]:
        reader.later_line(line)
    return reader.alignment()


def read_clustal_rows(text: str) -> list[tuple[str, str]]:
    """``(record id, gapped row)`` of every row of the first alignment in ``text``."""
    return read_clustal(text).rows


class _Blocks:
    """The rows' chunks, block after block, and the consensus line pieces."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.chunks: list[list[str]] = []
        self.residues: list[int] = []
        self.consensus: list[str] = []  # an empty consensus is never checked
        self.widths: list[int] = []  # each block's width (its first row's chunk)
        self.pieces: dict[int, str] = {}  # block → its consensus line pieces, joined
        self.index = 0  # column where the sequences start (from the first row)
        self.last = ""  # the latest chunk: its length is the next consensus slice's
        self.row = 0  # the row the next sequence line belongs to

    def first_block(self, lines: list[str], at: int) -> int:
        """Read the block that names the rows; the index of the line after it."""
        while at < len(lines):
            line = lines[at]
            at += 1
            if line.startswith(" "):
                if not self.ids:
                    raise _error("consensus line before any sequence")
                self._consensus(line)
                break
            if line.strip():
                seqid, chunk, count = _fields(line)
                if not self.ids:
                    self.index = line.find(chunk, len(seqid))
                    self.widths.append(len(chunk))
                self.ids.append(seqid)
                self.chunks.append([])
                self.residues.append(0)
                self._add(len(self.ids) - 1, chunk, count, line)
            elif self.ids:
                break
        if not self.ids:
            raise _error("no alignment blocks found")
        width = len(self.chunks[0][0])
        if any(len(chunk[0]) != width for chunk in self.chunks):
            raise _error("rows of different lengths in the first block")
        if self.consensus and self.consensus[0] and len(self.consensus[0]) != width:
            raise _error("consensus line not as wide as the first block")
        return at

    def later_line(self, line: str) -> None:
        """A line of a later block: rows in the first block's order, a consensus optional."""
        if line.startswith(" "):
            self._consensus(line)
        elif line.strip():
            seqid, chunk, count = _fields(line)
            if seqid != self.ids[self.row]:
                raise _error(f"row {seqid!r} where {self.ids[self.row]!r} was expected")
            if self.row == 0:
                self.widths.append(len(chunk))
            self._add(self.row, chunk, count, line)
            self.row = (self.row + 1) % len(self.ids)

    def _add(self, row: int, chunk: str, count: int | None, line: str) -> None:
        self.chunks[row].append(chunk)
        self.residues[row] += len(chunk) - chunk.count(GAP)
        self.last = chunk
        if count is not None and self.residues[row] != count:
            raise _error(f"Could not parse line, incorrect sequence count: {line.strip()}")

    def _consensus(self, line: str) -> None:
        piece = line[self.index : self.index + len(self.last)]
        self.consensus.append(piece)
        block = len(self.widths) - 1
        self.pieces[block] = self.pieces.get(block, "") + piece

    def alignment(self) -> ClustalAlignment:
        """The joined rows, checked against each other and the consensus."""
        rows = [("".join(parts)) for parts in self.chunks]
        joined = list(zip(self.ids, rows, strict=True))
        if len({len(gapped) for gapped in rows}) != 1:
            raise _error("rows of different lengths")
        conservation = "".join(
            self.pieces.get(block, "").ljust(width) for block, width in enumerate(self.widths)
        )
        joined, conservation = _without_gap_columns(joined, conservation)
        columns = len(joined[0][1])
        consensus = sum(len(part) for part in self.consensus)
        if consensus and consensus != columns:
            raise _error(f"Alignment has {columns} columns, consensus length is {consensus}")
        return ClustalAlignment(joined, conservation)


def _without_gap_columns(
    rows: list[tuple[str, str]], conservation: str
) -> tuple[list[tuple[str, str]], str]:
    """The rows (all of one length) and conservation line without the columns that are gaps
    in every row.

    Biopython drops them; clustalo never writes one.
    """
    columns = len(rows[0][1])
    mask = 0
    for seqid, gapped in rows:
        if not gapped.isascii():
            raise _error(f"row {seqid!r} holds characters that are not ASCII")
        mask |= int.from_bytes(gapped.encode("ascii").translate(_MASK))
    keep = mask.to_bytes(columns)
    if 0 not in keep:
        return rows, conservation  # always so for clustalo's output

    def kept(text: str) -> str:
        return "".join(char for char, flag in zip(text, keep, strict=False) if flag)

    return [(seqid, kept(gapped)) for seqid, gapped in rows], kept(conservation)


def _check_header(line: str) -> None:
    """The first line names a program that writes Clustal files."""
    words = line.split()
    if not words:
        raise _error("list index out of range")
    if words[0] not in KNOWN_PROGRAMS:
        raise _error(
            f"{words[0]} is not known to generate CLUSTAL files: {', '.join(KNOWN_PROGRAMS)}"
        )
    for word in words:
        bare = word[1:-1] if word[0] == "(" and word[-1] == ")" else word
        if not bare:
            raise _error("string index out of range")
        if bare[0].isdigit():
            return


def _fields(line: str) -> tuple[str, str, int | None]:
    """Id, gapped chunk and the optional residue count of one sequence line."""
    fields = line.split()
    if len(fields) not in (2, 3):
        raise _error(f"Could not parse line: {line.strip()}")
    if len(fields) == 2:
        return fields[0], fields[1], None
    try:
        return fields[0], fields[1], int(fields[2])
    except ValueError:
        raise _error(f"Could not parse line, bad sequence count: {line.strip()}") from None


def _error(problem: str) -> AlignmentFormatError:
    return AlignmentFormatError(f"not a Clustal alignment ({problem})")
