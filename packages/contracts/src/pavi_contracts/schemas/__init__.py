"""JSON Schemas (draft 2020-12) of the JSON files the jobs exchange, as package data."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any, Final

SEQINFO: Final = "seqinfo.schema.json"
ALIGNED_SEQINFO: Final = "aligned-seq-info.schema.json"
#: The request (either form); ``pavi_contracts.request_input.input_schema()`` generates it.
REQUEST: Final = "request.schema.json"
NAMES: Final = (SEQINFO, ALIGNED_SEQINFO, REQUEST)


def load_schema(name: str) -> dict[str, Any]:
    """One schema by file name (``seqinfo.schema.json``, ``aligned-seq-info.schema.json``,
    ``request.schema.json``)."""
    if name not in NAMES:
        raise KeyError(f"unknown schema {name!r} (one of {', '.join(NAMES)})")
    data: dict[str, Any] = json.loads(files(__name__).joinpath(name).read_text("utf-8"))
    return data
