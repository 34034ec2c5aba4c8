"""A request checked for where it runs: the contract's rules plus this target's.

The entry and request models are :mod:`pavi_contracts.request`'s; this module adds what depends
on the target: the ``fasta_file_url`` schemes allowed (parsed by :mod:`pavi_common_s3.uri`, the
one scheme authority), local paths made absolute, and the cloud's payload limit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from pavi_common_s3.errors import StorageError, UnsupportedScheme
from pavi_common_s3.uri import parse
from pavi_contracts.files import OutputType
from pavi_contracts.request import (
    DEFAULT_MAX_ENTRIES,
    Request,
    RequestError,
)
from pavi_contracts.request_input import input_schema, validate_input

from pavi_workflow.asl import MAX_ENTRIES

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "Request",
    "RequestError",
    "load_request",
    "request_schema",
    "validate_request",
]

Target = Literal["cloud", "local"]
#: ``fasta_file_url`` schemes per target (``""``: a plain local path).
ALLOWED_SCHEMES: Final[dict[Target, tuple[str, ...]]] = {
    "cloud": ("https", "s3"),
    "local": ("https", "http", "s3", "file", ""),
}
#: Largest request a cloud run accepts: Step Functions caps state payloads at 256 KiB, and
#: the first state adds the execution's prefixes (a few hundred bytes) to the request.
CLOUD_MAX_BYTES: Final = 256 * 1024 - 2048
#: Most entries a cloud run takes (the state machine plans chunks with ``States.ArrayRange``).
CLOUD_MAX_ENTRIES: Final = MAX_ENTRIES
#: The request's JSON Schema: either form (``pavi schema`` prints it).
request_schema = input_schema
#: Largest request file read (a request of 100 entries is usually well under 1 MiB).
MAX_REQUEST_FILE_BYTES: Final = 32 * 1024 * 1024


def validate_request(
    data: Any,
    *,
    target: Target,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    base_dir: Path | None = None,
    seq_type: OutputType | None = None,
) -> Request:
    """Check a parsed request of either form (the entries array, or ``{"entries": [...],
    "seq_type": ...}``); raise RequestError listing every problem. ``seq_type``, when given,
    overrides the request's own.

    For ``target="local"``, a ``fasta_file_url`` that is a plain path is made absolute
    (relative paths against ``base_dir``, the request file's folder) and written as ``file://``.
    """
    if target == "cloud":
        max_entries = min(max_entries, CLOUD_MAX_ENTRIES)
    if target == "local" and isinstance(data, list):
        data = [_absolute_local_url(raw, base_dir) for raw in data]
    if target == "local" and isinstance(data, dict) and isinstance(data.get("entries"), list):
        data = {**data, "entries": [_absolute_local_url(raw, base_dir) for raw in data["entries"]]}
    request = validate_input(
        data,
        max_entries=max_entries,
        entry_checks=[lambda entry: scheme_problems(entry, target)],
        seq_type=seq_type,
    )
    if target == "cloud":
        size = len(request.to_json().encode())
        if size > CLOUD_MAX_BYTES:
            raise RequestError(
                [f"request: {size} bytes of JSON, at most {CLOUD_MAX_BYTES} fit in an execution"]
            )
    return request


def load_request(
    path: Path,
    *,
    target: Target,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    seq_type: OutputType | None = None,
) -> Request:
    """Read and validate a request file (relative local paths resolve against its folder)."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_REQUEST_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise RequestError([f"request: cannot read {path}: {_reason(err)}"]) from err
    if len(raw) > MAX_REQUEST_FILE_BYTES:
        raise RequestError(
            [f"request: {path} is larger than {MAX_REQUEST_FILE_BYTES // 2**20} MiB, refused"]
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RequestError([f"request: {path} is not valid JSON: {err}"]) from err
    except RecursionError:
        raise RequestError([f"request: {path} is nested too deeply to read"]) from None
    return validate_request(
        data,
        target=target,
        max_entries=max_entries,
        base_dir=path.resolve().parent,
        seq_type=seq_type,
    )


def url_scheme(url: str) -> str:
    """``s3``, ``https``, ``http``, ``file`` or ``""`` (a path); StorageError if unsupported."""
    loc = parse(url)
    if loc.kind == "s3":
        return "s3"
    return url.partition("://")[0].lower() if "://" in url else ""


def scheme_problems(entry: dict[str, Any], target: Target) -> list[str]:
    """``fasta_file_url: …`` when the URL's scheme is not allowed for ``target``."""
    url = entry.get("fasta_file_url")
    if not isinstance(url, str) or not url:
        return []
    allowed = ALLOWED_SCHEMES[target]
    shown = ", ".join(f"{s}://" for s in allowed if s)
    try:
        scheme = url_scheme(url)
    except UnsupportedScheme:
        scheme = url.partition("://")[0].lower()
    except StorageError as err:
        return [f"fasta_file_url: {err.problem}"]
    if scheme in allowed:
        return []
    what = f"scheme {scheme}://" if scheme else "a local path"
    return [f"fasta_file_url: {what} is not allowed in a {target} run (use {shown})"]


def _absolute_local_url(raw: Any, base_dir: Path | None) -> Any:
    if not isinstance(raw, dict):
        return raw
    url = raw.get("fasta_file_url")
    if not isinstance(url, str) or not url or "://" in url:
        return raw
    path = Path(url)
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return {**raw, "fasta_file_url": "file://" + str(path.resolve())}


def _reason(err: Exception) -> str:
    return err.strerror if isinstance(err, OSError) and err.strerror else str(err)
