"""The public functions: dispatch each URI to the local, S3 or HTTP back end."""

from __future__ import annotations

import fnmatch
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pavi_common_s3 import local, ranges
from pavi_common_s3.errors import StorageError, UnsupportedScheme
from pavi_common_s3.info import ObjectInfo
from pavi_common_s3.uri import Location, UriLike, join, parse

__all__ = [
    "Output",
    "delete",
    "download_file",
    "exists",
    "join",
    "list_uris",
    "read_bytes",
    "read_json",
    "read_range",
    "read_text",
    "reset_client",
    "stat",
    "upload_file",
    "write_all",
    "write_bytes",
    "write_text",
]


def _writable(uri: UriLike) -> Location:
    loc = parse(uri)
    if loc.kind == "http":
        raise UnsupportedScheme(loc.uri, "http(s) URIs are read only")
    return loc


def read_bytes(uri: UriLike) -> bytes:
    """The whole content of a file, object or URL."""
    loc = parse(uri)
    if loc.kind == "local":
        return local.read_bytes(loc.path, loc.uri)
    if loc.kind == "s3":
        from pavi_common_s3 import s3  # noqa: PLC0415 (boto3 only on first S3 use)

        return s3.read_bytes(loc)
    from pavi_common_s3 import web  # noqa: PLC0415

    return web.read_bytes(loc.uri)


def read_range(uri: UriLike, start: int, end: int) -> bytes:
    """Bytes ``start..end`` (0-based, both inclusive) in one closed ``Range`` request.

    ``s3://``: a ranged GetObject with the normal credentials; ``http(s)://``: a
    ``Range: bytes=start-end`` GET (a server answering 200 is read up to ``end`` only, then
    hung up on, and that is logged once); local files: a seek. Fewer bytes come back only when
    the object ends first. A body that breaks off mid-transfer is read again (bounded).
    """
    loc = parse(uri)
    if loc.kind == "local":
        ranges.header(loc.uri, start, end)  # the same argument checks
        return local.read_range(loc.path, loc.uri, start, end)
    if loc.kind == "s3":
        from pavi_common_s3 import s3  # noqa: PLC0415

        return s3.read_range(loc, start, end)
    from pavi_common_s3 import web  # noqa: PLC0415

    return web.read_range(loc.uri, start, end)


def stat(uri: UriLike) -> ObjectInfo:
    """Size and validators (ETag, Last-Modified) of an object, file or URL (one HEAD)."""
    loc = parse(uri)
    if loc.kind == "local":
        return local.stat(loc.path, loc.uri)
    if loc.kind == "s3":
        from pavi_common_s3 import s3  # noqa: PLC0415

        return s3.stat(loc)
    from pavi_common_s3 import web  # noqa: PLC0415

    return web.stat(loc.uri)


def read_text(uri: UriLike) -> str:
    """The content decoded as UTF-8."""
    data = read_bytes(uri)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise StorageError(
            os.fspath(uri), f"not UTF-8 text ({err.reason} at byte {err.start})"
        ) from err


def read_json(uri: UriLike) -> Any:
    """The content parsed as JSON."""
    text = read_text(uri)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise StorageError(os.fspath(uri), f"invalid JSON: {err}") from err
    except RecursionError:
        raise StorageError(os.fspath(uri), "invalid JSON: nested too deeply to read") from None


def write_bytes(uri: UriLike, data: bytes, *, tags: Mapping[str, str] | None = None) -> None:
    """Write ``data`` atomically (readers see the old content or the new, never a part).

    ``tags`` become S3 object tags (ignored for local files).
    """
    loc = _writable(uri)
    if loc.kind == "local":
        local.write_bytes(loc.path, loc.uri, data)
        return
    from pavi_common_s3 import s3  # noqa: PLC0415

    s3.write_bytes(loc, data, tags)


def write_text(uri: UriLike, text: str, *, tags: Mapping[str, str] | None = None) -> None:
    """Write ``text`` as UTF-8, atomically (``tags`` as for ``write_bytes``)."""
    write_bytes(uri, text.encode("utf-8"), tags=tags)


class Output(NamedTuple):
    """One file of a set written by ``write_all``."""

    uri: UriLike
    data: bytes
    tags: Mapping[str, str] | None = None


def write_all(outputs: Sequence[Output]) -> list[str]:
    """Write several files so that they exist together or not at all; their URIs.

    Each is written atomically, in the given order (put the file that readers look for
    last); when one write fails (or the process is interrupted meanwhile), the files already
    written are deleted before the error goes on. Only a killed process can leave a part.
    """
    written: list[UriLike] = []
    try:
        for output in outputs:
            write_bytes(output.uri, output.data, tags=output.tags)
            written.append(output.uri)
    except BaseException:
        for uri in reversed(written):
            try:
                delete(uri)
            except StorageError as err:  # the first error is the one to report
                _log_leftover(uri, err)
        raise
    return [os.fspath(uri) for uri in written]


def _log_leftover(uri: UriLike, err: StorageError) -> None:
    record = {
        "ts": round(time.time(), 3),
        "job": "pavi-common-s3",
        "event": "leftover",
        "uri": os.fspath(uri),
        "message": f"could not remove after a failed write: {err.problem}",
    }
    sys.stderr.write(json.dumps(record) + "\n")


def delete(uri: UriLike) -> None:
    """Remove a file or object; nothing happens when it does not exist."""
    loc = _writable(uri)
    if loc.kind == "local":
        local.delete(loc.path, loc.uri)
        return
    from pavi_common_s3 import s3  # noqa: PLC0415

    s3.delete(loc)


def upload_file(
    local_path: UriLike, uri: UriLike, *, tags: Mapping[str, str] | None = None
) -> None:
    """Copy a local file to ``uri`` atomically (multipart to S3 for large files)."""
    source = os.fspath(local_path)
    loc = _writable(uri)
    if loc.kind == "local":
        local.copy_in(source, loc.path, loc.uri)
        return
    from pavi_common_s3 import s3  # noqa: PLC0415

    s3.upload_file(source, loc, tags)


def download_file(uri: UriLike, local_path: UriLike) -> None:
    """Copy ``uri`` to a local file atomically (parallel ranged GETs from S3)."""
    target = os.fspath(local_path)
    loc = parse(uri)
    if loc.kind == "local":
        local.copy_in(loc.path, target, target)
        return
    if loc.kind == "s3":
        from pavi_common_s3 import s3  # noqa: PLC0415

        s3.download_file(loc, target)
        return
    from pavi_common_s3 import web  # noqa: PLC0415

    web.download_file(loc.uri, target)


def list_uris(prefix: UriLike, pattern: str | None = None) -> list[str]:
    """URIs of the objects directly under ``prefix`` whose name matches the ``fnmatch`` pattern.

    Sorted by file name in plain code-point order (the pipeline's alignment order).
    """
    loc = parse(prefix)
    if loc.kind == "local":
        names = local.list_names(loc.path, loc.uri)
    elif loc.kind == "s3":
        from pavi_common_s3 import s3  # noqa: PLC0415

        names = s3.list_names(loc)
    else:
        raise UnsupportedScheme(loc.uri, "http(s) URIs cannot be listed")
    if pattern is not None:
        names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    base = loc.uri if loc.uri.endswith("/") else loc.uri + "/"
    return [base + name for name in sorted(names)]


def exists(uri: UriLike) -> bool:
    """Whether the file, object or URL exists (a folder is not a file)."""
    loc = parse(uri)
    if loc.kind == "local":
        return local.exists(loc.path, loc.uri)
    if loc.kind == "s3":
        from pavi_common_s3 import s3  # noqa: PLC0415

        return s3.exists(loc)
    from pavi_common_s3 import web  # noqa: PLC0415

    return web.exists(loc.uri)


def reset_client() -> None:
    """Drop the cached S3 client and HTTP pool (the next call builds them from the environment)."""
    client = sys.modules.get("pavi_common_s3.client")
    if client is not None:
        client.reset_client()
    web = sys.modules.get("pavi_common_s3.web")
    if web is not None:
        web.reset_pool()
