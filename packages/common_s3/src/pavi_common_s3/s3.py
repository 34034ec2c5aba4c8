"""S3 back end: single PUTs, s3transfer-managed multipart transfers, paginated listing."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

import botocore.exceptions
from boto3.s3.transfer import create_transfer_manager

from pavi_common_s3 import local, ranges
from pavi_common_s3.client import (
    BOTO_ERRORS,
    TRANSFER_CONFIG,
    body_attempts,
    get_client,
    translate,
)
from pavi_common_s3.errors import BucketNotFound, ObjectNotFound, StorageError
from pavi_common_s3.info import ObjectInfo
from pavi_common_s3.retry import read_with_retries
from pavi_common_s3.uri import Location, object_key


@contextlib.contextmanager
def translated(loc: Location) -> Iterator[None]:
    """Re-raise botocore/s3transfer errors as library errors; a bare 404 is checked for a bucket."""
    try:
        yield
    except BOTO_ERRORS as err:
        error = translate(err, loc.uri)
        if isinstance(error, ObjectNotFound) and not _bucket_exists(loc):
            error = BucketNotFound(loc.uri, "no such bucket")
        raise error from err


def _bucket_exists(loc: Location) -> bool:
    try:
        get_client().head_bucket(Bucket=loc.bucket)
    except BOTO_ERRORS:
        return False
    return True


#: A GET whose body breaks off after the answer started: sent again (botocore does not).
BODY_ERRORS = (
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ResponseStreamingError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectionClosedError,
    ConnectionError,
)


def read_bytes(loc: Location) -> bytes:
    """The whole object (a body that breaks off mid-transfer is read again)."""
    key = object_key(loc)

    def once() -> bytes:
        with translated(loc):
            response = get_client().get_object(Bucket=loc.bucket, Key=key)
        with contextlib.closing(response["Body"]) as body:
            return body.read()

    return read_with_retries(once, loc.uri, body_attempts(), BODY_ERRORS)


def read_range(loc: Location, start: int, end: int) -> bytes:
    """Bytes ``start..end`` (inclusive) with one ranged GetObject (the normal credentials).

    A store that ignores the range (no ``Content-Range``) is read up to ``end``, then closed.
    """
    key = object_key(loc)
    wanted = ranges.header(loc.uri, start, end)

    def once() -> bytes:
        with translated(loc):
            response = get_client().get_object(Bucket=loc.bucket, Key=key, Range=wanted)
        with contextlib.closing(response["Body"]) as body:
            if response.get("ContentRange"):
                first = ranges.content_range_start(loc.uri, response["ContentRange"])
                if first != start:
                    raise StorageError(
                        loc.uri, f"asked for {wanted}, got {response['ContentRange']}"
                    )
                return body.read()[: end - start + 1]
            ranges.notice_ignored(loc.uri)
            return ranges.slice_stream(ranges.iter_read(body.read), start, end)

    return read_with_retries(once, loc.uri, body_attempts(), BODY_ERRORS)


def stat(loc: Location) -> ObjectInfo:
    """Size, ETag and Last-Modified of the object (one HEAD)."""
    key = object_key(loc)
    with translated(loc):
        head = get_client().head_object(Bucket=loc.bucket, Key=key)
    modified = head.get("LastModified")
    return ObjectInfo(
        int(head.get("ContentLength", 0)),
        head.get("ETag"),
        modified.isoformat() if modified is not None else None,
    )


def _extra_args(tags: Mapping[str, str] | None) -> dict[str, str]:
    """PutObject/CreateMultipartUpload arguments carrying the object tags."""
    return {"Tagging": urlencode(dict(tags))} if tags else {}


def write_bytes(loc: Location, data: bytes, tags: Mapping[str, str] | None = None) -> None:
    """One PUT below the multipart threshold, else a multipart upload (aborted on failure)."""
    key = object_key(loc)
    if len(data) < TRANSFER_CONFIG.multipart_threshold:
        with translated(loc):
            if tags:
                get_client().put_object(
                    Bucket=loc.bucket, Key=key, Body=data, Tagging=urlencode(dict(tags))
                )
            else:
                get_client().put_object(Bucket=loc.bucket, Key=key, Body=data)
        return
    _upload(io.BytesIO(data), loc, key, tags)


def upload_file(source: str, loc: Location, tags: Mapping[str, str] | None = None) -> None:
    """Upload the local file ``source`` (multipart above the threshold)."""
    key = object_key(loc)
    with local.translated(source):
        if not local.exists(source, source):
            raise ObjectNotFound(source, "no such file to upload")
        with Path(source).open("rb") as stream:
            _upload(stream, loc, key, tags)


def _upload(stream: IO[bytes], loc: Location, key: str, tags: Mapping[str, str] | None) -> None:
    with (
        translated(loc),
        create_transfer_manager(get_client(), TRANSFER_CONFIG) as manager,
    ):
        manager.upload(stream, loc.bucket, key, extra_args=_extra_args(tags)).result()


def download_file(loc: Location, target: str) -> None:
    """Download to ``target`` (s3transfer writes a temporary sibling and renames it)."""
    key = object_key(loc)
    with local.translated(target):  # errors on the local side name the local path
        if Path(target).is_dir():
            raise StorageError(target, "is a folder, not a file")
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        with (
            translated(loc),
            create_transfer_manager(get_client(), TRANSFER_CONFIG) as manager,
        ):
            manager.download(loc.bucket, key, target).result()


def exists(loc: Location) -> bool:
    """Whether the object exists (a missing bucket raises ``BucketNotFound``)."""
    key = object_key(loc)
    try:
        with translated(loc):
            get_client().head_object(Bucket=loc.bucket, Key=key)
    except ObjectNotFound:
        return False
    return True


def delete(loc: Location) -> None:
    """Delete the object (S3 answers success when it does not exist)."""
    key = object_key(loc)
    with translated(loc):
        get_client().delete_object(Bucket=loc.bucket, Key=key)


def list_names(loc: Location) -> list[str]:
    """Names of the objects directly under the prefix (the prefix is a folder)."""
    prefix = loc.key if not loc.key or loc.key.endswith("/") else loc.key + "/"
    names: list[str] = []
    with translated(loc):
        paginator = get_client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=loc.bucket, Prefix=prefix, Delimiter="/"):
            names.extend(obj["Key"][len(prefix) :] for obj in page.get("Contents", []))
    return [name for name in names if name]
