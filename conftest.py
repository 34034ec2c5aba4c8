"""Fixtures shared by every package's tests."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent
TESTDATA = REPO / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The repository's copy of the shared test data (genomes, cases, fixtures)."""
    return TESTDATA


@pytest.fixture(scope="session")
def require_clustalo() -> str:
    """Path of clustalo; fails (never skips) with how to install it when missing."""
    path = shutil.which("clustalo")
    if path is None:
        pytest.fail("clustalo is not on PATH: install it with `apt-get install clustalo`")
    return path


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3/Step Functions/Batch/Logs API server (moto in server mode) on localhost."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point every AWS client of this process (and of child processes) at the moto server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@pytest.fixture
def s3_bucket(aws_env: str) -> str:
    """A fresh, empty bucket on the moto server; returns its name."""
    import uuid

    import boto3

    name = f"test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=aws_env).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(aws_env: str) -> Any:
    """A plain boto3 S3 client on the moto server (pavi_common_s3's client is reset to it too)."""
    import boto3
    import pavi_common_s3

    pavi_common_s3.reset_client()
    return boto3.client("s3", endpoint_url=aws_env)


@dataclass(frozen=True)
class JobResult:
    """Exit code and stderr lines of one in-process run of a job's console script."""

    code: int
    lines: list[str]

    @property
    def last(self) -> str:
        """The last stderr line (the one-line error of a failing job)."""
        return self.lines[-1] if self.lines else ""

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log records."""
        return [json.loads(line) for line in self.lines if line.startswith("{")]


RunConsole = Callable[[Callable[[Sequence[str]], Any], Sequence[str]], JobResult]


@pytest.fixture
def run_console(capsys: pytest.CaptureFixture[str]) -> RunConsole:
    """Run a console script's ``main(args)`` in this process; its exit code and stderr lines."""

    def run(main: Callable[[Sequence[str]], Any], args: Sequence[str]) -> JobResult:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return JobResult(code, capsys.readouterr().err.splitlines())

    return run


@pytest.fixture
def work_results(tmp_path: Path) -> tuple[Path, Path]:
    """Empty local work and results folders."""
    work, results = tmp_path / "work", tmp_path / "results"
    work.mkdir()
    results.mkdir()
    return work, results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# A fault-injecting proxy in front of the moto server (every package's storage tests)
# ---------------------------------------------------------------------------------------------

CUT = -1  # Fault.status: send the real headers and half of the body, then hang up
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection"}


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
