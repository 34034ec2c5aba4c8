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
from typing import TYPE_CHECKING

import pavi_common_s3
import pytest

if TYPE_CHECKING:
    pass

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
    """Answer ``status``/``code`` to the first ``times`` requests matching method and path."""

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
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self, method: str, path: str, status: int, code: str, times: int | None = None
    ) -> Fault:
        """Add a fault; ``path`` is a regex searched in the request path and query."""
        fault = Fault(method, re.compile(path), status, code, times)
        with self.lock:
            self.faults.append(fault)
        return fault

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
            fault = proxy.pick(self.command, self.path)
            if fault is not None:
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
                if self.command != "HEAD":
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
