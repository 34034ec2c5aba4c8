"""Index files of remote genomes, optionally kept on disk between runs.

Off unless ``PAVI_INDEX_CACHE`` names a folder. Then each index file is looked up by a HEAD
(``stat``) and kept under a name derived from its URL, size, ETag and Last-Modified, so a
changed file is fetched again; files whose server gives neither validator are not kept.
Clearing the cache is deleting the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from pavi_common_s3 import ObjectNotFound, StorageError, read_bytes, stat, write_bytes

CACHE_ENV = "PAVI_INDEX_CACHE"


def read_index(url: str) -> bytes | None:
    """The index file's bytes (from the cache when it is still valid); None if it is absent."""
    folder = os.environ.get(CACHE_ENV, "")
    try:
        if not folder:
            return read_bytes(url)
        info = stat(url)
    except ObjectNotFound:
        return None
    if info.etag is None and info.last_modified is None:
        return _read_present(url)
    key = hashlib.sha256(
        "\0".join((url, str(info.size), str(info.etag), str(info.last_modified))).encode()
    ).hexdigest()
    path = Path(folder) / f"{key}{Path(url.split('?', 1)[0]).suffix}"
    with contextlib.suppress(OSError):
        if path.is_file() and path.stat().st_size == info.size:
            return path.read_bytes()
    data = _read_present(url)
    if data is not None and len(data) == info.size:
        # Atomic: a concurrent run never sees a partial file; a cache that cannot be written
        # only makes the next run slower.
        with contextlib.suppress(StorageError):
            write_bytes(str(path), data)
    return data


def _read_present(url: str) -> bytes | None:
    try:
        return read_bytes(url)
    except ObjectNotFound:
        return None
