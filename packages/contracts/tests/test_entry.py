"""The request-entry model: every rule of docs/request.md, "Entry fields" and "Region forms"."""

from __future__ import annotations

from typing import Any

import pytest
from pavi_contracts.entry import (
    Entry,
    RequestEntryError,
    format_validation_errors,
    parse_entry,
)
from pydantic import BaseModel, ValidationError

BASE: dict[str, Any] = {
    "unique_entry_id": "000_x",
    "base_seq_name": "x",
    "seq_id": "chr1",
    "seq_strand": "+",
    "exon_seq_regions": [{"start": 11, "end": 30}],
    "cds_seq_regions": [{"start": 21, "end": 30, "frame": 0}],
    "fasta_file_url": "file:///g.fa.gz",
    "variant_ids": [],
}


def problem(**changes: Any) -> RequestEntryError:
    data = {**BASE, **changes}
    with pytest.raises(RequestEntryError) as info:
        parse_entry(data)
    assert "\n" not in str(info.value)
    return info.value


def test_valid_entry_and_conversions() -> None:
    entry = parse_entry(
        {
            **BASE,
            "exon_seq_regions": ["11..30", {"start": 46, "end": 65, "frame": 2, "other": "x"}],
            "variant_ids": ["b", "a", "b"],
            "unknown_field": [1, 2],
        }
    )
    assert [(r.start, r.end, r.frame) for r in entry.exon_seq_regions] == [
        (11, 30, None),
        (46, 65, 2),
    ]
    assert [(r.start, r.end, r.frame) for r in entry.cds_seq_regions] == [(21, 30, 0)]
    assert entry.variant_ids == ["b", "a"]
    assert entry.suffix == "_alt"
    assert entry.strand == "+"


@pytest.mark.parametrize(
    ("spelling", "strand"),
    [("+", "+"), ("+1", "+"), ("pos", "+"), ("-", "-"), ("-1", "-"), ("neg", "-")],
)
def test_strand_spellings(spelling: str, strand: str) -> None:
    entry = parse_entry(
        {
            **BASE,
            "seq_strand": spelling,
            "exon_seq_regions": ["30..11"] if strand == "-" else BASE["exon_seq_regions"],
        }
    )
    assert entry.strand == strand
    assert entry.seq_strand == spelling


@pytest.mark.parametrize("spelling", ["x", "Plus", "+ ", "POS", "", "1"])
def test_unknown_strand_is_a_usage_error(spelling: str) -> None:
    err = problem(seq_strand=spelling)
    assert err.exit_code == 2
    assert str(err).startswith("seq_strand: must be one of +, +1, pos, -, -1, neg")


@pytest.mark.parametrize("suffix", [None, ""])
def test_suffix_defaults(suffix: str | None) -> None:
    assert parse_entry({**BASE, "alt_seq_name_suffix": suffix}).alt_seq_name_suffix == "_alt"
    assert parse_entry({**BASE, "alt_seq_name_suffix": "_tm3067"}).suffix == "_tm3067"


def test_minus_strand_accepts_either_order() -> None:
    entry = parse_entry({**BASE, "seq_strand": "-", "exon_seq_regions": ["101..82", "11..30"]})
    assert [(r.start, r.end) for r in entry.exon_seq_regions] == [(101, 82), (11, 30)]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"exon_seq_regions": ["11-30"]}, 'exon_seq_regions[0]: must be "start..end"'),
        ({"exon_seq_regions": ["11..30 "]}, 'exon_seq_regions[0]: must be "start..end"'),
        ({"exon_seq_regions": ["-1..30"]}, 'exon_seq_regions[0]: must be "start..end"'),
        ({"exon_seq_regions": [12]}, 'exon_seq_regions[0]: must be a "start..end" string or'),
        (
            {"cds_seq_regions": [{"start": 21, "end": 30, "frame": 3}]},
            "cds_seq_regions[0].frame: must be 0, 1 or 2, got 3",
        ),
        (
            {"cds_seq_regions": [{"start": "21", "end": 30, "frame": 0}]},
            'cds_seq_regions[0].start: must be an integer, got "21"',
        ),
        (
            {"exon_seq_regions": [{"start": 11.0, "end": 30}]},
            "exon_seq_regions[0].start: must be an integer, got 11.0",
        ),
        (
            {"exon_seq_regions": [{"start": 11, "end": True}]},
            "exon_seq_regions[0].end: must be an integer, got true",
        ),
        ({"exon_seq_regions": [{"start": 11}]}, "exon_seq_regions[0].end: is required"),
        (
            {"exon_seq_regions": [{"start": 11, "end": 30, "frame": None}]},
            "exon_seq_regions[0].frame: must be 0, 1 or 2, got null",
        ),
        (
            {"exon_seq_regions": [{"start": 11, "end": 30, "frame": True}]},
            "exon_seq_regions[0].frame: must be 0, 1 or 2, got true",
        ),
        (
            {"exon_seq_regions": [{"start": 11, "end": 30, "frame": 1.0}]},
            "exon_seq_regions[0].frame: must be 0, 1 or 2, got 1.0",
        ),
        ({"exon_seq_regions": None}, "exon_seq_regions: must be a JSON array, got null"),
        ({"cds_seq_regions": {"start": 1, "end": 2}}, "cds_seq_regions: must be a JSON array"),
        ({"variant_ids": [1]}, "variant_ids[0]: must be a string, got 1"),
        ({"variant_ids": None}, "variant_ids: must be a JSON array, got null"),
        ({"variant_ids": ["a b"]}, "variant_ids[0]: must not contain whitespace"),
        ({"base_seq_name": "a b"}, "base_seq_name: must not contain whitespace"),
        ({"base_seq_name": ""}, "base_seq_name: must not be empty"),
        ({"seq_id": "chr 1"}, "seq_id: must not contain whitespace"),
        ({"alt_seq_name_suffix": "_a\tb"}, "alt_seq_name_suffix: must not contain whitespace"),
        ({"alt_seq_name_suffix": 5}, "alt_seq_name_suffix: must be a string"),
        ({"fasta_file_url": ""}, "fasta_file_url: must not be empty"),
        ({"seq_id": 1}, "seq_id: must be a string, got 1"),
    ],
)
def test_usage_errors(changes: dict[str, Any], expected: str) -> None:
    err = problem(**changes)
    assert err.exit_code == 2
    assert str(err).startswith(expected), str(err)


@pytest.mark.parametrize(
    "unsafe", ["a/b", "..", ".", "", ".hidden", "with space", "a\\b", "é", "x" * 201, "a\nb", "a*"]
)
def test_unsafe_unique_entry_ids(unsafe: str) -> None:
    err = problem(unique_entry_id=unsafe)
    assert err.exit_code == 2
    assert str(err).startswith("unique_entry_id: ")


@pytest.mark.parametrize("safe", ["000_a-b.c", "A", "x" * 200, "-dash", "_u"])
def test_safe_unique_entry_ids(safe: str) -> None:
    assert parse_entry({**BASE, "unique_entry_id": safe}).unique_entry_id == safe


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"exon_seq_regions": []}, "exon_seq_regions: must hold at least one region"),
        (
            {"exon_seq_regions": ["30..11"]},
            "exon_seq_regions[0]: end 11 is less than start 30 on the + strand",
        ),
        (
            {"exon_seq_regions": ["11..30", {"start": 50, "end": 46}]},
            "exon_seq_regions[1]: end 46 is less than start 50 on the + strand",
        ),
        (
            {"cds_seq_regions": ["21..30"]},
            "cds_seq_regions[0].frame: is required on every CDS region",
        ),
        (
            {"cds_seq_regions": [{"start": 21, "end": 30, "frame": 0}, {"start": 46, "end": 65}]},
            "cds_seq_regions[1].frame: is required on every CDS region",
        ),
    ],
)
def test_problems_the_original_reports_as_crashes_exit_1(
    changes: dict[str, Any], expected: str
) -> None:
    err = problem(**changes)
    assert err.exit_code == 1
    assert str(err).startswith(expected), str(err)


def test_mixed_usage_and_crash_problems_exit_2() -> None:
    err = problem(exon_seq_regions=[], seq_strand="x")
    assert err.exit_code == 2
    assert len(err.problems) == 2


def test_missing_fields_are_each_named() -> None:
    with pytest.raises(RequestEntryError) as info:
        parse_entry({"unique_entry_id": "a"})
    assert info.value.problems == [
        f"{name}: is required"
        for name in (
            "base_seq_name",
            "seq_id",
            "seq_strand",
            "exon_seq_regions",
            "cds_seq_regions",
            "fasta_file_url",
            "variant_ids",
        )
    ]


@pytest.mark.parametrize("data", [[], "x", 1, None])
def test_entry_must_be_an_object(data: Any) -> None:
    with pytest.raises(RequestEntryError) as info:
        parse_entry(data)
    assert str(info.value).startswith("entry: must be a JSON object")


def test_format_errors_of_a_wrapping_model() -> None:
    """The workflow wraps Entry in its request model; locations keep their list index."""

    class Request(BaseModel):
        entries: list[Entry]

    bad = {**BASE, "exon_seq_regions": [{"start": 1, "end": 2, "frame": 5}]}
    with pytest.raises(ValidationError) as info:
        Request.model_validate({"entries": [BASE, bad]})
    assert format_validation_errors(info.value) == [
        "entries[1].exon_seq_regions[0].frame: must be 0, 1 or 2, got 5"
    ]


def test_entry_is_immutable_and_round_trips() -> None:
    entry = parse_entry({**BASE, "variant_ids": ["v", "v"]})
    again = parse_entry(entry.model_dump())
    assert again == entry
    with pytest.raises(ValidationError):
        entry.seq_id = "chr2"


def test_json_schema_describes_both_region_forms_and_the_frame_values() -> None:
    import jsonschema

    schema = Entry.model_json_schema()
    entry = {**BASE, "exon_seq_regions": ["11..30", {"start": 46, "end": 65, "frame": 2}]}
    jsonschema.validate(entry, schema)
    for region in ("11-30", {"start": 11, "end": 30, "frame": 3}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**BASE, "exon_seq_regions": [region]}, schema)
