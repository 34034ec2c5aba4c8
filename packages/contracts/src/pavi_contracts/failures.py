"""The last line of a retrieval job that failed some of its entries, written and read back.

The retrieval job ends with ``entries failed (2 of 10): A, B (entry A: …; entry B: …)``; the
runner and the client read the failed ids back from it. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_LINE = re.compile(r"entries failed \((\d+) of (\d+)\): ([A-Za-z0-9._, -]+?) \(")


def format_failed_entries(failures: Mapping[str, str], total: int) -> str:
    """``entries failed (k of n): ids (reasons)``: ``failures`` maps entry id -> its message."""
    ids = ", ".join(failures)
    reasons = "; ".join(failures.values())
    return f"entries failed ({len(failures)} of {total}): {ids} ({reasons})"


def parse_failed_entries(line: str) -> tuple[str, ...]:
    """The entry ids a job's error line names (empty when it is not such a line)."""
    match = _LINE.search(line)
    if match is None:
        return ()
    ids = tuple(part.strip() for part in match[3].split(","))
    return ids if len(ids) == int(match[1]) else ()
