"""Reading the Clustal alignment: record ids and gapped rows, in alignment order."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any, cast

from Bio import Align

# Biopython's parser is untyped: an iterable of alignments (``.sequences``; row i by index).
_parse = cast(Callable[[io.StringIO, str], Iterable[Any]], Align.parse)


class AlignmentFormatError(ValueError):
    """The text is not a Clustal alignment."""


def read_clustal_rows(text: str) -> list[tuple[str, str]]:
    """``(record id, gapped row)`` of every row of the first alignment in ``text``."""
    try:
        alignment = next(iter(_parse(io.StringIO(text), "clustal")))
    except StopIteration:
        raise AlignmentFormatError("not a Clustal alignment (no alignment blocks found)") from None
    except (ValueError, AssertionError, IndexError, KeyError) as err:
        problem = " ".join(str(err).split()) or type(err).__name__
        raise AlignmentFormatError(f"not a Clustal alignment ({problem})") from None
    rows = [(record.id, alignment[index]) for index, record in enumerate(alignment.sequences)]
    if not rows:
        raise AlignmentFormatError("not a Clustal alignment (no rows)")
    widths = {len(row) for _, row in rows}
    if len(widths) != 1:
        raise AlignmentFormatError("not a Clustal alignment (rows of different lengths)")
    return rows
