"""http(s):// reads against a real local HTTP server (pytest-httpserver)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pavi_common_s3 import (
    AccessDenied,
    ObjectNotFound,
    StorageError,
    download_file,
    exists,
    read_bytes,
    read_json,
    read_text,
)
from pytest_httpserver import HTTPServer


def test_reads(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data/a.bin").respond_with_data(b"\x00\xffbytes")
    httpserver.expect_request("/data/t.txt").respond_with_data("héllo".encode())
    httpserver.expect_request("/data/d.json").respond_with_json({"k": [1, 2]})
    assert read_bytes(httpserver.url_for("/data/a.bin")) == b"\x00\xffbytes"
    assert read_text(httpserver.url_for("/data/t.txt")) == "héllo"
    assert read_json(httpserver.url_for("/data/d.json")) == {"k": [1, 2]}


def test_download_file_streams_to_a_new_file(httpserver: HTTPServer, tmp_path: Path) -> None:
    body = bytes(range(256)) * 20_000
    httpserver.expect_request("/big.bin").respond_with_data(body)
    download_file(httpserver.url_for("/big.bin"), tmp_path / "sub" / "big.bin")
    assert (tmp_path / "sub" / "big.bin").read_bytes() == body
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["big.bin"]


def test_exists(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/here", method="HEAD").respond_with_data(b"")
    httpserver.expect_request("/gone", method="HEAD").respond_with_data(b"", status=404)
    assert exists(httpserver.url_for("/here"))
    assert not exists(httpserver.url_for("/gone"))


def test_404_and_403(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/missing").respond_with_data(b"nope", status=404)
    httpserver.expect_request("/secret").respond_with_data(b"no", status=403)
    missing = httpserver.url_for("/missing")
    with pytest.raises(ObjectNotFound, match=f"^{missing}: HTTP 404"):
        read_bytes(missing)
    with pytest.raises(ObjectNotFound):
        download_file(missing, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    with pytest.raises(AccessDenied, match="HTTP 403"):
        read_bytes(httpserver.url_for("/secret"))
    with pytest.raises(AccessDenied):
        exists(httpserver.url_for("/secret"))


def test_server_errors_are_retried(httpserver: HTTPServer) -> None:
    for _ in range(2):
        httpserver.expect_oneshot_request("/flaky").respond_with_data(b"busy", status=503)
    httpserver.expect_request("/flaky").respond_with_data(b"finally")
    assert read_bytes(httpserver.url_for("/flaky")) == b"finally"
    assert len(httpserver.log) == 3


def test_persistent_server_error_is_a_storage_error(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAVI_HTTP_MAX_ATTEMPTS", "3")
    httpserver.expect_request("/down").respond_with_data(b"x", status=500)
    url = httpserver.url_for("/down")
    with pytest.raises(StorageError, match=f"^{url}: HTTP 500"):
        read_bytes(url)
    assert len(httpserver.log) == 3  # bounded by PAVI_HTTP_MAX_ATTEMPTS


def test_connection_refused_is_a_storage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAVI_HTTP_MAX_ATTEMPTS", "1")
    with pytest.raises(StorageError, match=r"^http://127\.0\.0\.1:9/x: HTTP request failed"):
        read_bytes("http://127.0.0.1:9/x")
