"""Merge semantics and key orders: docs/merge.md, "Merging files", "Which records get alignment
columns" and "Output key order"; docs/cases.md, cases M5-M9."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pavi_seqinfo_align.merge import align_seqinfo, merge_seqinfo, to_json
from pavi_seqinfo_align.models import SEQ_VARIANT_KEYS, SeqInfo, parse_seqinfo

MakeVariant = Callable[..., dict[str, Any]]


def _files(*documents: dict[str, Any]) -> list[tuple[str, dict[str, SeqInfo]]]:
    return [
        (f"f{i}-seqinfo.json", {k: parse_seqinfo(v) for k, v in doc.items()})
        for i, doc in enumerate(documents)
    ]


def _merge(rows: list[tuple[str, str]], *documents: dict[str, Any]) -> dict[str, Any]:
    return to_json(align_seqinfo(merge_seqinfo(_files(*documents)), rows))


def test_later_file_replaces_value_but_key_keeps_first_position() -> None:
    merged = merge_seqinfo(
        _files({"a": {}, "b": {"error": "first"}}, {"c": {}, "b": {"error": "second"}})
    )
    assert list(merged) == ["a", "b", "c"]
    assert merged["b"].info.error == "second"
    assert merged["b"].source == "f1-seqinfo.json"


def test_key_order_follows_files_not_alphabet() -> None:
    out = _merge([], {"z": {}, "B": {}}, {"a": {}})
    assert list(out) == ["z", "B", "a"]


def test_m5_empty_variant_list_of_aligned_record_stays_empty() -> None:
    assert _merge([("x_alt", "MK-")], {"x_alt": {"embedded_variants": []}}) == {
        "x_alt": {"embedded_variants": []}
    }


def test_m6_key_absent_from_alignment_is_copied_unchanged(make_variant: MakeVariant) -> None:
    doc = {
        "x_ref": {},
        "x_alt": {"error": "Unexpected error occured during translation."},
        "y_alt": {"embedded_variants": [make_variant(seq_start_pos=50, seq_end_pos=60)]},
    }
    assert _merge([("x_ref", "MKV")], doc) == doc  # positions never checked without a row


def test_m7_alignment_record_without_seqinfo_is_ignored() -> None:
    assert _merge([("stranger", "MKV"), ("x", "MKV")], {"x": {}}) == {"x": {}}


def test_m9_already_aligned_variants_are_kept(make_variant: MakeVariant) -> None:
    aligned = make_variant(seq_start_pos=1, seq_end_pos=1, alignment_start_pos=40)
    aligned["alignment_end_pos"] = 41
    out = _merge([("x_alt", "--MKV")], {"x_alt": {"embedded_variants": [aligned]}})
    assert out["x_alt"]["embedded_variants"] == [aligned]


def test_variants_of_aligned_record_get_columns_on_their_own_row(
    make_variant: MakeVariant,
) -> None:
    doc = {
        "r": {},
        "a": {"embedded_variants": [make_variant(seq_start_pos=2, seq_end_pos=4)]},
    }
    out = _merge([("r", "MAAK"), ("a", "M-AA")], doc)
    assert out["r"] == {}
    variant = out["a"]["embedded_variants"][0]
    assert (variant["alignment_start_pos"], variant["alignment_end_pos"]) == (3, 4)
    assert list(variant) == [*SEQ_VARIANT_KEYS, "alignment_start_pos", "alignment_end_pos"]


def test_duplicate_rows_use_merged_value_and_last_row_wins(make_variant: MakeVariant) -> None:
    doc = {"d": {"embedded_variants": [make_variant(seq_start_pos=2, seq_end_pos=2)]}}
    out = _merge([("d", "MK---"), ("d", "--M-K")], doc)
    variant = out["d"]["embedded_variants"][0]
    assert (variant["alignment_start_pos"], variant["alignment_end_pos"]) == (5, 5)


def test_member_order_differs_for_aligned_and_other_records(make_variant: MakeVariant) -> None:
    value = {"error": "E", "embedded_variants": [], "sequence": "MK"}
    out = _merge([("aligned", "MK")], {"aligned": value, "other": value})
    assert list(out["aligned"]) == ["sequence", "error", "embedded_variants"]
    assert list(out["other"]) == ["sequence", "embedded_variants", "error"]
    value_without_variants = {"error": "E", "sequence": "MK"}
    out = _merge([("plain", "MK")], {"plain": value_without_variants})
    assert list(out["plain"]) == ["sequence", "error"]


def test_aligned_list_on_aligned_record_is_moved_last(make_variant: MakeVariant) -> None:
    aligned = make_variant(alignment_start_pos=1, alignment_end_pos=1)
    value = {"embedded_variants": [aligned], "error": "E"}
    out = _merge([("a", "MK")], {"a": value, "b": value})
    assert list(out["a"]) == ["error", "embedded_variants"]
    assert list(out["b"]) == ["embedded_variants", "error"]
    assert list(out["b"]["embedded_variants"][0])[-2:] == [
        "alignment_start_pos",
        "alignment_end_pos",
    ]


def test_contract_section_9_rows(make_variant: MakeVariant) -> None:
    doc = {
        "C_early_alt": {"embedded_variants": [make_variant(seq_start_pos=4, seq_end_pos=4)]},
        "f_del_alt": {
            "embedded_variants": [
                make_variant(seq_start_pos=2, seq_end_pos=2),
                make_variant(
                    variant_id="del3",
                    genomic_start_pos=26,
                    genomic_end_pos=28,
                    genomic_ref_seq="CCA",
                    genomic_alt_seq="",
                    seq_start_pos=2,
                    seq_end_pos=3,
                    embedded_alt_seq_len=0,
                ),
            ]
        },
        "g_utr_alt": {"embedded_variants": []},
    }
    rows = [
        ("C_early_alt", "MAA------------"),
        ("f_del_alt", "-MDKGPFETWQ----"),
        ("g_utr_alt", "MAAKGPFETWQ----"),
    ]
    out = _merge(rows, doc)
    columns = [
        [(v["alignment_start_pos"], v["alignment_end_pos"]) for v in value["embedded_variants"]]
        for value in out.values()
    ]
    assert columns == [[(4, 4)], [(3, 3), (3, 4)], []]
    assert out["f_del_alt"]["embedded_variants"][1]["seq_substitution_type"] == "deletion"


def test_serialisation_is_ascii_with_default_separators() -> None:
    out = _merge([], {"n\u00e9": {"error": "\U0001f600/"}})
    assert json.dumps(out) == '{"n\\u00e9": {"error": "\\ud83d\\ude00/"}}'
