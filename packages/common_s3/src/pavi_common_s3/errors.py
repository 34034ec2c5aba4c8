"""Exceptions of pavi_common_s3: every failure of the public API is one of these."""

from __future__ import annotations


class StorageError(Exception):
    """Base class; the message always names the URI concerned."""

    def __init__(self, uri: str, problem: str) -> None:
        super().__init__(f"{uri}: {problem}")
        self.uri = uri
        self.problem = problem


class ObjectNotFound(StorageError):  # noqa: N818 (public name, kept)
    """The object, file or URL does not exist."""


class BucketNotFound(StorageError):  # noqa: N818 (public name, kept)
    """The S3 bucket does not exist."""


class AccessDenied(StorageError):  # noqa: N818 (public name, kept)
    """Credentials are missing or do not allow the operation."""


class UnsupportedScheme(StorageError):  # noqa: N818 (public name, kept)
    """The URI scheme is not supported for this operation (e.g. writing to https://)."""
