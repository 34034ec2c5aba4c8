"""A tiny HTTP server with single-range `Range: bytes=` support, serving one folder (tests only)."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass
class RequestLog:
    """What the server answered: (method, path, Range header or None, status), in order."""

    entries: list[tuple[str, str, str | None, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str, byte_range: str | None, status: int) -> None:
        """Record one answered request."""
        with self.lock:
            self.entries.append((method, path, byte_range, status))


class RangeHandler(SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus `Range: bytes=a-b` / `a-` / `-n` (one range) → 206."""

    log: RequestLog

    def __init__(self, *args: Any, log: RequestLog, **kwargs: Any) -> None:
        self.log = log
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded in the RequestLog instead."""

    def end_headers(self) -> None:
        """Advertise range support on every answer."""
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def do_GET(self) -> None:
        """Whole file, or the requested byte range."""
        self._answer(body=True)

    def do_HEAD(self) -> None:
        """Headers only."""
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        path = Path(self.translate_path(self.path))
        byte_range = self.headers.get("Range")
        # Each request is logged before its answer is sent, so a client that has its answer
        # always finds the request in the log.
        if not path.is_file():
            self.log.add(self.command, self.path, byte_range, HTTPStatus.NOT_FOUND)
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        size = path.stat().st_size
        span = _parse_range(byte_range, size) if byte_range else (0, size - 1)
        if span is None:
            self.log.add(self.command, self.path, byte_range, 416)
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = span
        status = HTTPStatus.PARTIAL_CONTENT if byte_range else HTTPStatus.OK
        self.log.add(self.command, self.path, byte_range, int(status))
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        if byte_range:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if body:
            # htslib closes a streaming GET early once it has read enough: not an error.
            with path.open("rb") as handle, suppress(BrokenPipeError, ConnectionResetError):
                handle.seek(start)
                _copy(handle, self.wfile, end - start + 1)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    match = _RANGE.match(header.strip())
    if match is None or match.group(0) == "bytes=-":
        return None
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    return (start, end) if start <= end and start < size else None


def _copy(source: Any, target: Any, length: int) -> None:
    remaining = length
    while remaining > 0:
        chunk = source.read(min(remaining, 64 * 1024))
        if not chunk:
            break
        target.write(chunk)
        remaining -= len(chunk)


@contextmanager
def serve(folder: Path, host: str = "127.0.0.1") -> Iterator[tuple[str, RequestLog]]:
    """Serve ``folder`` on a free port in a thread; yield (base URL, request log); then stop."""
    log = RequestLog()
    handler = functools.partial(RangeHandler, directory=str(folder), log=log)
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
