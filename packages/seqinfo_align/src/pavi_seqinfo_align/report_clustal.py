"""Reading a Clustal alignment for the report: rows and the conservation line, in one pass.

Linear in the text (Biopython's row access is quadratic in the number of rows, too slow for a
thousand sequences); rows are kept by their position in a block, so duplicate ids stay apart.
"""

from __future__ import annotations

from pavi_seqinfo_align.clustal import AlignmentFormatError

HEADERS = ("CLUSTAL", "MUSCLE", "PROBCONS")


def read_blocks(text: str) -> tuple[list[tuple[str, str]], str]:
    """``(id, gapped row)`` of every row, and the conservation line (spaces where blank)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith(HEADERS):
        raise AlignmentFormatError("not a Clustal alignment (no CLUSTAL header line)")
    names: list[str] = []
    chunks: list[list[str]] = []
    consensus: list[str] = []
    block: list[str] = []  # sequence chunks of the current block
    offset = width = 0
    for number, line in enumerate([*lines[1:], ""], start=2):
        if line[:1].isspace() and line.strip() and block:
            consensus.append(line[offset : offset + width].ljust(width))
            continue
        if not line.strip():
            if block:
                _close(block, chunks, number)
                consensus.extend(" " * width for _ in range(len(chunks[0]) - len(consensus)))
                block = []
            continue
        parts = line.split()
        if len(parts) < 2:
            raise AlignmentFormatError(f"not a Clustal alignment (line {number}: no sequence)")
        if not block:
            offset = len(line) - len(line[len(parts[0]) :].lstrip())
            width = len(parts[1])
        if not chunks:
            names.append(parts[0])
        block.append(parts[1])
    if not chunks:
        raise AlignmentFormatError("not a Clustal alignment (no alignment blocks found)")
    return [(name, "".join(row)) for name, row in zip(names, chunks, strict=True)], "".join(
        consensus
    )


def _close(block: list[str], chunks: list[list[str]], number: int) -> None:
    """Append a finished block's chunks to the rows; blocks must agree in rows and width."""
    if not chunks:
        chunks.extend([chunk] for chunk in block)
    elif len(block) != len(chunks):
        raise AlignmentFormatError(
            f"not a Clustal alignment (block ending at line {number} has {len(block)} rows, "
            f"not {len(chunks)})"
        )
    else:
        for row, chunk in zip(chunks, block, strict=True):
            row.append(chunk)
    if len({len(chunk) for chunk in block}) != 1:
        raise AlignmentFormatError("not a Clustal alignment (rows of different lengths)")
