"""Fault injection through a proxy in front of moto: retries, bounded failure, no partial data."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pavi_common_s3 import (
    AccessDenied,
    ObjectNotFound,
    StorageError,
    download_file,
    exists,
    list_uris,
    read_bytes,
    upload_file,
    write_bytes,
    write_text,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

FaultProxy = Any  # the root conftest.py's fault-injecting proxy (tests cannot import it)

MB = 1024 * 1024


def _keys(s3: S3Client, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_put_retried_after_slowdown(fault_proxy: FaultProxy, s3_bucket: str, s3: S3Client) -> None:
    fault_proxy.fail("PUT", r"/w/a\.txt", 503, "SlowDown", times=2)
    write_text(f"s3://{s3_bucket}/w/a.txt", "made it")
    assert fault_proxy.count("PUT", r"/w/a\.txt") == 3
    assert s3.get_object(Bucket=s3_bucket, Key="w/a.txt")["Body"].read() == b"made it"


def test_get_retried_after_internal_errors(fault_proxy: FaultProxy, s3_bucket: str) -> None:
    write_text(f"s3://{s3_bucket}/r.txt", "content")
    fault_proxy.fail("GET", r"/r\.txt", 500, "InternalError", times=2)
    assert read_bytes(f"s3://{s3_bucket}/r.txt") == b"content"
    assert fault_proxy.count("GET", r"/r\.txt") == 3


def test_list_retried(fault_proxy: FaultProxy, s3_bucket: str) -> None:
    write_text(f"s3://{s3_bucket}/d/x.fa", "x")
    fault_proxy.fail("GET", r"list-type=2", 503, "SlowDown", times=1)
    assert list_uris(f"s3://{s3_bucket}/d/") == [f"s3://{s3_bucket}/d/x.fa"]


def test_persistent_put_failure_is_bounded_and_leaves_nothing(
    fault_proxy: FaultProxy, s3_bucket: str, s3: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    fault_proxy.fail("PUT", r"/w/b\.txt", 503, "SlowDown")
    uri = f"s3://{s3_bucket}/w/b.txt"
    with pytest.raises(StorageError, match=f"^{uri}: S3 error SlowDown: .*after 3 attempts"):
        write_text(uri, "never")
    assert fault_proxy.count("PUT", r"/w/b\.txt") == 3
    assert _keys(s3, s3_bucket) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", r"partNumber=2"), ("POST", r"uploadId=")],
    ids=["upload-part", "complete-upload"],
)
def test_failed_multipart_upload_is_aborted(
    fault_proxy: FaultProxy,
    s3_bucket: str,
    s3: S3Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(20 * MB))
    fault_proxy.fail(method, path, 500, "InternalError")
    uri = f"s3://{s3_bucket}/big/file.bin"
    with pytest.raises(StorageError, match=f"^{uri}: S3 error InternalError"):
        upload_file(source, uri)
    assert fault_proxy.count("POST", r"\?uploads") == 1  # it was a multipart upload
    assert fault_proxy.count("DELETE", r"uploadId=") == 1  # ... and it was aborted
    assert s3.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert _keys(s3, s3_bucket) == []


def test_failed_download_leaves_no_partial_file(
    fault_proxy: FaultProxy, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    write_bytes(f"s3://{s3_bucket}/big.bin", os.urandom(20 * MB))
    fault_proxy.fail("GET", r"/big\.bin", 500, "InternalError")
    with pytest.raises(StorageError, match="InternalError"):
        download_file(f"s3://{s3_bucket}/big.bin", tmp_path / "out" / "big.bin")
    assert list((tmp_path / "out").iterdir()) == []


def test_access_denied_everywhere(fault_proxy: FaultProxy, s3_bucket: str, tmp_path: Path) -> None:
    fault_proxy.fail("*", "", 403, "AccessDenied")
    uri = f"s3://{s3_bucket}/secret.txt"
    (tmp_path / "f").write_text("x")
    calls: list[Callable[[], object]] = [
        lambda: read_bytes(uri),
        lambda: write_text(uri, "x"),
        lambda: exists(uri),
        lambda: list_uris(f"s3://{s3_bucket}/"),
        lambda: upload_file(tmp_path / "f", uri),
        lambda: download_file(uri, tmp_path / "g"),
    ]
    for call in calls:
        with pytest.raises(AccessDenied, match=r"s3://.*: access denied \((AccessDenied|403)\)"):
            call()
    assert not (tmp_path / "g").exists()


def test_missing_credentials_are_access_denied(
    s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    with pytest.raises(AccessDenied, match="no usable AWS credentials"):
        read_bytes(f"s3://{s3_bucket}/x")


def test_unreachable_endpoint_is_a_storage_error(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(StorageError, match=r"^s3://b-x/k: cannot connect to http://127\.0\.0\.1:9"):
        read_bytes("s3://b-x/k")


def test_not_found_through_the_proxy_is_still_not_found(
    fault_proxy: FaultProxy, s3_bucket: str
) -> None:
    with pytest.raises(ObjectNotFound):
        read_bytes(f"s3://{s3_bucket}/none")
    assert fault_proxy.count("GET", "/none") == 1  # 404s are not retried


def test_list_body_cut_mid_transfer_is_retried(fault_proxy: FaultProxy, s3_bucket: str) -> None:
    """A listing's body that breaks off is sent again too (botocore reads it inside its
    retries), so every kind of read the jobs make survives a broken body."""
    write_text(f"s3://{s3_bucket}/d/x.fa", "x")
    fault_proxy.cut("GET", r"list-type=2", times=2)
    assert list_uris(f"s3://{s3_bucket}/d/") == [f"s3://{s3_bucket}/d/x.fa"]
    assert fault_proxy.count("GET", r"list-type=2") == 3
