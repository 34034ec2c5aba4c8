"""Which entries of a stored request one retrieval job processes (``--entries SPEC``).

The workflow plans chunks (:func:`chunk_indexes`) and writes each as a SPEC
(:func:`format_selection`, the JSON array the state machine renders with
``States.JsonToString``); the retrieval job reads it back (:func:`parse_selection`).
Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

_ITEM = re.compile(r"\s*([0-9]+)(?:\s*-\s*([0-9]+))?\s*")
#: Longest SPEC accepted (a chunk is small; a SPEC travels in a Batch command).
MAX_SPEC_LENGTH = 4096


class SelectionError(ValueError):
    """A SPEC that does not select entries of the request; the message names the problem."""


def chunk_indexes(count: int, size: int) -> list[list[int]]:
    """``0..count-1`` in consecutive chunks of ``size`` (the last may be shorter).

    The state machine computes the same with
    ``States.ArrayPartition(States.ArrayRange(0, count - 1, 1), size)``.
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    return [list(range(start, min(start + size, count))) for start in range(0, count, size)]


def format_selection(indexes: Sequence[int]) -> str:
    """A chunk as SPEC: the compact JSON array ``States.JsonToString`` writes (``[0,1,2]``)."""
    return json.dumps(list(indexes), separators=(",", ":"))


def parse_selection(spec: str, count: int) -> list[int]:
    """The 0-based indexes SPEC selects, in order, each within ``0..count-1`` and distinct.

    SPEC is ``3``, ``0-9``, ``0,4,7`` (items may be ranges) or a JSON array ``[0,4,7]``.
    """
    if len(spec) > MAX_SPEC_LENGTH:
        raise SelectionError(f"longer than {MAX_SPEC_LENGTH} characters")
    text = spec.strip()
    if not text:
        raise SelectionError("selects no entry (give an index, a range a-b or a list)")
    indexes = _from_json(text) if text.startswith("[") else _from_items(text)
    if not indexes:
        raise SelectionError("selects no entry")
    seen: set[int] = set()
    for index in indexes:
        if index >= count:
            raise SelectionError(
                f"index {index} is out of range: the request holds {count} "
                f"entr{'y' if count == 1 else 'ies'} (0-{count - 1})"
            )
        if index in seen:
            raise SelectionError(f"index {index} is selected twice")
        seen.add(index)
    return indexes


def _from_json(text: str) -> list[int]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise SelectionError("not a valid JSON array of indexes") from None
    if not isinstance(value, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) and item >= 0 for item in value
    ):
        raise SelectionError("a JSON array must hold whole numbers from 0 up")
    return value


def _from_items(text: str) -> list[int]:
    indexes: list[int] = []
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise SelectionError(
                f"{item.strip()!r} is not an index or a range a-b (e.g. 3, 0-9, 0,4,7, [0,4,7])"
            )
        first = int(match[1])
        last = int(match[2]) if match[2] is not None else first
        if last < first:
            raise SelectionError(f"range {first}-{last} ends before it starts")
        if last - first >= 100_000:
            raise SelectionError(f"range {first}-{last} is too long")
        indexes.extend(range(first, last + 1))
    return indexes
