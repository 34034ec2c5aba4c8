"""Parse the URIs the library accepts and join a prefix with a name (no I/O here; light imports)."""

from __future__ import annotations

import os
import re
from typing import Literal, NamedTuple

from pavi_common_s3.errors import StorageError, UnsupportedScheme

UriLike = str | os.PathLike[str]
Kind = Literal["local", "s3", "http"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class Location(NamedTuple):
    """A parsed URI: ``local`` (``path``), ``s3`` (``bucket``, ``key``) or ``http`` (``uri``)."""

    uri: str
    kind: Kind
    path: str = ""
    bucket: str = ""
    key: str = ""


def parse(uri: UriLike) -> Location:
    """Classify ``uri``; ``file://`` URIs and S3 keys are taken literally (no %-decoding)."""
    text = os.fspath(uri)
    if not isinstance(text, str):
        raise UnsupportedScheme(repr(text), "URIs must be text, not bytes")
    if not text:
        raise StorageError("''", "empty URI")
    match = _SCHEME.match(text)
    if match is None:
        return Location(text, "local", path=text)
    scheme = match.group(1).lower()
    rest = text[match.end() :]
    if scheme == "s3":
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise StorageError(text, "no bucket name in the s3:// URI")
        return Location(text, "s3", bucket=bucket, key=key)
    if scheme == "file":
        host, slash, path = rest.partition("/")
        if host not in ("", "localhost") or not slash:
            raise StorageError(text, "file:// URIs must be absolute (file:///path)")
        return Location(text, "local", path="/" + path)
    if scheme in ("http", "https"):
        return Location(text, "http")
    raise UnsupportedScheme(
        text, f"unsupported URI scheme {scheme!r} (use s3://, file:// or a path)"
    )


def object_key(loc: Location) -> str:
    """The key of an S3 object URI; refuses bucket-only and folder-like URIs."""
    if not loc.key or loc.key.endswith("/"):
        raise StorageError(loc.uri, "the s3:// URI names a bucket or folder, not an object")
    return loc.key


def join(prefix: UriLike, name: str) -> str:
    """``prefix`` + ``/`` + ``name``; ``name`` is relative and may not climb out (no ``..``)."""
    base = os.fspath(prefix)
    parse(base)  # reject unsupported schemes early
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StorageError(base, f"invalid name {name!r} to join (must be a relative, clean path)")
    if base.endswith("/"):
        return base + name
    return f"{base}/{name}"
