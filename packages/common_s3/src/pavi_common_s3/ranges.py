"""Closed byte ranges: argument checks, the stream fallback, the "ranges ignored" notice."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from pavi_common_s3.errors import StorageError

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)$")
_noticed: set[str] = set()
_noticed_lock = threading.Lock()


def header(uri: str, start: int, end: int) -> str:
    """The ``Range`` header value ``bytes=start-end`` (both inclusive, checked)."""
    if isinstance(start, bool) or isinstance(end, bool) or start < 0 or end < start:
        raise StorageError(uri, f"invalid byte range {start}-{end} (need 0 <= start <= end)")
    return f"bytes={start}-{end}"


def content_range_start(uri: str, value: str | None) -> int:
    """The first byte of a ``Content-Range: bytes a-b/size`` answer."""
    match = _CONTENT_RANGE.match((value or "").strip())
    if match is None:
        raise StorageError(uri, f"partial answer with an unreadable Content-Range {value!r}")
    return int(match.group(1))


def slice_stream(chunks: Iterable[bytes], start: int, end: int) -> bytes:
    """Bytes ``start..end`` of a whole-object stream, reading no further than ``end``.

    Never holds more than the wanted bytes plus one chunk; the caller closes the stream.
    """
    wanted = bytearray()
    position = 0
    for chunk in chunks:
        stop = position + len(chunk)
        if stop > start:
            wanted += chunk[max(0, start - position) : end + 1 - position]
        position = stop
        if position > end:
            break
    return bytes(wanted)


def iter_read(read: Callable[[int], bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """Chunks of ``read(size)`` until it returns nothing."""
    while True:
        chunk = read(size)
        if not chunk:
            return
        yield chunk


def notice_ignored(uri: str) -> None:
    """Log once per server that it answered a Range request with the whole object (200)."""
    server = uri.split("?", 1)[0].split("/", 3)
    key = "/".join(server[:3])
    with _noticed_lock:
        if key in _noticed:
            return
        _noticed.add(key)
    record = {
        "ts": round(time.time(), 3),
        "job": "pavi-common-s3",
        "event": "range_ignored",
        "server": key,
        "message": "the server answers Range requests with the whole object: each ranged read "
        "streams from the start of the object up to its last byte, then hangs up",
    }
    sys.stderr.write(json.dumps(record) + "\n")
