"""Rules against silent loss and unsafe values (docs/request.md, "What validation refuses" and
"Rules of the whole request"): coordinates, record names, variant ids, the problem summary, and
the ``.fai`` / ``.gzi`` parsers shared with the retrieval job."""

from __future__ import annotations

import json
import struct
from typing import Any

import jsonschema
import pytest
from pavi_contracts.entry import (
    MAX_COORDINATE,
    MAX_RECORD_NAME_BYTES,
    RequestEntryError,
    parse_entry,
)
from pavi_contracts.faidx import IndexFormatError, is_bgzipped, parse_fai, parse_gzi
from pavi_contracts.request import (
    MAX_SHOWN_PROBLEMS,
    RequestError,
    request_schema,
    validate_request,
)

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


def entry(index: int, **changes: Any) -> dict[str, Any]:
    return {**BASE, "unique_entry_id": f"{index:03d}_e", "base_seq_name": f"e{index}", **changes}


def problems(*entries: dict[str, Any]) -> list[str]:
    with pytest.raises(RequestError) as info:
        validate_request(list(entries))
    return info.value.problems


def entry_problems(**changes: Any) -> list[str]:
    with pytest.raises(RequestEntryError) as info:
        parse_entry({**BASE, **changes})
    return info.value.problems


# -- coordinates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        ([{"start": 0, "end": 30}], "exon_seq_regions[0].start: must be at least 1"),
        (["0..30"], "exon_seq_regions[0].start: must be at least 1"),
        ([{"start": -5, "end": 30}], "exon_seq_regions[0].start: must be at least 1"),
        (
            [{"start": 11, "end": MAX_COORDINATE + 1}],
            f"exon_seq_regions[0].end: must be at most {MAX_COORDINATE}, got {MAX_COORDINATE + 1}",
        ),
        ([f"11..{10**30}"], f"exon_seq_regions[0].end: must be at most {MAX_COORDINATE}"),
    ],
)
def test_coordinates_must_lie_in_1_to_2_pow_31(regions: list[Any], expected: str) -> None:
    found = entry_problems(exon_seq_regions=regions)
    assert any(p.startswith(expected) for p in found), found


def test_coordinate_bounds_are_inclusive_and_in_the_schema() -> None:
    ok = parse_entry({**BASE, "exon_seq_regions": [f"1..{MAX_COORDINATE}"]})
    assert (ok.exon_seq_regions[0].start, ok.exon_seq_regions[0].end) == (1, MAX_COORDINATE)
    schema = request_schema()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{**BASE, "exon_seq_regions": [{"start": 0, "end": 5}]}], schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{**BASE, "exon_seq_regions": ["0..5"]}], schema)
    big = [{**BASE, "exon_seq_regions": [{"start": 1, "end": MAX_COORDINATE + 1}]}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(big, schema)
    jsonschema.validate([{**BASE, "exon_seq_regions": ["01..5", f"1..{MAX_COORDINATE}"]}], schema)


def test_cds_coordinates_are_bounded_too() -> None:
    found = entry_problems(cds_seq_regions=[{"start": 0, "end": 30, "frame": 0}])
    assert found == [
        "cds_seq_regions[0].start: must be at least 1 (coordinates are 1-based), got 0"
    ]


# -- record names ----------------------------------------------------------------------------


def test_duplicate_base_seq_names_are_refused() -> None:
    found = problems(entry(0, base_seq_name="geneA"), entry(1), entry(2, base_seq_name="geneA"))
    assert found == ['entry 2 (002_e): base_seq_name: "geneA" is also the base_seq_name of entry 0']


@pytest.mark.parametrize(
    ("first", "second", "name"),
    [
        # a plain record named like another entry's reference record
        ({"base_seq_name": "g_ref"}, {"base_seq_name": "g", "variant_ids": ["v"]}, "g_ref"),
        ({"base_seq_name": "g", "variant_ids": ["v"]}, {"base_seq_name": "g_ref"}, "g_ref"),
        # ... or like its alternative (default and custom suffixes)
        ({"base_seq_name": "g", "variant_ids": ["v"]}, {"base_seq_name": "g_alt"}, "g_alt"),
        (
            {"base_seq_name": "g", "variant_ids": ["v"], "alt_seq_name_suffix": "_tm1"},
            {"base_seq_name": "g_tm", "variant_ids": ["w"], "alt_seq_name_suffix": "1"},
            "g_tm1",
        ),
        # two alternatives of the same name
        (
            {"base_seq_name": "a", "variant_ids": ["v"], "alt_seq_name_suffix": "b_x"},
            {"base_seq_name": "ab", "variant_ids": ["v"], "alt_seq_name_suffix": "_x"},
            "ab_x",
        ),
    ],
)
def test_record_names_shared_by_two_entries_are_refused(
    first: dict[str, Any], second: dict[str, Any], name: str
) -> None:
    found = problems(entry(0, **first), entry(1, **second))
    assert found == [
        f'entry 1 (001_e): base_seq_name: the record name "{name}" is also a record of entry 0 '
        "(one would overwrite the other)"
    ]


def test_distinct_names_that_look_alike_are_accepted() -> None:
    request = validate_request(
        [
            entry(0, base_seq_name="g", variant_ids=["v"]),  # g_ref, g_alt
            entry(1, base_seq_name="g_alt2"),
            entry(2, base_seq_name="G_ref"),
            entry(3, base_seq_name="g_ref", variant_ids=["v"]),  # g_ref_ref, g_ref_alt
        ]
    )
    assert len(request.entries) == 4


def test_ref_suffix_within_one_entry_keeps_the_original_behaviour() -> None:
    """The original names both records `{base}_ref` and keeps one seqinfo key (a documented
    quirk, kept for parity): accepted, in a single entry and in a request."""
    quirk = parse_entry({**BASE, "variant_ids": ["v"], "alt_seq_name_suffix": "_ref"})
    assert quirk.record_names == ("x_ref", "x_ref")
    assert (
        len(validate_request([entry(0, variant_ids=["v"], alt_seq_name_suffix="_ref")]).entries)
        == 1
    )


def long_name_problems(**changes: Any) -> list[str]:
    """Request-level problems of one entry (the name limit is a rule of the request)."""
    found = problems(entry(0, **changes))
    return [p.removeprefix("entry 0 (000_e): ") for p in found]


def test_record_names_fit_clustal_omega() -> None:
    longest = "n" * (MAX_RECORD_NAME_BYTES - len("_ref"))
    assert validate_request([entry(0, base_seq_name=longest, variant_ids=["v"])])
    found = long_name_problems(base_seq_name=longest + "n", variant_ids=["v"])
    assert len(found) == 2  # both records
    assert found[0].startswith('base_seq_name: makes the record name "nnn')
    assert "128 bytes long; Clustal Omega keeps only 127 bytes of a name" in found[0]
    # Without variants the base itself is the record name.
    plain = "p" * MAX_RECORD_NAME_BYTES
    assert validate_request([entry(0, base_seq_name=plain)])
    assert long_name_problems(base_seq_name=plain + "p")[0].startswith("base_seq_name: ")
    # A long suffix is named as the culprit.
    found = long_name_problems(variant_ids=["v"], alt_seq_name_suffix="_" + "s" * 130)
    assert found == [found[0]]
    assert found[0].startswith("alt_seq_name_suffix: makes the record name ")


def test_a_single_entry_job_keeps_long_names() -> None:
    """`--entry` runs no alignment, so the limit is not applied there (the original's output)."""
    name = "n" * 200
    assert parse_entry({**BASE, "base_seq_name": name}).record_names == (name,)


def test_the_name_limit_counts_utf8_bytes() -> None:
    name = "é" * 63  # 126 bytes, 63 characters
    assert validate_request([entry(0, base_seq_name=name)])
    found = long_name_problems(base_seq_name=name + "é")
    assert "128 bytes long" in found[0]


# -- variant ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant_id", [".", ".."])
def test_dot_segment_variant_ids_are_refused(variant_id: str) -> None:
    assert entry_problems(variant_ids=["ok", variant_id]) == [
        f"variant_ids[1]: must not be {json.dumps(variant_id)} (it would leave the variant "
        "API's URL path)"
    ]


def test_other_url_characters_are_accepted_and_escaped_by_the_job() -> None:
    ids = ["../../admin", "a/b?c#d", "g.(?_234)del", "x%2Fy", "NC_1:g.5C>T"]
    assert parse_entry({**BASE, "variant_ids": ids}).variant_ids == ids


# -- every problem at once, summed up when many ------------------------------------------------


def test_many_problems_are_summed_up_after_the_first_fifty() -> None:
    bad = [
        {**BASE, "unique_entry_id": f"{i:03d}_b", "seq_strand": "plus", "exon_seq_regions": []}
        for i in range(500)
    ]
    with pytest.raises(RequestError) as info:
        validate_request(bad, max_entries=1000)
    err = info.value
    assert len(err.problems) == 1000  # every problem is kept
    shown = err.summary()
    assert len(shown) == MAX_SHOWN_PROBLEMS + 1
    assert shown[:MAX_SHOWN_PROBLEMS] == err.problems[:MAX_SHOWN_PROBLEMS]
    assert shown[0] == (
        'entry 0 (000_b): seq_strand: must be one of +, +1, pos, -, -1, neg, got "plus"'
    )
    assert shown[-1] == "… and 950 more problems in 475 entries"


def test_few_problems_are_shown_whole() -> None:
    err = RequestError(["request: x", "entry 1 (a): y"])
    assert err.summary() == ["request: x", "entry 1 (a): y"]
    assert err.summary(limit=1) == ["request: x", "… and 1 more problems in 1 entry"]


# -- the index parsers -------------------------------------------------------------------------


def test_fai_and_gzi_parsers() -> None:
    records = parse_fai(b"chr1\t100\t6\t60\t61\nchr2\t5\t114\t60\t61\n")
    assert records["chr1"].length == 100
    assert records["chr1"].byte_span(1, 61) == (6, 67)
    with pytest.raises(IndexFormatError, match="line 1 is not NAME"):
        parse_fai(b"chr1\t100\n")
    with pytest.raises(IndexFormatError, match="lists no sequence"):
        parse_fai(b"\n")
    gzi = struct.pack("<Q", 2) + struct.pack("<4Q", 100, 65280, 200, 130560)
    assert parse_gzi(gzi) == ([0, 100, 200], [0, 65280, 130560])
    with pytest.raises(IndexFormatError, match="says 3 entries"):
        parse_gzi(struct.pack("<Q", 3) + b"\0" * 16)


@pytest.mark.parametrize(
    ("url", "bgzipped"),
    [
        ("s3://b/genome.fa.gz", True),
        ("https://h/genome.fa.gz?versionId=3", True),
        ("/data/genome.fa", False),
        ("https://h/genome.gz.fa", False),
        ("https://h/get?name=genome.fa.gz", False),
    ],
)
def test_a_gzi_is_needed_when_the_name_before_any_query_ends_in_gz(
    url: str, bgzipped: bool
) -> None:
    assert is_bgzipped(url) is bgzipped
