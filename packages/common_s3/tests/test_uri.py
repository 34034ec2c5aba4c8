"""URI parsing and joining (no I/O)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pavi_common_s3 import StorageError, UnsupportedScheme, join
from pavi_common_s3.uri import parse


@pytest.mark.parametrize(
    ("uri", "kind", "path", "bucket", "key"),
    [
        ("s3://bucket/a/b c.txt", "s3", "", "bucket", "a/b c.txt"),
        ("S3://bucket", "s3", "", "bucket", ""),
        ("file:///tmp/x y", "local", "/tmp/x y", "", ""),
        ("file://localhost/tmp/x", "local", "/tmp/x", "", ""),
        ("relative/dir/file", "local", "relative/dir/file", "", ""),
        ("/abs/a:b", "local", "/abs/a:b", "", ""),
        ("https://example.org/a?b=1", "http", "", "", ""),
        ("http://example.org/a", "http", "", "", ""),
    ],
)
def test_parse(uri: str, kind: str, path: str, bucket: str, key: str) -> None:
    loc = parse(uri)
    assert (loc.kind, loc.path, loc.bucket, loc.key) == (kind, path, bucket, key)


def test_parse_accepts_paths(tmp_path: Path) -> None:
    assert parse(tmp_path / "x").path == str(tmp_path / "x")


@pytest.mark.parametrize("uri", ["ftp://host/x", "gs://bucket/key", "hdfs://nn/x"])
def test_unsupported_scheme_names_the_uri(uri: str) -> None:
    with pytest.raises(UnsupportedScheme, match=f"^{uri}: unsupported URI scheme"):
        parse(uri)


@pytest.mark.parametrize("uri", ["", "s3://", "s3:///key", "file://host/x", "file://"])
def test_malformed_uris(uri: str) -> None:
    with pytest.raises(StorageError):
        parse(uri)


@pytest.mark.parametrize(
    ("prefix", "name", "expected"),
    [
        ("s3://b/work/", "x.fa", "s3://b/work/x.fa"),
        ("s3://b/work", "x.fa", "s3://b/work/x.fa"),
        ("s3://b", "x.fa", "s3://b/x.fa"),
        ("file:///d/work/", "sub/x.fa", "file:///d/work/sub/x.fa"),
        ("d/work", "x y é.fa", "d/work/x y é.fa"),
        ("https://h/p/", "x", "https://h/p/x"),
    ],
)
def test_join(prefix: str, name: str, expected: str) -> None:
    assert join(prefix, name) == expected


@pytest.mark.parametrize("name", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./x", "a/"])
def test_join_refuses_names_that_escape_the_prefix(name: str) -> None:
    with pytest.raises(StorageError, match=r"^s3://b/work/: invalid name"):
        join("s3://b/work/", name)
