"""Sequence position → alignment column (docs/merge.md, "Position to alignment column")."""

from __future__ import annotations

GAP = "-"


class PositionError(ValueError):
    """A sequence position that has no alignment column."""


class AlignedRow:
    """One gapped alignment row, with the column of each of its residues precomputed."""

    def __init__(self, gapped: str) -> None:
        self.gapped = gapped
        self.columns = len(gapped)
        self.residue_columns = [col for col, char in enumerate(gapped, start=1) if char != GAP]

    @property
    def residues(self) -> int:
        """Number of residues (non-gap characters) in the row."""
        return len(self.residue_columns)

    def column(self, position: int) -> int:
        """1-based alignment column of the 1-based sequence ``position``.

        ``position`` n + 1 (just past the last residue) maps to the column after the last
        residue when there is one, else to the last residue's column.
        """
        n = self.residues
        if position < 1:
            raise PositionError(f"position {position} is before the start of the sequence")
        if position > n + 1:
            raise PositionError(
                f"position {position} is after the end of the sequence "
                f"({n} residues, so at most {n + 1})"
            )
        if position <= n:
            return self.residue_columns[position - 1]
        if self.columns == 0:
            raise PositionError(f"position {position} cannot be placed in an empty row")
        # Column where the residue count reaches n: the last residue's, or column 1 if n == 0.
        last = self.residue_columns[-1] if n else 1
        return last + 1 if last < self.columns else last
