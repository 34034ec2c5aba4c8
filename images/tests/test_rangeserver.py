"""The test HTTP server answers byte ranges the way htslib's libcurl backend expects."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pavi_images.rangeserver import RequestLog, serve


def _get(url: str, byte_range: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Range": byte_range} if byte_range else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, RequestLog]]:
    (tmp_path / "data.bin").write_bytes(bytes(range(256)) * 4)
    with serve(tmp_path) as (url, log):
        yield url, log


@pytest.mark.parametrize(
    ("byte_range", "start", "end"),
    [
        ("bytes=10-19", 10, 19),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-4", 1020, 1023),
        ("bytes=1020-5000", 1020, 1023),
    ],
)
def test_range_answers_206(
    served: tuple[str, RequestLog], byte_range: str, start: int, end: int
) -> None:
    url, log = served
    status, headers, body = _get(f"{url}/data.bin", byte_range)
    assert status == 206
    assert headers["Content-Range"] == f"bytes {start}-{end}/1024"
    assert body == (bytes(range(256)) * 4)[start : end + 1]
    assert log.entries == [("GET", "/data.bin", byte_range, 206)]


def test_whole_file_and_missing(served: tuple[str, RequestLog]) -> None:
    url, log = served
    status, headers, body = _get(f"{url}/data.bin")
    assert (status, len(body), headers["Accept-Ranges"]) == (200, 1024, "bytes")
    assert _get(f"{url}/nope.bin")[0] == 404
    assert _get(f"{url}/data.bin", "bytes=2000-")[0] == 416
    assert [entry[3] for entry in log.entries] == [200, 404, 416]
