"""Reading a Clustal alignment for the report: rows and the conservation line.

The package's one Clustal reader (``clustal.read_clustal``, linear in the text) does the work;
rows are kept by their position in a block, so duplicate ids stay apart.
"""

from __future__ import annotations

from pavi_seqinfo_align.clustal import read_clustal


def read_blocks(text: str) -> tuple[list[tuple[str, str]], str]:
    """``(id, gapped row)`` of every row, and the conservation line (spaces where blank)."""
    alignment = read_clustal(text)
    return alignment.rows, alignment.conservation
