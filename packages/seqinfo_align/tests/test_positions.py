"""Sequence position → alignment column: docs/cases.md, "L. Alignment columns" and docs/merge.md,
"Position to alignment column"."""

from __future__ import annotations

from pathlib import Path

import pytest
from pavi_seqinfo_align.clustal import read_clustal_rows
from pavi_seqinfo_align.positions import AlignedRow, PositionError


@pytest.mark.parametrize(
    ("row", "positions", "columns"),
    [
        ("--AB-C", [1, 2, 3, 4], [3, 4, 6, 6]),  # L1
        ("--AB-C--", [1, 2, 3, 4], [3, 4, 6, 7]),  # L2
        ("MAA------------", [4], [4]),  # L7: stop-gain one past the protein
        ("-MDKGPFETWQ----", [2, 3], [3, 4]),  # L8
        ("ABC", [1, 3, 4], [1, 3, 3]),  # n + 1 with no column after the last residue
    ],
)
def test_examples(row: str, positions: list[int], columns: list[int]) -> None:
    aligned = AlignedRow(row)
    assert [aligned.column(p) for p in positions] == columns


def _l4_row() -> str:
    # 158 residues, the last in column 169 (11 gaps before it), then 733 gap columns.
    head = "M" * 100 + "-" * 11 + "K" * 58
    return head + "-" * 733


def test_l4_position_after_last_residue_maps_to_next_column() -> None:
    row = _l4_row()
    assert (len(row), row.count("-") + 158) == (902, 902)
    assert AlignedRow(row).column(158) == 169
    assert AlignedRow(row).column(159) == 170


@pytest.mark.parametrize(("position", "words"), [(0, "before the start"), (160, "after the end")])
def test_l5_out_of_range_positions_are_errors(position: int, words: str) -> None:
    with pytest.raises(PositionError, match=words):
        AlignedRow(_l4_row()).column(position)


def test_l6_deletion_flanks_across_a_long_gap() -> None:
    # docs/cases.md, case L6: 82 columns (80 residues), 245 gap columns, then 80 more columns.
    first = "MTVELPS--TQRALVFDTWNGPLEVRQVPVPSPADDEILVKIEYSGICHSDLHVWLGDLKDMSVCPLVGGHEGAGSVVQIGK"
    last = "VTFDTTPFIF-NAITIKGSIVGSRLDVDEAMEFVTRGIVKV------PLELVKLEDVPAVYQRMLDGKINSRAVVDFSL-"
    row = AlignedRow(first + "-" * 245 + last)
    assert (row.columns, row.residues) == (407, 152)
    assert (row.column(80), row.column(81)) == (82, 328)


def test_l3_real_alignment(testdata: Path) -> None:
    text = (testdata / "reference-fixtures/submit-workflow-success-output.aln").read_text()
    rows = dict(read_clustal_rows(text))
    row = AlignedRow(rows["apl-1_C42D8.8a.1_yn32"])
    assert (row.residues, row.columns) == (686, 1265)
    assert row.column(377) == 590


def test_row_without_residues_accepts_only_position_one() -> None:
    assert AlignedRow("---").column(1) == 2
    assert AlignedRow("-").column(1) == 1
    with pytest.raises(PositionError, match="after the end"):
        AlignedRow("---").column(2)


def test_every_residue_maps_to_its_own_column() -> None:
    row = "-A--BC-D-"
    aligned = AlignedRow(row)
    for position in range(1, aligned.residues + 1):
        assert row[aligned.column(position) - 1] != "-"
    assert [aligned.column(p) for p in range(1, 6)] == [2, 5, 6, 8, 9]
