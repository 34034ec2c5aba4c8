"""Fixtures of pavi_common_s3's tests: a raw S3 client and a fault-injecting S3 proxy."""

from __future__ import annotations

import http.client
import logging
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pavi_common_s3
import pytest

if TYPE_CHECKING:
    pass

CUT = -1  # Fault.status: send the real headers and half of the body, then hang up
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection"}


@pytest.fixture(autouse=True, scope="session")
def _quiet_moto() -> None:
    """moto's werkzeug server logs every request; keep failure reports readable."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _fresh_client() -> Iterator[None]:
    """Every test builds its S3 client from its own environment."""
    pavi_common_s3.reset_client()
    yield
    pavi_common_s3.reset_client()


@dataclass
class Fault:
    """Answer ``status``/``code`` to the first ``times`` requests matching method and path.

    ``status`` ``CUT`` relays the answer but hangs up after half of its body.
    """

    method: str
    path: re.Pattern[str]
    status: int
    code: str
    times: int | None  # None: forever
    hits: int = 0


@dataclass
class FaultProxy:
    """A threaded HTTP proxy in front of the moto server that can fail chosen requests."""

    upstream: str
    url: str = ""
    faults: list[Fault] = field(default_factory=list)
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    ranges: list[tuple[str, str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self, method: str, path: str, status: int, code: str, times: int | None = None
    ) -> Fault:
        """Add a fault; ``path`` is a regex searched in the request path and query."""
        fault = Fault(method, re.compile(path), status, code, times)
        with self.lock:
            self.faults.append(fault)
        return fault

    def cut(self, method: str, path: str, times: int | None = None) -> Fault:
        """Relay matching answers with only half of their body, then hang up."""
        return self.fail(method, path, CUT, "cut", times)

    def count(self, method: str, path: str = "") -> int:
        """How many requests with this method (and path regex) arrived."""
        pattern = re.compile(path)
        with self.lock:
            return sum(1 for m, p, _ in self.seen if m == method and pattern.search(p))

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault to inject for this request, if any (consumes one of its ``times``)."""
        with self.lock:
            for fault in self.faults:
                if fault.method in (method, "*") and fault.path.search(path):
                    if fault.times is not None and fault.hits >= fault.times:
                        continue
                    fault.hits += 1
                    self.seen.append((method, path, fault.status))
                    return fault
            self.seen.append((method, path, 0))
            return None


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    target = urllib.parse.urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def _body(self) -> bytes:
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
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def _relay(self) -> None:
            body = self._body()
            with proxy.lock:
                proxy.ranges.append((self.command, self.path, self.headers.get("Range")))
            fault = proxy.pick(self.command, self.path)
            if fault is not None and fault.status != CUT:
                self._answer_fault(fault)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body or self.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                length = response.getheader("Content-Length")
                if self.command == "HEAD":
                    self.send_header("Content-Length", length or "0")
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if fault is not None:  # CUT: half the body, then hang up
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                elif self.command != "HEAD":
                    self.wfile.write(data)
            finally:
                conn.close()

        def _answer_fault(self, fault: Fault) -> None:
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{fault.code}</Code><Message>injected {fault.code}</Message>"
                "<RequestId>fault-proxy</RequestId></Error>"
            ).encode()
            self.send_response(fault.status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(xml)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(xml)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay  # noqa: N815

    return Handler


@pytest.fixture
def fault_proxy(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of moto; the library's endpoint points at it."""
    proxy = FaultProxy(upstream=aws_env)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Served:
    """One object of ``ObjectServer``: its bytes and how the server treats Range requests."""

    data: bytes
    honours_ranges: bool = True
    cut_times: int = 0  # answers that send half the body, then hang up
    etag: str = '"v1"'


@dataclass
class ObjectServer:
    """A threaded HTTP server on 127.0.0.1 serving in-memory objects, logging every request."""

    url: str = ""
    objects: dict[str, Served] = field(default_factory=dict)
    log: list[tuple[str, str, str | None, int]] = field(default_factory=list)
    written: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, path: str, data: bytes, **options: Any) -> str:
        """Serve ``data`` at ``path``; its URL."""
        self.objects[path] = Served(data, **options)
        return self.url + path


_RANGE = re.compile(r"bytes=(\d+)-(\d+)$")


def _object_handler(server: ObjectServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def _answer(self) -> None:
            served = server.objects.get(self.path)
            header = self.headers.get("Range")
            status, body = 404, b""
            if served is not None:
                status, body = 200, served.data
                match = _RANGE.match(header or "")
                if match and served.honours_ranges:
                    start, end = int(match[1]), min(int(match[2]), len(served.data) - 1)
                    status, body = 206, served.data[start : end + 1]
            with server.lock:
                server.log.append((self.command, self.path, header, status))
                cut = served is not None and served.cut_times > 0 and self.command == "GET"
                if cut and served is not None:
                    served.cut_times -= 1
            self.send_response(status)
            if status == 206 and served is not None:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(served.data)}")
            if served is not None:
                self.send_header("ETag", served.etag)
                self.send_header("Last-Modified", "Tue, 01 Dec 2026 00:00:00 GMT")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if cut:
                body = body[: len(body) // 2]
                self.close_connection = True
            try:
                for at in range(0, len(body), 1 << 16):
                    self.wfile.write(body[at : at + (1 << 16)])
                    with server.lock:
                        server.written += len(body[at : at + (1 << 16)])
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_HEAD = _answer  # noqa: N815

    return Handler


@pytest.fixture
def object_server() -> Iterator[ObjectServer]:
    """``ObjectServer`` on 127.0.0.1 (a free port), shut down after the test."""
    state = ObjectServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _object_handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
