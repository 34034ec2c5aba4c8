"""The request's two forms (docs/request.md, "Shape of a request") and its JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from pavi_contracts.jobs import RETRIEVAL
from pavi_contracts.request import RequestError
from pavi_contracts.request_input import input_schema, split_input, validate_input
from pavi_contracts.schemas import REQUEST, load_schema

ENTRY: dict[str, Any] = {
    "unique_entry_id": "000_x",
    "base_seq_name": "x",
    "seq_id": "chr1",
    "seq_strand": "+",
    "exon_seq_regions": [{"start": 11, "end": 30}],
    "cds_seq_regions": [],
    "fasta_file_url": "file:///g.fa.gz",
    "variant_ids": [],
}


def problems(data: Any) -> list[str]:
    with pytest.raises(RequestError) as info:
        validate_input(data)
    return info.value.problems


def test_the_bare_array_is_a_protein_request_stored_as_before() -> None:
    request = validate_input([ENTRY])
    assert request.seq_type == "protein"
    assert request.to_json() == json.dumps([ENTRY], separators=(",", ":"))


@pytest.mark.parametrize("seq_type", ["protein", "transcript"])
def test_the_object_form_carries_the_seq_type(seq_type: str) -> None:
    request = validate_input({"entries": [ENTRY], "seq_type": seq_type})
    assert request.seq_type == seq_type
    assert request.entry_ids == ["000_x"]
    # Written back in the form that keeps its options; a protein request as the bare array.
    assert validate_input(json.loads(request.to_json())) == request
    assert json.loads(request.to_json()) == (
        [ENTRY] if seq_type == "protein" else {"entries": [ENTRY], "seq_type": "transcript"}
    )


def test_seq_type_defaults_to_protein_and_an_override_wins() -> None:
    assert validate_input({"entries": [ENTRY]}).seq_type == "protein"
    assert validate_input([ENTRY], seq_type="transcript").seq_type == "transcript"
    assert (
        validate_input({"entries": [ENTRY], "seq_type": "transcript"}, seq_type="protein").seq_type
        == "protein"
    )


def test_a_bad_object_form_lists_every_problem() -> None:
    found = problems({"entrys": [ENTRY], "seq_type": "dna"})
    assert found == [
        "request: unknown field entrys (the object form holds entries, seq_type)",
        "request: entries: required (the request's array of entries)",
        'request: seq_type: must be one of protein, transcript, got "dna"',
    ]
    assert problems({"entries": {"a": 1}}) == [
        "request: entries: must be a JSON array of entries, not an object"
    ]
    assert problems({"entries": [ENTRY], "seq_type": None}) == [
        "request: seq_type: must be one of protein, transcript, got null"
    ]
    assert problems("x")[0].startswith("request: must be a JSON array of entries or an object")
    # The entries' own problems are reported as for the bare array.
    assert problems({"entries": [{**ENTRY, "seq_strand": "x"}]})[0].startswith(
        "entry 0 (000_x): seq_strand: "
    )


def test_split_input_returns_the_entries_untouched() -> None:
    assert split_input([1]) == ([1], "protein")
    assert split_input({"entries": [1], "seq_type": "transcript"}) == ([1], "transcript")


def test_schema_accepts_both_forms_and_refuses_unknown_options() -> None:
    schema = input_schema(max_entries=3)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate([ENTRY], schema)
    jsonschema.validate({"entries": [ENTRY]}, schema)
    jsonschema.validate({"entries": [ENTRY], "seq_type": "transcript"}, schema)
    for bad in (
        [],
        [ENTRY] * 4,
        {"entries": [ENTRY], "seq_type": "dna"},
        {"entries": [ENTRY], "other": 1},
        {"seq_type": "transcript"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_the_packaged_schema_is_the_generated_one() -> None:
    assert load_schema(REQUEST) == input_schema(), (
        "regenerate it: uv run pavi schema > packages/contracts/src/pavi_contracts/schemas/"
        "request.schema.json"
    )


def test_declared_fasta_follows_the_output_type() -> None:
    fasta = RETRIEVAL.outputs[0]
    assert fasta.for_entry("000_x") == "000_x-protein.fa"
    assert fasta.for_entry("000_x", "transcript") == "000_x-transcript.fa"
