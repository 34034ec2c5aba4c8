"""The two forms of a request (docs/request.md, "Shape of a request"), and its JSON Schema.

A request is either the bare JSON array of entries (what the pipeline always took: a protein
alignment) or an object carrying the entries and the options, ``{"entries": [...],
"seq_type": "transcript"}``. Both are what the state machine's execution input and the stored
``request.json`` may hold; :func:`validate_input` reads either into one
:class:`~pavi_contracts.request.Request` (whose ``to_json`` writes the bare array for a
protein request, so a protein request is stored exactly as before).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Final

from pavi_contracts.files import OUTPUT_TYPES, OutputType
from pavi_contracts.jsontypes import json_type
from pavi_contracts.request import (
    DEFAULT_MAX_ENTRIES,
    EntryCheck,
    Request,
    RequestError,
    request_schema,
    validate_request,
)

#: What a request may align: translated proteins (the default) or spliced transcripts.
SEQ_TYPES: Final[tuple[OutputType, ...]] = OUTPUT_TYPES
DEFAULT_SEQ_TYPE: Final[OutputType] = "protein"
#: The members of the object form.
INPUT_KEYS: Final = ("entries", "seq_type")
#: The alignment job's ``--seq-type`` for each request seq_type.
ALIGNMENT_SEQ_TYPES: Final[dict[OutputType, str]] = {"protein": "protein", "transcript": "dna"}


def split_input(data: Any) -> tuple[Any, OutputType]:
    """The entries array and the seq_type of either form; RequestError for a bad object form."""
    if isinstance(data, list):
        return data, DEFAULT_SEQ_TYPE
    if not isinstance(data, dict):
        raise RequestError(
            [
                "request: must be a JSON array of entries or an object "
                f'{{"entries": [...], "seq_type": ...}}, not {json_type(data)}'
            ]
        )
    problems: list[str] = []
    unknown = sorted(str(key) for key in data if key not in INPUT_KEYS)
    if unknown:
        problems.append(
            f"request: unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(the object form holds {', '.join(INPUT_KEYS)})"
        )
    entries = data.get("entries")
    if "entries" not in data:
        problems.append("request: entries: required (the request's array of entries)")
    elif not isinstance(entries, list):
        problems.append(
            f"request: entries: must be a JSON array of entries, not {json_type(entries)}"
        )
    seq_type = data.get("seq_type", DEFAULT_SEQ_TYPE)
    if seq_type not in SEQ_TYPES:
        shown = json.dumps(seq_type) if isinstance(seq_type, str) else json_type(seq_type)
        problems.append(f"request: seq_type: must be one of {', '.join(SEQ_TYPES)}, got {shown}")
    if problems:
        raise RequestError(problems)
    return entries, seq_type


def validate_input(
    data: Any,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    entry_checks: Iterable[EntryCheck] = (),
    seq_type: OutputType | None = None,
) -> Request:
    """Check a request of either form; ``seq_type`` (when given) overrides the request's own."""
    entries, given = split_input(data)
    request = validate_request(entries, max_entries=max_entries, entry_checks=entry_checks)
    return replace(request, seq_type=seq_type or given)


def input_schema(max_entries: int = DEFAULT_MAX_ENTRIES) -> dict[str, Any]:
    """The request's JSON Schema (draft 2020-12): the entries array, or the object form."""
    array = request_schema(max_entries)
    defs = array.pop("$defs", {})
    for key in ("$schema", "title", "description"):
        array.pop(key, None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:pavi:schema:request",
        "title": "PAVI pipeline request",
        "description": (
            "A JSON array of entries (a protein alignment), or an object holding that array as "
            "`entries` and the options. Each entry describes one transcript to retrieve (and "
            "optionally mutate); unique_entry_id must be unique within the request."
        ),
        "anyOf": [
            {"$ref": "#/$defs/Entries"},
            {
                "type": "object",
                "properties": {
                    "entries": {"$ref": "#/$defs/Entries"},
                    "seq_type": {
                        "enum": list(SEQ_TYPES),
                        "default": DEFAULT_SEQ_TYPE,
                        "description": (
                            "protein: align the translated proteins; transcript: align the "
                            "spliced transcripts (nucleotides)."
                        ),
                    },
                },
                "required": ["entries"],
                "additionalProperties": False,
            },
        ],
        "$defs": {**defs, "Entries": array},
    }
