"""Fixtures shared by every package's tests."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reliability import servers
from reliability.servers import FaultProxy

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
    with servers.moto_server() as url:
        yield url


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


# ---------------------------------------------------------------------------------------------
# A fault-injecting proxy in front of the moto server (every package's storage tests); the same
# proxy the reliability suite uses (reliability/servers.py).
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def fault_proxy(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of moto; the library's endpoint points at it."""
    with servers.fault_proxy(aws_env) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        yield proxy
