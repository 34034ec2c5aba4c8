"""Fixtures of pavi_common_s3's tests: an HTTP object server (the fault-injecting S3 proxy,
``fault_proxy``, is in the root ``conftest.py``: every package's storage tests use it)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pavi_common_s3
import pytest


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
