"""s3:// against a real S3 API server (moto in server mode)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pavi_common_s3 import (
    BucketNotFound,
    ObjectNotFound,
    StorageError,
    download_file,
    exists,
    list_uris,
    read_bytes,
    read_json,
    read_text,
    upload_file,
    write_bytes,
    write_text,
)
from pavi_common_s3.client import get_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MB = 1024 * 1024


def test_round_trips(s3_bucket: str, s3: S3Client) -> None:
    base = f"s3://{s3_bucket}/exec 1/work"
    write_bytes(f"{base}/a.bin", b"\x00binary\xff")
    write_text(f"{base}/é t.txt", "héllo\n")
    write_text(f"{base}/d.json", json.dumps({"k": [1, 2]}))
    assert read_bytes(f"{base}/a.bin") == b"\x00binary\xff"
    assert read_text(f"{base}/é t.txt") == "héllo\n"
    assert read_json(f"{base}/d.json") == {"k": [1, 2]}
    stored = s3.get_object(Bucket=s3_bucket, Key="exec 1/work/é t.txt")["Body"].read()
    assert stored == "héllo\n".encode()
    assert exists(f"{base}/a.bin")
    assert not exists(f"{base}/b.bin")


def test_upload_and_download_files(s3_bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(os.urandom(MB + 3))
    upload_file(source, f"s3://{s3_bucket}/f/in.bin")
    download_file(f"s3://{s3_bucket}/f/in.bin", tmp_path / "new" / "out.bin")
    assert (tmp_path / "new" / "out.bin").read_bytes() == source.read_bytes()
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["out.bin"]


def test_large_objects_go_through_multipart(s3_bucket: str, s3: S3Client, tmp_path: Path) -> None:
    data = os.urandom(20 * MB)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    upload_file(source, f"s3://{s3_bucket}/big/file.bin")
    write_bytes(f"s3://{s3_bucket}/big/bytes.bin", data)
    for key in ("big/file.bin", "big/bytes.bin"):
        etag = s3.head_object(Bucket=s3_bucket, Key=key)["ETag"].strip('"')
        assert etag.endswith("-3"), f"{key} was not a 3-part multipart upload: ETag {etag}"
    download_file(f"s3://{s3_bucket}/big/file.bin", tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == data
    assert read_bytes(f"s3://{s3_bucket}/big/bytes.bin") == data


def test_tags_on_single_put_multipart_and_file_uploads(
    s3_bucket: str, s3: S3Client, tmp_path: Path
) -> None:
    small = tmp_path / "small.txt"
    small.write_text("x")
    write_text(f"s3://{s3_bucket}/t/put.txt", "x", tags={"pavi:stage": "work"})
    write_bytes(f"s3://{s3_bucket}/t/multi.bin", os.urandom(20 * MB), tags={"pavi:stage": "work"})
    upload_file(small, f"s3://{s3_bucket}/t/file.txt", tags={"a": "b c", "pavi:stage": "work"})
    write_text(f"s3://{s3_bucket}/t/plain.txt", "x")

    def tags(key: str) -> dict[str, str]:
        tag_set = s3.get_object_tagging(Bucket=s3_bucket, Key=key)["TagSet"]
        return {t["Key"]: t["Value"] for t in tag_set}

    assert tags("t/put.txt") == {"pavi:stage": "work"}
    assert tags("t/multi.bin") == {"pavi:stage": "work"}
    assert tags("t/file.txt") == {"a": "b c", "pavi:stage": "work"}
    assert tags("t/plain.txt") == {}
    write_text(tmp_path / "local.txt", "x", tags={"pavi:stage": "work"})  # ignored for local files
    assert (tmp_path / "local.txt").read_text() == "x"


def test_listing_paginates_past_1000_keys(s3_bucket: str) -> None:
    names = [f"seq-{i:05d}.fa" for i in range(1005)]
    with ThreadPoolExecutor(4) as pool:  # also shares the one client across threads
        list(pool.map(lambda n: write_bytes(f"s3://{s3_bucket}/many/{n}", b">x\n"), names))
    assert list_uris(f"s3://{s3_bucket}/many/") == [f"s3://{s3_bucket}/many/{n}" for n in names]
    assert list_uris(f"s3://{s3_bucket}/many", "seq-0099?.fa") == [
        f"s3://{s3_bucket}/many/seq-0099{i}.fa" for i in range(10)
    ]


def test_listing_is_sorted_not_recursive_and_filtered(s3_bucket: str) -> None:
    names = ["b.fa", "B.fa", "a.fa", "á.fa", "item10.fa", "item2.fa", "a b.fa", "x.json"]
    for name in [*names, "sub/c.fa", "other.fa"]:
        write_text(f"s3://{s3_bucket}/w/{name}", name)
    write_text(f"s3://{s3_bucket}/w-sibling.fa", "not under w/")
    expected = ["B.fa", "a b.fa", "a.fa", "b.fa", "item10.fa", "item2.fa", "other.fa", "á.fa"]
    assert list_uris(f"s3://{s3_bucket}/w", "*.fa") == [f"s3://{s3_bucket}/w/{n}" for n in expected]
    assert list_uris(f"s3://{s3_bucket}/w/", "*.json") == [f"s3://{s3_bucket}/w/x.json"]
    assert list_uris(f"s3://{s3_bucket}/empty/") == []
    assert list_uris(f"s3://{s3_bucket}", "*.fa") == [f"s3://{s3_bucket}/w-sibling.fa"]


def test_keys_with_spaces_unicode_and_symbols(s3_bucket: str) -> None:
    names = ["a b.txt", "ünï cødé.txt", "plus+and&amp;%20.txt", "日本.txt"]
    for name in names:
        write_text(f"s3://{s3_bucket}/odd/{name}", name)
    listed = list_uris(f"s3://{s3_bucket}/odd/")
    assert listed == [f"s3://{s3_bucket}/odd/{n}" for n in sorted(names)]
    assert [read_text(uri) for uri in listed] == sorted(names)


def test_missing_object_and_bucket(s3_bucket: str, tmp_path: Path) -> None:
    missing = f"s3://{s3_bucket}/no/such.txt"
    with pytest.raises(ObjectNotFound, match=f"^{missing}: no such object$"):
        read_bytes(missing)
    with pytest.raises(ObjectNotFound, match=missing):
        download_file(missing, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert exists(missing) is False
    gone = "s3://no-such-bucket-pavi/x.txt"
    for call in (read_bytes, exists, lambda u: list_uris(u + "/"), lambda u: write_text(u, "x")):
        with pytest.raises(BucketNotFound, match=f"^{gone}/?: no such bucket$"):
            call(gone)
    with pytest.raises(BucketNotFound):
        download_file(gone, tmp_path / "y")


def test_download_to_a_bad_local_target_names_the_target(s3_bucket: str, tmp_path: Path) -> None:
    write_text(f"s3://{s3_bucket}/x.txt", "x")
    (tmp_path / "file").write_text("f")
    with pytest.raises(StorageError, match=f"^{tmp_path}: is a folder"):
        download_file(f"s3://{s3_bucket}/x.txt", tmp_path)
    with pytest.raises(StorageError, match=f"^{tmp_path}/file/x.txt: "):
        download_file(f"s3://{s3_bucket}/x.txt", tmp_path / "file" / "x.txt")
    assert (tmp_path / "file").read_text() == "f"


@pytest.mark.parametrize("uri", ["s3://bucket", "s3://bucket/", "s3://bucket/folder/"])
def test_object_operations_need_a_key(uri: str) -> None:
    with pytest.raises(StorageError, match="names a bucket or folder"):
        write_text(uri, "x")
    with pytest.raises(StorageError, match="names a bucket or folder"):
        read_bytes(uri)


def test_one_client_shared_by_threads_and_rebuilt_when_env_changes(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        clients.append(get_client())

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in clients}) == 1
    assert clients[0].meta.endpoint_url == aws_env
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert get_client() is not clients[0]
    assert get_client().meta.endpoint_url == "http://127.0.0.1:9"


def test_endpoint_override_for_s3_only(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env)
    assert get_client().meta.endpoint_url == aws_env


def test_retry_configuration_defaults_and_env(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    retries = get_client().meta.config.retries or {}  # type: ignore[attr-defined]
    assert retries.get("mode") == "standard"
    assert retries.get("total_max_attempts") == 5
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    retries = get_client().meta.config.retries or {}  # type: ignore[attr-defined]
    assert retries.get("mode") == "adaptive"
    assert retries.get("total_max_attempts") == 7


def test_import_does_not_load_boto3_or_urllib3() -> None:
    code = (
        "import sys, pavi_common_s3\n"
        "heavy = [m for m in ('boto3', 'botocore', 's3transfer', 'urllib3') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
