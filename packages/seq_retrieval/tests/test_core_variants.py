"""docs/cases.md, "E. Variants" (variant model and overlap) and the model's validation errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pavi_seq_retrieval.embedding import any_overlap, variants_overlap
from pavi_seq_retrieval.model import Variant

YN10_ID = "NC_003284.9:g.5113285_5115215del"
YN10 = Variant(YN10_ID, "X", 5113285, 5115215, "A" * 1931, "")
SNV_5114224 = Variant("yn32", "X", 5114224, 5114224, "C", "T")
SNV_5115346 = Variant("yn30", "X", 5115346, 5115346, "G", "A")


def test_E1_deletion_from_api_response(testdata: Path) -> None:
    responses = json.loads(
        (testdata / "cases" / "real-sparse-wormbase" / "variants.json").read_text()
    )
    response = responses[YN10_ID]
    assert "genomicVariantSequence" not in response
    variant = Variant(
        YN10_ID,
        response["location"]["chromosome"],
        response["location"]["start"],
        response["location"]["end"],
        response.get("genomicReferenceSequence") or "",
        response.get("genomicVariantSequence") or "",
    )
    assert (variant.seq_id, variant.start, variant.end) == ("X", 5113285, 5115215)
    assert len(variant.ref) == 1931
    assert variant.alt == ""
    assert variant.seq_length == 1931
    assert variant.substitution_type == "deletion"


@pytest.mark.parametrize(
    ("case", "variant", "kind", "length"),
    [
        ("E2", Variant("e2", "X", 10536447, 10536447, "G"), "deletion", 1),
        ("E3", Variant("e3", "X", 6228001, 6228002, alt="A"), "insertion", 2),
        ("E4", Variant("e4", "X", 5109543, 5109543, "G", "A"), "substitution", 1),
        ("E5", Variant("e5", "II", 2686968, 2686968, "G", "ATC"), "indel", 1),
        ("MNV", Variant("mnv", "X", 1, 2, "GG", "AT"), "substitution", 2),
    ],
)
def test_E2_to_E5_substitution_types(case: str, variant: Variant, kind: str, length: int) -> None:
    assert variant.substitution_type == kind
    assert variant.seq_length == length


def test_E6_distinct_snvs_do_not_overlap() -> None:
    assert not variants_overlap(SNV_5114224, SNV_5115346)
    assert not variants_overlap(SNV_5115346, SNV_5114224)


def test_E7_snv_inside_deletion_overlaps_both_directions() -> None:
    assert variants_overlap(SNV_5114224, YN10)
    assert variants_overlap(YN10, SNV_5114224)


def test_E8_snv_outside_deletion() -> None:
    assert not variants_overlap(SNV_5115346, YN10)
    assert not variants_overlap(YN10, SNV_5115346)


@pytest.mark.parametrize(("start", "end"), [(5113285, 5113286), (5115214, 5115215)])
def test_E9_insertion_with_both_flanks_inside_overlaps(start: int, end: int) -> None:
    ins = Variant("ins", "X", start, end, "", "A")
    assert variants_overlap(ins, YN10)
    assert variants_overlap(YN10, ins)


@pytest.mark.parametrize(("start", "end"), [(5113284, 5113285), (5115215, 5115216)])
def test_E10_insertion_with_one_flank_outside_does_not_overlap(start: int, end: int) -> None:
    ins = Variant("ins", "X", start, end, "", "A")
    assert not variants_overlap(ins, YN10)
    assert not variants_overlap(YN10, ins)


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        ([YN10, SNV_5115346, SNV_5114224], True),
        ([YN10, SNV_5114224], True),
        ([YN10, SNV_5115346], False),
        ([SNV_5115346, SNV_5114224], False),
    ],
)
def test_E11_requested_set_overlap(variants: list[Variant], expected: bool) -> None:
    assert any_overlap(variants) is expected


def test_overlap_requires_same_seq_id() -> None:
    other = Variant("o", "II", 5114224, 5114224, "C", "T")
    assert not variants_overlap(SNV_5114224, other)


def test_overlap_found_between_start_sorted_neighbours() -> None:
    deletion = Variant("del", "X", 100, 200, "A" * 101, "")
    snv = Variant("snv", "X", 150, 150, "G", "A")
    other = Variant("other", "X", 300, 300, "C", "T")
    assert any_overlap([other, snv, deletion])
    assert not any_overlap([other, snv])


def test_overlap_non_adjacent_pair_escapes_detection_quirk() -> None:
    wide = Variant("wide", "X", 10, 40, "A" * 31, "")
    ins_edge = Variant("ins", "X", 40, 41, "", "T")  # one flank outside `wide`: no overlap
    snv = Variant("snv", "X", 40, 40, "A", "C")  # inside `wide`, same start as the insertion
    assert variants_overlap(wide, snv)
    assert not variants_overlap(wide, ins_edge)
    assert not variants_overlap(ins_edge, snv)
    # start-sorted (stable): wide, ins, snv -> wide and snv are not neighbours: not detected
    assert not any_overlap([wide, ins_edge, snv])
    # listed the other way round, snv sorts next to wide and the overlap is found
    assert any_overlap([wide, snv, ins_edge])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": 10, "end": 9, "ref": "A", "alt": "C"}, "start 10 is greater than end 9"),
        ({"start": 10, "end": 10, "ref": "", "alt": ""}, "both empty"),
        ({"start": 10, "end": 10, "ref": "", "alt": "A"}, "end = start \\+ 1"),
        ({"start": 10, "end": 12, "ref": "", "alt": "A"}, "end = start \\+ 1"),
    ],
)
def test_invalid_variants_raise_value_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Variant("bad", "X", **kwargs)  # type: ignore[arg-type]
