"""The request model: a whole request checked before anything runs, with every problem listed.

A request is a JSON array of entries (docs/request.md, "Shape of a request"); each entry is
validated by ``pavi_seq_retrieval.entry.Entry`` (the model the retrieval job itself uses), then
the request adds what only the whole request can check: the array's size, unique
``unique_entry_id``s and the ``fasta_file_url`` schemes allowed where the request runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Field, TypeAdapter, ValidationError

DEFAULT_MAX_ENTRIES: Final = 100
Target = Literal["cloud", "local"]

#: URL schemes each target accepts for ``fasta_file_url`` ("" is a plain local path).
ALLOWED_SCHEMES: Final[dict[str, tuple[str, ...]]] = {
    "cloud": ("https", "s3"),
    "local": ("https", "http", "s3", "file", ""),
}
#: Largest request a cloud run accepts: Step Functions caps state payloads at 256 KiB, and
#: the first state adds the execution's prefixes (a few hundred bytes) to the request.
CLOUD_MAX_BYTES: Final = 256 * 1024 - 2048
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class RequestError(ValueError):
    """A request that cannot run; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Request:
    """A validated request: the entries as the jobs receive them (JSON objects)."""

    entries: tuple[dict[str, Any], ...]

    @property
    def entry_ids(self) -> list[str]:
        """The entries' ``unique_entry_id``s in request order."""
        return [str(entry["unique_entry_id"]) for entry in self.entries]

    def to_json(self) -> str:
        """The request as compact JSON (what the state machine receives)."""
        return json.dumps(list(self.entries), separators=(",", ":"))


def validate_request(
    data: Any,
    *,
    target: Target,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    base_dir: Path | None = None,
) -> Request:
    """Check a parsed request; raise RequestError listing every problem.

    For ``target="local"``, a ``fasta_file_url`` that is a plain path is made absolute
    (relative paths against ``base_dir``, the request file's folder) and written as ``file://``.
    """
    if not isinstance(data, list):
        raise RequestError([f"request: must be a JSON array of entries, not {_json_type(data)}"])
    problems: list[str] = []
    if not data:
        problems.append("request: must hold at least one entry")
    if len(data) > max_entries:
        problems.append(f"request: holds {len(data)} entries, at most {max_entries} are allowed")
    entries: list[dict[str, Any]] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(data):
        label = _label(index, raw)
        if not isinstance(raw, dict):
            problems.append(f"{label}: must be a JSON object, not {_json_type(raw)}")
            continue
        entry = dict(raw)
        if target == "local":
            entry = _absolute_local_url(entry, base_dir)
        problems += [f"{label}: {p}" for p in entry_problems(entry, target)]
        entry_id = entry.get("unique_entry_id")
        if isinstance(entry_id, str):
            if entry_id in first_index:
                problems.append(
                    f"{label}: unique_entry_id: duplicate of entry {first_index[entry_id]}"
                )
            else:
                first_index[entry_id] = index
        entries.append(entry)
    request = Request(tuple(entries))
    if target == "cloud" and not problems:
        size = len(request.to_json().encode())
        if size > CLOUD_MAX_BYTES:
            problems.append(
                f"request: {size} bytes of JSON, at most {CLOUD_MAX_BYTES} fit in an execution"
            )
    if problems:
        raise RequestError(problems)
    return request


def load_request(path: Path, *, target: Target, max_entries: int = DEFAULT_MAX_ENTRIES) -> Request:
    """Read and validate a request file (relative local paths resolve against its folder)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise RequestError([f"request: cannot read {path}: {_reason(err)}"]) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RequestError([f"request: {path} is not valid JSON: {err}"]) from err
    return validate_request(
        data, target=target, max_entries=max_entries, base_dir=path.resolve().parent
    )


def entry_problems(entry: dict[str, Any], target: Target) -> list[str]:
    """``field: problem`` lines for one entry (the Entry model's, then the URL scheme's)."""
    from pavi_seq_retrieval.entry import (  # noqa: PLC0415 (the job package's model)
        Entry,
        format_validation_errors,
    )

    problems: list[str] = []
    try:
        Entry.model_validate(entry)
    except ValidationError as err:
        problems += format_validation_errors(err)
    url = entry.get("fasta_file_url")
    if isinstance(url, str) and url:
        match = _SCHEME.match(url)
        scheme = match.group(1).lower() if match else ""
        allowed = ALLOWED_SCHEMES[target]
        if scheme not in allowed:
            shown = ", ".join(f"{s}://" for s in allowed if s)
            what = f"scheme {scheme}://" if scheme else "a local path"
            problem = f"fasta_file_url: {what} is not allowed in a {target} run (use {shown})"
            if problem not in problems:
                problems.append(problem)
    return problems


def request_schema(max_entries: int = DEFAULT_MAX_ENTRIES) -> dict[str, Any]:
    """The request's JSON Schema (an array of 1..max_entries entries)."""
    from pavi_seq_retrieval.entry import Entry  # noqa: PLC0415

    adapter: TypeAdapter[Any] = TypeAdapter(
        Annotated[list[Entry], Field(min_length=1, max_length=max_entries)]
    )
    schema = adapter.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "PAVI pipeline request"
    schema["description"] = (
        "A JSON array of entries; each entry describes one transcript to translate "
        "(and optionally mutate). unique_entry_id must be unique within the request."
    )
    return schema


def _absolute_local_url(entry: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    url = entry.get("fasta_file_url")
    if not isinstance(url, str) or not url or _SCHEME.match(url):
        return entry
    path = Path(url)
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return {**entry, "fasta_file_url": "file://" + str(path.resolve())}


def _label(index: int, raw: Any) -> str:
    entry_id = raw.get("unique_entry_id") if isinstance(raw, dict) else None
    if isinstance(entry_id, str) and entry_id:
        return f"entry {index} ({entry_id})"
    return f"entry {index}"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _reason(err: Exception) -> str:
    return err.strerror if isinstance(err, OSError) and err.strerror else str(err)
