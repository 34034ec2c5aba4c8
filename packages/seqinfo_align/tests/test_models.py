"""Validation and rebuilding of seqinfo values (docs/merge.md, "Validating seqinfo values";
docs/cases.md, case M8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pavi_seqinfo_align.models import (
    ALIGNED_VARIANT_KEYS,
    SEQ_VARIANT_KEYS,
    AlignedVariant,
    SeqInfoError,
    SeqVariant,
    parse_seqinfo,
)

MakeVariant = Callable[..., dict[str, Any]]


def test_valid_value_round_trips(make_variant: MakeVariant) -> None:
    info = parse_seqinfo({"embedded_variants": [make_variant()]})
    assert info.embedded_variants is not None
    assert [v.to_json() for v in info.embedded_variants] == [make_variant()]
    assert list(info.embedded_variants[0].to_json()) == list(SEQ_VARIANT_KEYS)


def test_empty_and_error_values() -> None:
    assert parse_seqinfo({}) == parse_seqinfo({"unknown": 1})
    info = parse_seqinfo({"error": "No open reading frames found in transcript sequence."})
    assert info.error == "No open reading frames found in transcript sequence."
    assert info.embedded_variants is None
    assert parse_seqinfo({"embedded_variants": []}).embedded_variants == ()


def test_m8_unknown_key_dropped_and_derived_members_recomputed(
    make_variant: MakeVariant,
) -> None:
    raw = make_variant(
        foo="bar",
        seq_substitution_type="insertion",
        seq_length=99,
        genomic_start_pos=10,
        genomic_end_pos=12,
        genomic_ref_seq="CAT",
        genomic_alt_seq="",
    )
    info = parse_seqinfo({"embedded_variants": [raw]})
    assert info.embedded_variants is not None
    out = info.embedded_variants[0].to_json()
    assert "foo" not in out
    assert (out["seq_substitution_type"], out["seq_length"]) == ("deletion", 3)


@pytest.mark.parametrize(
    ("ref", "alt", "start", "end", "kind"),
    [
        ("C", "T", 5, 5, "substitution"),
        ("CA", "TG", 5, 6, "substitution"),
        ("CAT", "", 5, 7, "deletion"),
        ("", "GGG", 5, 6, "insertion"),
        ("CA", "T", 5, 6, "indel"),
    ],
)
def test_substitution_type_from_alleles(
    make_variant: MakeVariant, ref: str, alt: str, start: int, end: int, kind: str
) -> None:
    raw = make_variant(
        genomic_ref_seq=ref, genomic_alt_seq=alt, genomic_start_pos=start, genomic_end_pos=end
    )
    parsed = SeqVariant.parse(raw)
    assert parsed.seq_substitution_type == kind
    assert parsed.seq_length == end - start + 1


def test_missing_or_null_alleles_become_empty(make_variant: MakeVariant) -> None:
    insertion = make_variant(genomic_alt_seq="GG", genomic_end_pos=26)
    del insertion["genomic_ref_seq"]
    parsed = SeqVariant.parse(insertion)
    assert (parsed.genomic_ref_seq, parsed.seq_substitution_type) == ("", "insertion")
    deletion = SeqVariant.parse(make_variant(genomic_alt_seq=None))
    assert (deletion.genomic_alt_seq, deletion.seq_substitution_type) == ("", "deletion")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "value must be an object, not null"),
        (3, "value must be an object, not a number"),
        ("abc", "value must be an object, not a string"),
        ([], "value must be an object, not an array"),
        ({"sequence": 5}, "sequence: must be a string, not a number"),
        ({"error": None}, "error: must be a string, not null"),
        ({"embedded_variants": None}, "embedded_variants: must be an array, not null"),
        ({"embedded_variants": {}}, "embedded_variants: must be an array, not an object"),
        ({"embedded_variants": ["x"]}, r"embedded_variants\[0\]: must be an object"),
    ],
)
def test_malformed_values(value: Any, message: str) -> None:
    with pytest.raises(SeqInfoError, match=message):
        parse_seqinfo(value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seq_start_pos": "2"}, r"\.seq_start_pos: Input should be a valid integer"),
        ({"seq_start_pos": 2.0}, r"\.seq_start_pos: Input should be a valid integer"),
        ({"genomic_end_pos": True}, r"\.genomic_end_pos: Input should be a valid integer"),
        ({"variant_id": 7}, r"\.variant_id: Input should be a valid string"),
        ({"genomic_ref_seq": 1}, r"\.genomic_ref_seq: Input should be a valid string"),
        ({"genomic_start_pos": 30}, r"genomic_start_pos \(30\) > genomic_end_pos \(25\)"),
        ({"genomic_ref_seq": "", "genomic_alt_seq": ""}, "both empty"),
        ({"genomic_ref_seq": "", "genomic_end_pos": 27}, "insertion"),
    ],
)
def test_invalid_variants(make_variant: MakeVariant, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SeqInfoError, match=message) as caught:
        parse_seqinfo({"embedded_variants": [make_variant(), make_variant(**changes)]})
    assert str(caught.value).startswith("embedded_variants[1]")


@pytest.mark.parametrize(
    "key",
    [
        "variant_id",
        "genomic_seq_id",
        "genomic_start_pos",
        "genomic_end_pos",
        "seq_start_pos",
        "seq_end_pos",
        "embedded_ref_seq_len",
        "embedded_alt_seq_len",
    ],
)
def test_required_variant_keys(make_variant: MakeVariant, key: str) -> None:
    raw = make_variant()
    del raw[key]
    with pytest.raises(SeqInfoError, match=rf"embedded_variants\[0\]\.{key}: Field required"):
        parse_seqinfo({"embedded_variants": [raw]})


def test_derived_keys_are_not_required(make_variant: MakeVariant) -> None:
    raw = make_variant()
    del raw["seq_length"], raw["seq_substitution_type"]
    info = parse_seqinfo({"embedded_variants": [raw]})
    assert info.embedded_variants is not None
    assert info.embedded_variants[0].to_json() == make_variant()


def test_any_aligned_element_makes_all_aligned(make_variant: MakeVariant) -> None:
    aligned = make_variant(alignment_start_pos=7, alignment_end_pos=8)
    info = parse_seqinfo({"embedded_variants": [aligned, aligned]})
    assert info.already_aligned
    assert info.embedded_variants is not None
    assert all(isinstance(v, AlignedVariant) for v in info.embedded_variants)
    assert list(info.embedded_variants[0].to_json()) == list(ALIGNED_VARIANT_KEYS)
    with pytest.raises(SeqInfoError, match=r"\[1\]\.alignment_start_pos: Field required"):
        parse_seqinfo({"embedded_variants": [aligned, make_variant()]})
    with pytest.raises(SeqInfoError, match=r"\[0\]\.alignment_end_pos: Field required"):
        parse_seqinfo({"embedded_variants": [make_variant(alignment_start_pos=3)]})
