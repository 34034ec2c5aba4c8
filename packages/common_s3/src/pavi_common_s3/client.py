"""The process's one S3 client (lazy, thread-safe) and the translation of botocore errors.

Everything is configured the standard AWS way: credentials and region from the default chain,
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` for another S3 API server, and botocore's retry
configuration (``AWS_RETRY_MODE``, ``AWS_MAX_ATTEMPTS``; otherwise standard mode with
``DEFAULT_MAX_ATTEMPTS`` attempts).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
from boto3.s3.transfer import TransferConfig
from s3transfer.exceptions import RetriesExceededError

from pavi_common_s3.errors import AccessDenied, BucketNotFound, ObjectNotFound, StorageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEFAULT_MAX_ATTEMPTS = 5
MB = 1024 * 1024
TRANSFER_CONFIG = TransferConfig(
    multipart_threshold=8 * MB,
    multipart_chunksize=8 * MB,
    max_concurrency=8,
    use_threads=True,
)

# Environment variables that change which client we would build: a change drops the cache.
_ENV_KEYS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)
_lock = threading.Lock()
_cached: tuple[tuple[str | None, ...], S3Client] | None = None

# ClientError codes, grouped by the exception they become.
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_DENIED = {
    "AccessDenied",
    "403",
    "Forbidden",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
}


def get_client() -> S3Client:
    """The shared S3 client, created on first use (and again if the AWS environment changed)."""
    global _cached  # noqa: PLW0603 (the one per-process cache)
    fingerprint = tuple(os.environ.get(k) for k in _ENV_KEYS)
    with _lock:
        if _cached is None or _cached[0] != fingerprint:
            _cached = (fingerprint, _new_client())
        return _cached[1]


def body_attempts() -> int:
    """Attempts per GET whose body breaks off: ``AWS_MAX_ATTEMPTS``, else the default (5)."""
    raw = os.environ.get("AWS_MAX_ATTEMPTS", "")
    try:
        return max(1, int(raw)) if raw else DEFAULT_MAX_ATTEMPTS
    except ValueError:
        return DEFAULT_MAX_ATTEMPTS


def reset_client() -> None:
    """Drop the cached client (tests that change the endpoint call this)."""
    global _cached  # noqa: PLW0603
    with _lock:
        _cached = None


def _new_client() -> S3Client:
    core = botocore.session.get_session()
    retries: dict[str, int] = {}
    if core.get_config_variable("max_attempts") is None:
        retries["total_max_attempts"] = DEFAULT_MAX_ATTEMPTS
    # retry_mode comes from AWS_RETRY_MODE / the profile; botocore's default is "standard".
    # SigV4 everywhere (SigV2 is refused by newer regions).
    config = botocore.config.Config(
        retries=retries,  # type: ignore[arg-type]
        signature_version="s3v4",
        max_pool_connections=16,
    )
    return boto3.session.Session(botocore_session=core).client("s3", config=config)


def translate(err: Exception, uri: str) -> StorageError:
    """The library exception for a botocore/s3transfer failure on ``uri``."""
    if isinstance(err, botocore.exceptions.ClientError):
        return _client_error(err, uri)
    if isinstance(
        err, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError
    ):
        return AccessDenied(uri, "no usable AWS credentials found in the standard chain")
    if isinstance(err, botocore.exceptions.EndpointConnectionError):
        endpoint = err.kwargs.get("endpoint_url", "the S3 endpoint")
        return StorageError(uri, f"cannot connect to {endpoint}")
    if isinstance(err, RetriesExceededError):
        return StorageError(uri, f"download failed after retries: {err.last_exception}")
    return StorageError(uri, f"S3 request failed: {err}")


def _client_error(err: botocore.exceptions.ClientError, uri: str) -> StorageError:
    error = err.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")) or code
    meta = err.response.get("ResponseMetadata", {})
    attempts = int(meta.get("RetryAttempts", 0)) + 1
    if code in _NOT_FOUND:
        return ObjectNotFound(uri, "no such object")
    if code == "NoSuchBucket":
        return BucketNotFound(uri, "no such bucket")
    if code in _DENIED:
        return AccessDenied(uri, f"access denied ({code})")
    tried = f" (gave up after {attempts} attempts)" if attempts > 1 else ""
    return StorageError(uri, f"S3 error {code}: {message}{tried}")


BOTO_ERRORS = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    RetriesExceededError,
)
