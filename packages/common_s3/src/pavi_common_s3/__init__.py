"""The one S3 / file / HTTP I/O library the PAVI pipeline jobs share.

Importing it is cheap: boto3 is imported on the first S3 call, urllib3 on the first HTTP call.
"""

from __future__ import annotations

from typing import Any

from pavi_common_s3.api import (
    Output,
    delete,
    download_file,
    exists,
    join,
    list_uris,
    read_bytes,
    read_json,
    read_range,
    read_text,
    reset_client,
    stat,
    upload_file,
    write_all,
    write_bytes,
    write_text,
)
from pavi_common_s3.errors import (
    AccessDenied,
    BucketNotFound,
    ObjectNotFound,
    StorageError,
    UnsupportedScheme,
)
from pavi_common_s3.info import ObjectInfo

__all__ = [
    "AccessDenied",
    "BucketNotFound",
    "ObjectInfo",
    "ObjectNotFound",
    "Output",
    "StorageError",
    "UnsupportedScheme",
    "__version__",
    "delete",
    "download_file",
    "exists",
    "join",
    "list_uris",
    "read_bytes",
    "read_json",
    "read_range",
    "read_text",
    "reset_client",
    "stat",
    "upload_file",
    "write_all",
    "write_bytes",
    "write_text",
]


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed metadata on first use (the import is slow)."""
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("pavi-common-s3")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
