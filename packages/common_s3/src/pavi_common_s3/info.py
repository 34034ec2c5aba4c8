"""What ``stat`` tells about an object: its size and the validators that change with it."""

from __future__ import annotations

from typing import NamedTuple


class ObjectInfo(NamedTuple):
    """Size in bytes; ``etag`` and ``last_modified`` as the store reports them (or None).

    Local files have no ETag; their ``last_modified`` is the modification time in nanoseconds.
    """

    size: int
    etag: str | None
    last_modified: str | None
