"""Servers the probes run on 127.0.0.1: moto's S3 API, a fault-injecting proxy, a file server.

The fault proxy is also every package's ``fault_proxy`` test fixture (the repository's
``conftest.py``): HTTP errors, dropped connections, bodies cut halfway (answers and requests)
and answers lost after a write landed; a fault has a count, so retries can succeed, or none (it
fails every matching request).
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection"}
#: Fault kinds: an HTTP status with its S3 error code, or one of these two.
DROP = "drop"  # read the request, hang up without an answer
CUT = "cut"  # GET: real headers and half the body, then hang up; PUT/POST: read half, hang up
LOST = "answer lost"  # relay the request (a write lands), then hang up without the answer


#: Every method the jobs' S3 clients send (``FaultProxy.fail`` with method ``*``).
ALL_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto in server mode (S3, Step Functions, Batch, Logs…) on 127.0.0.1; yields its URL."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 (a test dependency)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class Fault:
    """Fail the first ``times`` requests (every one if None) whose method and path (with query)
    match."""

    methods: tuple[str, ...]
    path: re.Pattern[str]
    kind: str  # DROP, CUT, LOST or "500 InternalError" / "503 SlowDown"
    times: int | None
    hits: int = 0


@dataclass
class FaultProxy:
    """A threaded HTTP proxy in front of an S3 API server that fails chosen requests."""

    upstream: str
    url: str = ""
    faults: list[Fault] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)
    #: (method, path, Range header) of every request relayed.
    ranges: list[tuple[str, str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, methods: tuple[str, ...], path: str, kind: str, times: int | None) -> Fault:
        """Fail the first ``times`` matching requests (all if None) with ``kind``; ``path`` is a
        regex searched in the request's path and query."""
        fault = Fault(methods, re.compile(path), kind, times)
        with self.lock:
            self.faults.append(fault)
        return fault

    def fail(
        self, method: str, path: str, status: int, code: str, times: int | None = None
    ) -> Fault:
        """Answer ``status`` with the S3 error ``code`` (method ``*``: any method)."""
        methods = ALL_METHODS if method == "*" else (method,)
        return self.add(methods, path, f"{status} {code}", times)

    def cut(self, method: str, path: str, times: int | None = None) -> Fault:
        """Relay matching answers with only half of their body, then hang up."""
        return self.add((method,), path, CUT, times)

    def count(self, method: str, path: str = "") -> int:
        """How many requests with this method (and path regex) arrived."""
        return self.matching((method,), path)

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if one still has a count left (uses it up)."""
        with self.lock:
            self.seen.append((method, path))
            for fault in self.faults:
                left = fault.times is None or fault.hits < fault.times
                if method in fault.methods and fault.path.search(path) and left:
                    fault.hits += 1
                    return fault
        return None

    def matching(self, methods: tuple[str, ...], path: str) -> int:
        """How many requests seen so far match."""
        pattern = re.compile(path)
        with self.lock:
            return sum(1 for m, p in self.seen if m in methods and pattern.search(p))


def _proxy_handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    target = urllib.parse.urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def _body(self, limit: int | None = None) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length", 0))
            return self.rfile.read(length if limit is None else min(limit, length))

        def _hang_up(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _relay(self) -> None:
            fault = proxy.pick(self.command, self.path)
            with proxy.lock:
                proxy.ranges.append((self.command, self.path, self.headers.get("Range")))
            sends_body = self.command in ("PUT", "POST")
            if fault is not None and fault.kind == CUT and sends_body:
                self._body(int(self.headers.get("Content-Length", 0)) // 2)
                self._hang_up()
                return
            body = self._body()
            if fault is not None and fault.kind == DROP:
                self._hang_up()
                return
            if fault is not None and fault.kind not in (CUT, LOST):
                self._answer_fault(fault.kind)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body or sends_body:
                headers["Content-Length"] = str(len(body))
            conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if fault is not None and fault.kind == LOST:
                    self._hang_up()
                    return
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                if self.command == "HEAD":
                    self.send_header("Content-Length", response.getheader("Content-Length") or "0")
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if fault is not None:  # CUT of an answer: half of it, then hang up
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self._hang_up()
                elif self.command != "HEAD":
                    self.wfile.write(data)
            finally:
                conn.close()

        def _answer_fault(self, kind: str) -> None:
            status, code = kind.split(" ", 1)
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>injected {code}</Message>"
                "<RequestId>fault-proxy</RequestId></Error>"
            ).encode()
            self.send_response(int(status))
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(xml)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(xml)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay  # noqa: N815

    return Handler


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 (a free port); yields its URL; shut down after."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A ``FaultProxy`` in front of ``upstream``, serving on 127.0.0.1."""
    proxy = FaultProxy(upstream)
    with serving(_proxy_handler(proxy)) as url:
        proxy.url = url
        yield proxy


@dataclass
class FileServer:
    """Files of one folder over HTTP: optional delay per GET, optionally ignoring Range."""

    root: Path
    delay: float = 0.0
    honours_ranges: bool = True
    url: str = ""
    gets: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_RANGE = re.compile(r"bytes=(\d+)-(\d+)$")


def _file_handler(state: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def _answer(self) -> None:
            name = urllib.parse.urlsplit(self.path).path.lstrip("/")
            path = state.root / name
            if "/" in name or not path.is_file():
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.command == "GET":
                with state.lock:
                    state.gets += 1
                time.sleep(state.delay)
            data = path.read_bytes()
            status, body, first, last = 200, data, 0, len(data) - 1
            match = _RANGE.match(self.headers.get("Range") or "")
            if match and state.honours_ranges:
                first, last = int(match[1]), min(int(match[2]), len(data) - 1)
                status, body = 206, data[first : last + 1]
            self.send_response(status)
            if status == 206:
                self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "GET":
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        do_GET = do_HEAD = _answer  # noqa: N815

    return Handler


@contextlib.contextmanager
def file_server(
    root: Path, *, delay: float = 0.0, honours_ranges: bool = True
) -> Iterator[FileServer]:
    """Serve ``root``'s files on 127.0.0.1."""
    state = FileServer(root, delay, honours_ranges)
    with serving(_file_handler(state)) as url:
        state.url = url
        yield state
