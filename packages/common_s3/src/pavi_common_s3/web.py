"""HTTP(S) back end (read only) on urllib3, retrying connection errors and 5xx answers."""

from __future__ import annotations

import os
import threading
from typing import BinaryIO

import urllib3
from urllib3.util.retry import Retry

from pavi_common_s3 import local, ranges
from pavi_common_s3.errors import AccessDenied, ObjectNotFound, StorageError
from pavi_common_s3.info import ObjectInfo
from pavi_common_s3.retry import BACKOFF_BASE, BACKOFF_CAP, read_with_retries

DEFAULT_MAX_ATTEMPTS = 5
TIMEOUT = urllib3.Timeout(connect=10.0, read=60.0)
_lock = threading.Lock()
_pool: tuple[int, urllib3.PoolManager] | None = None


def max_attempts() -> int:
    """Attempts per HTTP request: ``PAVI_HTTP_MAX_ATTEMPTS`` (default 5, at least 1)."""
    raw = os.environ.get("PAVI_HTTP_MAX_ATTEMPTS", "")
    try:
        return max(1, int(raw)) if raw else DEFAULT_MAX_ATTEMPTS
    except ValueError:
        return DEFAULT_MAX_ATTEMPTS


def _manager() -> urllib3.PoolManager:
    global _pool  # noqa: PLW0603 (one pool per process)
    attempts = max_attempts()
    with _lock:
        if _pool is None or _pool[0] != attempts:
            retry = Retry(  # the backoff of broken bodies (retry.py): one policy for http
                total=attempts - 1,
                backoff_factor=BACKOFF_BASE,
                backoff_max=BACKOFF_CAP,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=("GET", "HEAD"),
                raise_on_status=False,
            )
            _pool = (attempts, urllib3.PoolManager(retries=retry, timeout=TIMEOUT))
        return _pool[1]


def reset_pool() -> None:
    """Drop the cached connection pool."""
    global _pool  # noqa: PLW0603
    with _lock:
        if _pool is not None:
            _pool[1].clear()
        _pool = None


def _request(
    method: str, uri: str, headers: dict[str, str] | None = None
) -> urllib3.BaseHTTPResponse:
    try:
        response = _manager().request(
            method, uri, headers=headers, preload_content=False, redirect=True
        )
    except urllib3.exceptions.HTTPError as err:
        raise StorageError(uri, f"HTTP request failed: {err}") from err
    if response.status in (404, 410):
        response.release_conn()
        raise ObjectNotFound(uri, f"HTTP {response.status}: no such URL")
    if response.status in (401, 403):
        response.release_conn()
        raise AccessDenied(uri, f"HTTP {response.status}: access denied")
    if response.status >= 300:
        response.release_conn()
        raise StorageError(uri, f"HTTP {response.status} {response.reason or ''}".rstrip())
    return response


#: A body that breaks off after the answer started: the request is sent again.
BODY_ERRORS = (
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.ReadTimeoutError,
    urllib3.exceptions.IncompleteRead,
    ConnectionError,
)


def _body(uri: str, response: urllib3.BaseHTTPResponse) -> bytes:
    """The whole body; a non-transient read failure becomes a ``StorageError``."""
    try:
        return response.read()
    except BODY_ERRORS:
        raise
    except urllib3.exceptions.HTTPError as err:
        raise StorageError(uri, f"HTTP read failed: {err}") from err


def read_bytes(uri: str) -> bytes:
    """The body of a GET (sent again when the body breaks off mid-transfer)."""

    def once() -> bytes:
        response = _request("GET", uri)
        try:
            return _body(uri, response)
        finally:
            response.release_conn()

    return read_with_retries(once, uri, max_attempts(), BODY_ERRORS)


def read_range(uri: str, start: int, end: int) -> bytes:
    """Bytes ``start..end`` (inclusive) with one ``Range: bytes=start-end`` GET.

    A server that answers 200 (it ignores ranges) is read only up to ``end``, then the
    connection is closed; that is logged once per server.
    """
    wanted = ranges.header(uri, start, end)

    def once() -> bytes:
        response = _request("GET", uri, {"Range": wanted})
        try:
            if response.status == 206:
                first = ranges.content_range_start(uri, response.headers.get("Content-Range"))
                if first != start:
                    raise StorageError(
                        uri, f"asked for {wanted}, got {response.headers.get('Content-Range')}"
                    )
                return _body(uri, response)[: end - start + 1]
            ranges.notice_ignored(uri)
            data = ranges.slice_stream(ranges.iter_read(response.read), start, end)
            response.close()  # hang up: the rest of the object is not wanted
            return data
        finally:
            response.release_conn()

    return read_with_retries(once, uri, max_attempts(), BODY_ERRORS)


def stat(uri: str) -> ObjectInfo:
    """Size, ETag and Last-Modified from a HEAD request."""
    response = _request("HEAD", uri)
    response.release_conn()
    length = response.headers.get("Content-Length")
    if length is None or not length.isdigit():
        raise StorageError(uri, "the server did not say the size (no Content-Length)")
    return ObjectInfo(
        int(length), response.headers.get("ETag"), response.headers.get("Last-Modified")
    )


def download_file(uri: str, path: str) -> None:
    """Stream a GET into ``path`` atomically."""
    response = _request("GET", uri)

    def fill(out: BinaryIO) -> None:
        for chunk in response.stream(1 << 20):
            out.write(chunk)

    try:
        local.atomic_write(path, path, fill)
    except urllib3.exceptions.HTTPError as err:
        raise StorageError(uri, f"HTTP read failed: {err}") from err
    finally:
        response.release_conn()


def exists(uri: str) -> bool:
    """Whether a HEAD request succeeds (404/410: no; 401/403 raise ``AccessDenied``)."""
    try:
        _request("HEAD", uri).release_conn()
    except ObjectNotFound:
        return False
    return True
