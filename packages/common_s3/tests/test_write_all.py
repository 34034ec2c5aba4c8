"""``write_all``: a set of files appears together or not at all, locally and on S3."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pavi_common_s3 import (
    AccessDenied,
    Output,
    StorageError,
    delete,
    exists,
    write_all,
    write_text,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

FaultProxy = Any  # the root conftest.py's fault-injecting proxy (tests cannot import it)


def test_local_all_written_in_order(tmp_path: Path) -> None:
    outputs = [Output(tmp_path / "a.json", b"{}"), Output(tmp_path / "b.fa", b">x\nM\n")]
    assert write_all(outputs) == [str(tmp_path / "a.json"), str(tmp_path / "b.fa")]
    assert (tmp_path / "b.fa").read_bytes() == b">x\nM\n"


def test_local_failed_second_write_removes_the_first(tmp_path: Path) -> None:
    (tmp_path / "b.fa").mkdir()  # the second name cannot be written
    outputs = [Output(tmp_path / "a.json", b"{}"), Output(tmp_path / "b.fa", b">x\nM\n")]
    with pytest.raises(StorageError, match=r"b\.fa: is a folder, not a file"):
        write_all(outputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.fa"]  # a.json is gone


def test_delete_local(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    write_text(target, "x")
    delete(target)
    assert not target.exists()
    delete(target)  # absent: nothing to do
    with pytest.raises(StorageError, match="is a folder"):
        delete(tmp_path)


def test_s3_failed_second_write_removes_the_first(
    fault_proxy: FaultProxy, s3_bucket: str, s3: S3Client
) -> None:
    fault_proxy.fail("PUT", r"/w/b\.fa", 403, "AccessDenied")
    first, second = f"s3://{s3_bucket}/w/a.json", f"s3://{s3_bucket}/w/b.fa"
    with pytest.raises(AccessDenied, match=r"b\.fa"):
        write_all([Output(first, b"{}", {"pavi:stage": "work"}), Output(second, b">x\n")])
    assert fault_proxy.count("PUT", r"/w/a\.json") == 1  # it was written ...
    assert fault_proxy.count("DELETE", r"/w/a\.json") == 1  # ... and removed
    assert s3.list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []
    assert not exists(first)


def test_s3_all_written_with_tags(fault_proxy: FaultProxy, s3_bucket: str, s3: S3Client) -> None:
    first, second = f"s3://{s3_bucket}/w/a.json", f"s3://{s3_bucket}/w/b.fa"
    write_all([Output(first, b"{}", {"pavi:stage": "work"}), Output(second, b">x\n")])
    tags = s3.get_object_tagging(Bucket=s3_bucket, Key="w/a.json")["TagSet"]
    assert tags == [{"Key": "pavi:stage", "Value": "work"}]
    assert s3.get_object(Bucket=s3_bucket, Key="w/b.fa")["Body"].read() == b">x\n"
    assert fault_proxy.count("DELETE") == 0
