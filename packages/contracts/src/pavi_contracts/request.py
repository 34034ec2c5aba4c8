"""The request: a JSON array of entries (``docs/request.md``), checked as a whole.

Each entry is validated by :class:`pavi_contracts.entry.Entry`; the request adds what only the
whole request can check (its size, unique ``unique_entry_id``s and ``base_seq_name``s, FASTA
record names that no two entries share). Checks that depend on where the request runs (URL
schemes, payload limits) are passed in by the caller as ``entry_checks``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import Field, TypeAdapter, ValidationError

from pavi_contracts.entry import MAX_RECORD_NAME_BYTES, Entry, format_validation_errors
from pavi_contracts.files import OutputType
from pavi_contracts.jsontypes import json_type

DEFAULT_MAX_ENTRIES: Final = 100
#: Problems shown before the rest are summed up in one line (:meth:`RequestError.summary`).
MAX_SHOWN_PROBLEMS: Final = 50
_ENTRY_LABEL = re.compile(r"entry ([0-9]+)\b")
#: A check of one (plain JSON) entry that returns ``field: problem`` lines.
EntryCheck = Callable[[dict[str, Any]], list[str]]


class RequestError(ValueError):
    """A request that cannot run; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)

    def summary(self, limit: int = MAX_SHOWN_PROBLEMS) -> list[str]:
        """The first ``limit`` problems, then ``… and N more problems in M entries``."""
        if len(self.problems) <= limit:
            return list(self.problems)
        rest = self.problems[limit:]
        entries = {m[1] for p in rest if (m := _ENTRY_LABEL.match(p))}
        noun = "entry" if len(entries) == 1 else "entries"
        where = f" in {len(entries)} {noun}" if entries else ""
        return [*self.problems[:limit], f"… and {len(rest)} more problems{where}"]


@dataclass(frozen=True)
class Request:
    """A validated request: the entries as the jobs receive them (JSON objects)."""

    entries: tuple[dict[str, Any], ...]
    #: What the run aligns: ``protein`` or ``transcript`` (``pavi_contracts.request_input``).
    seq_type: OutputType = "protein"

    @property
    def entry_ids(self) -> list[str]:
        """The entries' ``unique_entry_id``s in request order."""
        return [str(entry["unique_entry_id"]) for entry in self.entries]

    def to_json(self) -> str:
        """The request as compact JSON (what the state machine receives): the bare array of a
        protein request, else the object form with its ``seq_type``."""
        if self.seq_type == "protein":
            return json.dumps(list(self.entries), separators=(",", ":"))
        data = {"entries": list(self.entries), "seq_type": self.seq_type}
        return json.dumps(data, separators=(",", ":"))


def validate_request(
    data: Any,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    entry_checks: Iterable[EntryCheck] = (),
) -> Request:
    """Check a parsed request; raise :class:`RequestError` listing every problem."""
    if not isinstance(data, list):
        raise RequestError([f"request: must be a JSON array of entries, not {json_type(data)}"])
    checks = list(entry_checks)
    problems: list[str] = []
    if not data:
        problems.append("request: must hold at least one entry")
    if len(data) > max_entries:
        problems.append(f"request: holds {len(data)} entries, at most {max_entries} are allowed")
    first_index: dict[str, int] = {}
    names = _RecordNames()
    for index, raw in enumerate(data):
        label = entry_label(index, raw)
        if not isinstance(raw, dict):
            problems.append(f"{label}: must be a JSON object, not {json_type(raw)}")
            continue
        entry, found = _parse(raw)
        for check in checks:
            found += [p for p in check(raw) if p not in found]
        problems += [f"{label}: {p}" for p in found]
        entry_id = raw.get("unique_entry_id")
        if isinstance(entry_id, str):
            if entry_id in first_index:
                problems.append(
                    f"{label}: unique_entry_id: duplicate of entry {first_index[entry_id]}"
                )
            else:
                first_index[entry_id] = index
        if entry is not None:
            problems += [f"{label}: {p}" for p in names.claim(index, entry)]
    if problems:
        raise RequestError(problems)
    return Request(tuple(dict(raw) for raw in data))


def entry_problems(entry: dict[str, Any]) -> list[str]:
    """``field: problem`` lines of the Entry model for one entry."""
    return _parse(entry)[1]


def _parse(raw: dict[str, Any]) -> tuple[Entry | None, list[str]]:
    try:
        return Entry.model_validate(raw), []
    except ValidationError as err:
        return None, format_validation_errors(err)


class _RecordNames:
    """The base names and FASTA record names claimed so far, by entry index.

    Every record name ends up as a seqinfo key and an alignment row: two entries producing the
    same name would overwrite each other's seqinfo (docs/files.md, "Record names").
    """

    def __init__(self) -> None:
        self.bases: dict[str, int] = {}
        self.records: dict[str, int] = {}

    def claim(self, index: int, entry: Entry) -> list[str]:
        """``field: problem`` lines for the names of ``entry`` that an earlier entry holds."""
        base = entry.base_seq_name
        if base in self.bases:
            return [
                f"base_seq_name: {_quoted(base)} is also the base_seq_name of entry "
                f"{self.bases[base]}"
            ]
        self.bases[base] = index
        found = [problem for name in entry.record_names if (problem := _too_long(entry, name))]
        for name in entry.record_names:
            other = self.records.setdefault(name, index)
            if other != index:
                found.append(
                    f"base_seq_name: the record name {_quoted(name)} is also a record of entry "
                    f"{other} (one would overwrite the other)"
                )
        return found


def _too_long(entry: Entry, name: str) -> str | None:
    """``field: problem`` when Clustal Omega would cut ``name`` (its row would match no key).

    A request-level rule: a single entry run on its own (``--entry``) makes no alignment, and
    keeps the original's behaviour.
    """
    size = len(name.encode("utf-8"))
    if size <= MAX_RECORD_NAME_BYTES:
        return None
    field = (
        "base_seq_name" if name in (entry.base_seq_name, entry.ref_name) else "alt_seq_name_suffix"
    )
    return (
        f"{field}: makes the record name {_quoted(name)} {size} bytes long; Clustal Omega keeps "
        f"only {MAX_RECORD_NAME_BYTES} bytes of a name, so its alignment row would match no "
        "seqinfo key"
    )


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def request_schema(max_entries: int = DEFAULT_MAX_ENTRIES) -> dict[str, Any]:
    """The request's JSON Schema (an array of 1..max_entries entries)."""
    adapter: TypeAdapter[Any] = TypeAdapter(
        Annotated[list[Entry], Field(min_length=1, max_length=max_entries)]
    )
    schema = adapter.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "PAVI pipeline request"
    schema["description"] = (
        "A JSON array of entries; each entry describes one transcript to translate "
        "(and optionally mutate). unique_entry_id and base_seq_name must be unique within the "
        "request, and no two entries may produce the same FASTA record name."
    )
    return schema


def entry_label(index: int, raw: Any) -> str:
    """How request-level messages name an entry: ``entry 3 (id)`` or ``entry 3``."""
    entry_id = raw.get("unique_entry_id") if isinstance(raw, dict) else None
    if isinstance(entry_id, str) and entry_id:
        return f"entry {index} ({entry_id})"
    return f"entry {index}"
