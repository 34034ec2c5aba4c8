"""Fixtures shared by every package's tests."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
