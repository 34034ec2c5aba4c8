"""Closed byte-range reads and stat: local files, HTTP (a logging server), S3 (moto + proxy)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pavi_common_s3 import (
    ObjectNotFound,
    StorageError,
    read_bytes,
    read_range,
    stat,
    write_bytes,
)

if TYPE_CHECKING:
    from conftest import ObjectServer

FaultProxy = Any  # the root conftest.py's fault-injecting proxy (tests cannot import it)

DATA = random.Random(1).randbytes(300_000)


@pytest.mark.parametrize("form", ["path", "file"])
def test_local_ranges(tmp_path: Path, form: str) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(DATA)
    uri = str(path) if form == "path" else path.as_uri()
    assert read_range(uri, 0, 0) == DATA[:1]
    assert read_range(uri, 1000, 70_000) == DATA[1000:70_001]
    assert read_range(uri, 299_990, 400_000) == DATA[299_990:]  # the file ends first
    info = stat(uri)
    assert info.size == len(DATA)
    assert info.etag is None
    assert info.last_modified == str(path.stat().st_mtime_ns)


@pytest.mark.parametrize(("start", "end"), [(-1, 5), (10, 9), (True, 4)])
def test_invalid_ranges_are_refused(tmp_path: Path, start: int, end: int) -> None:
    (tmp_path / "x").write_bytes(b"0123456789")
    with pytest.raises(StorageError, match="invalid byte range"):
        read_range(str(tmp_path / "x"), start, end)


def test_local_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound):
        read_range(str(tmp_path / "absent"), 0, 1)
    with pytest.raises(ObjectNotFound):
        stat(str(tmp_path / "absent"))


def test_http_sends_one_closed_range(object_server: ObjectServer) -> None:
    url = object_server.put("/g.bin", DATA)
    assert read_range(url, 5, 65_540) == DATA[5:65_541]
    assert read_range(url, 299_000, 299_999) == DATA[299_000:]
    assert object_server.log == [
        ("GET", "/g.bin", "bytes=5-65540", 206),
        ("GET", "/g.bin", "bytes=299000-299999", 206),
    ]
    info = stat(url)
    assert (info.size, info.etag) == (len(DATA), '"v1"')
    assert info.last_modified == "Tue, 01 Dec 2026 00:00:00 GMT"


def test_http_server_ignoring_ranges_is_read_up_to_the_end_byte(
    object_server: ObjectServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 200 answer: only the stream up to the last wanted byte is read, then hung up on."""
    big = random.Random(2).randbytes(32 * 1024 * 1024)
    url = object_server.put("/whole.bin", big, honours_ranges=False)
    capsys.readouterr()
    assert read_range(url, 1000, 2000) == big[1000:2001]
    assert read_range(url, 70_000, 80_000) == big[70_000:80_001]
    assert [status for *_, status in object_server.log] == [200, 200]
    assert object_server.written < len(big) // 2  # hung up early: not the whole object
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [r["event"] for r in records] == ["range_ignored"]  # once per server
    assert records[0]["server"] == object_server.url


def test_http_body_cut_mid_transfer_is_retried(object_server: ObjectServer) -> None:
    url = object_server.put("/cut.bin", DATA, cut_times=2)
    assert read_range(url, 100, 250_000) == DATA[100:250_001]
    assert len(object_server.log) == 3
    object_server.put("/cut2.bin", DATA, cut_times=1)
    assert read_bytes(object_server.url + "/cut2.bin") == DATA


def test_http_body_cut_every_time_fails_after_bounded_attempts(
    object_server: ObjectServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAVI_HTTP_MAX_ATTEMPTS", "3")
    url = object_server.put("/cut.bin", DATA, cut_times=99)
    with pytest.raises(StorageError, match=r"broke off mid-transfer.*after 3 attempts"):
        read_range(url, 0, 200_000)
    assert len(object_server.log) == 3


def test_http_missing_object(object_server: ObjectServer) -> None:
    with pytest.raises(ObjectNotFound):
        read_range(object_server.url + "/absent", 0, 10)


def test_s3_ranged_get(fault_proxy: FaultProxy, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/g/genome.fa.gz"
    write_bytes(uri, DATA)
    assert read_range(uri, 7, 70_006) == DATA[7:70_007]
    assert read_range(uri, 299_999, 310_000) == DATA[299_999:]
    gets = [r for r in fault_proxy.ranges if r[0] == "GET" and "genome.fa.gz" in r[1]]
    assert [r[2] for r in gets] == ["bytes=7-70006", "bytes=299999-310000"]
    assert all("X-Amz-" not in path for _, path, _ in gets)  # signed headers, no presigning
    info = stat(uri)
    assert info.size == len(DATA)
    assert info.etag
    assert info.last_modified


def test_s3_body_cut_mid_transfer_is_retried(fault_proxy: FaultProxy, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/cut.bin"
    write_bytes(uri, DATA)
    fault_proxy.cut("GET", r"/cut\.bin", times=2)
    assert read_range(uri, 10, 200_000) == DATA[10:200_001]
    assert fault_proxy.count("GET", r"/cut\.bin") == 3
    fault_proxy.cut("GET", r"/cut\.bin", times=1)
    assert read_bytes(uri) == DATA


def test_s3_body_cut_every_time_is_bounded(
    fault_proxy: FaultProxy, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"s3://{s3_bucket}/cut.bin"
    write_bytes(uri, DATA)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    fault_proxy.cut("GET", r"/cut\.bin")
    with pytest.raises(StorageError, match=rf"^{uri}: the body broke off.*after 2 attempts"):
        read_range(uri, 0, 100_000)
    assert fault_proxy.count("GET", r"/cut\.bin") == 2


def test_s3_range_past_the_end_and_missing(s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/small.bin"
    write_bytes(uri, b"0123456789")
    with pytest.raises(StorageError, match="InvalidRange"):
        read_range(uri, 50, 60)
    with pytest.raises(ObjectNotFound):
        read_range(f"s3://{s3_bucket}/absent", 0, 1)
