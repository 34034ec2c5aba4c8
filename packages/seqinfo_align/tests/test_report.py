"""The report renderer: marks, escaping, tables, colours, conservation, self-containment."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from pavi_seqinfo_align.models import SeqInfo, parse_seqinfo
from pavi_seqinfo_align.report import FailedEntry, Provenance, render_report
from pavi_seqinfo_align.report_assets import NUCLEOTIDE_CLASSES, PROTEIN_CLASSES

CASES = Path(__file__).resolve().parents[3] / "testdata" / "cases"
ALIGNED_CASES = sorted(p.parent.parent.name for p in CASES.glob("*/expected/aligned_seq_info.json"))
PROV = Provenance(
    versions={"pavi-seqinfo-align": "9.9.9"},
    generated=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    request_sha256="ab" * 32,
)
ParseReport = Callable[[str], Any]
MakeVariant = Callable[..., dict[str, Any]]
PageData = Callable[[str], dict[str, Any]]


def _case(case: str) -> tuple[str, dict[str, Any]]:
    expected = CASES / case / "expected"
    aln = (expected / "alignment-output.aln").read_text()
    return aln, json.loads((expected / "aligned_seq_info.json").read_text())


def _seqinfo(document: dict[str, Any]) -> dict[str, SeqInfo]:
    return {name: parse_seqinfo(value) for name, value in document.items()}


def _expected_marks(document: dict[str, Any]) -> dict[str, dict[tuple[str, str], set[int]]]:
    """variant id -> {(row, "v"): columns, (reference row, "w"): columns} from the JSON."""
    names = list(document)
    wanted: dict[str, dict[tuple[str, str], set[int]]] = {}
    for index, (name, value) in enumerate(document.items()):
        for variant in value.get("embedded_variants") or []:
            cols = set(range(variant["alignment_start_pos"], variant["alignment_end_pos"] + 1))
            marks = wanted.setdefault(variant["variant_id"], {})
            marks[(name, "v")] = cols
            refs = [n for n in names[:index] if n.endswith("_ref")]
            if refs and name.startswith(refs[-1].removesuffix("_ref")):
                marks[(refs[-1], "w")] = cols
    return wanted


def _clustal_consensus(aln: str) -> str:
    """The conservation line read from the Clustal text by hand (not by the code under test)."""
    consensus = ""
    blocks = [b for b in re.split(r"\n\s*\n", aln.split("\n", 1)[1]) if b.strip()]
    for block in blocks:
        lines = block.strip("\n").split("\n")
        first = lines[0]
        offset = len(first) - len(first[len(first.split()[0]) :].lstrip())
        width = len(first.split()[1])
        last = lines[-1] if not lines[-1][:offset].strip() else ""
        consensus += last[offset : offset + width].ljust(width)
    return consensus


def test_there_are_cases_with_variants() -> None:
    assert len(ALIGNED_CASES) >= 5


@pytest.mark.parametrize("case", ALIGNED_CASES)
def test_every_variant_column_is_marked(case: str, parse_report: ParseReport) -> None:
    aln, document = _case(case)
    view = parse_report(render_report(aln, _seqinfo(document), PROV))
    wanted = _expected_marks(document)
    for variant_id, marks in wanted.items():
        assert view.variant_columns(variant_id) == marks, variant_id
    assert len(view.marks) == sum(len(m) for m in wanted.values())


@pytest.mark.parametrize("case", ALIGNED_CASES)
def test_rows_and_conservation_are_the_alignments(case: str, parse_report: ParseReport) -> None:
    aln, document = _case(case)
    view = parse_report(render_report(aln, _seqinfo(document), PROV, block_width=37))
    for line in aln.splitlines()[3:]:
        parts = line.split()
        if len(parts) >= 2 and parts[0] in view.rows:
            assert parts[1] in view.rows[parts[0]]
    assert view.conservation == _clustal_consensus(aln)
    assert set(view.conservation) <= set("*:. ")


def test_variant_spanning_two_blocks_is_marked_in_both(
    parse_report: ParseReport, make_variant: MakeVariant
) -> None:
    aln = (
        "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n"
        "x_ref      MKVLAG\t6\nx_alt      MKVL-G\t5\n           ****.*\n"
    )
    v = make_variant(seq_start_pos=3, seq_end_pos=5, alignment_start_pos=3, alignment_end_pos=6)
    info = {"x_ref": parse_seqinfo({}), "x_alt": parse_seqinfo({"embedded_variants": [v]})}
    html = render_report(aln, info, PROV, block_width=4)
    view = parse_report(html)
    assert view.variant_columns("v1") == {
        ("x_alt", "v"): {3, 4, 5, 6},
        ("x_ref", "w"): {3, 4, 5, 6},
    }
    assert re.findall(r'<pre class="aln" id="b(\d)" data-col="(\d)"></pre>', html) == [
        ("1", "1"),
        ("2", "5"),
    ]


NASTY = '<script>alert("x")</script>&amp;\'q'


def test_every_input_text_is_escaped(make_variant: MakeVariant, page_data: PageData) -> None:
    name = "a<script>\"&'x"
    aln = (
        "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n"
        f"{name}_ref   MKV\t3\n{name}_alt   MKL\t3\n{' ' * len(name)}       **.\n"
    )
    variant = make_variant(
        variant_id=NASTY,
        genomic_ref_seq="<b>",
        genomic_alt_seq='"&',
        alignment_start_pos=3,
        alignment_end_pos=3,
    )
    info = {
        f"{name}_ref": parse_seqinfo({}),
        f"{name}_alt": parse_seqinfo({"embedded_variants": [variant]}),
        "failed<i>": parse_seqinfo({"error": 'bad "input" & <stuff>'}),
    }
    prov = Provenance({"pkg<x>": "1&2"}, PROV.generated, request=NASTY)
    extra = FailedEntry("<entry>", "<why>")
    html = render_report(aln, info, prov, failed=[extra])
    assert html.count("<script") == 2  # the page's JSON and its own script only
    data = page_data(html)  # no raw <, > or & in the JSON
    assert data["names"] == [f"{name}_ref", f"{name}_alt"]
    assert any(NASTY in title and "<b>" in title for title in data["titles"].values())
    for raw in ("<b>&", "<i>", "<stuff>", "<entry>", "<why>", "<x>", "\"&'"):
        assert raw not in html
    for text in (name, NASTY, 'bad "input" & <stuff>', "<entry>", "<why>", "pkg<x>"):
        assert text not in html
        assert text in unescape(html)
    attributes = re.findall(r'title="([^"]*)"', html)
    assert any(NASTY in unescape(a) for a in attributes)


def test_entries_table_lists_lengths_variants_and_failures(make_variant: MakeVariant) -> None:
    aln, document = _case("syn-substitutions")
    info = _seqinfo(document)
    html = render_report(aln, info, PROV, failed=[FailedEntry("007_x", "exit 1: boom")])
    entries = html[html.index('<section id="entries">') :]
    cells = [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", entries)
        if "<td" in row
    ]
    rows: dict[str, str] = {}
    for line in aln.splitlines()[3:]:
        parts = line.split()
        if len(parts) == 3 and parts[0] in document:
            rows[parts[0]] = rows.get(parts[0], "") + parts[1]
    table = {c[0]: c[1:] for c in cells}
    assert list(table) == [*document, "007_x"]
    for name, value in document.items():
        length, variants, status = table[name]
        assert variants == str(len(value.get("embedded_variants") or []))
        if "error" in value:
            assert status == f"failed: {value['error']}"
        else:
            assert length == str(len(rows[name].replace("-", "")))
            assert status == "aligned"
    assert table["007_x"] == ["", "", "failed: exit 1: boom"]
    failures = 1 + sum("error" in value for value in document.values())
    assert failures > 1
    assert f" {failures} failed " in html


def test_nucleotides_are_coloured_one_class_per_base(page_data: PageData) -> None:
    aln = (
        "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n"
        "n1      ACGTUN-ACG\t9\nn2      ACGAANTTCG\t10\n        ***  * .**\n"
    )
    html = render_report(aln, {}, PROV)
    assert page_data(html)["classes"] == NUCLEOTIDE_CLASSES  # N is left plain
    assert "nucleotide" in html
    assert ".A{background:" in html


def test_proteins_are_coloured_by_clustal_groups(page_data: PageData) -> None:
    aln, document = _case("syn-indels")
    html = render_report(aln, _seqinfo(document), PROV)
    assert page_data(html)["classes"] == PROTEIN_CLASSES
    assert set(PROTEIN_CLASSES) == set("ACDEFGHIKLMNPQRSTVWY")
    assert "hydrophobic" in html
    forced = render_report(aln, _seqinfo(document), PROV, alphabet="nucleotide")
    assert page_data(forced)["classes"] == NUCLEOTIDE_CLASSES


def test_provenance_and_self_containment() -> None:
    aln, document = _case("syn-indels")
    html = render_report(aln, _seqinfo(document), PROV)
    assert "9.9.9" in html
    assert "ab" * 32 in html
    assert '<time datetime="2026-01-02T03:04:05Z">2026-01-02 03:04:05 UTC</time>' in html
    assert "CLUSTAL O(1.2.4)" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html
    assert "url(" not in html
    assert "style=" not in html


def test_generated_alignments_stay_small(
    synthetic_results: Callable[[int], tuple[str, dict[str, Any]]], parse_report: ParseReport
) -> None:
    """Sizes stated in the README (regenerate them with the same inputs)."""
    sizes = {}
    for count in (40, 1000):
        aln, document = synthetic_results(count)
        html = render_report(aln, _seqinfo(document), PROV)
        sizes[count] = len(html.encode())
        if count == 40:
            view = parse_report(html)
            for variant_id, marks in _expected_marks(document).items():
                assert view.variant_columns(variant_id) == marks
    assert sizes[40] < 60_000
    assert sizes[1000] < 1_000_000


def test_one_sequence_without_variants(parse_report: ParseReport) -> None:
    aln = "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\nonly      MKVLAG\t6\n"
    html = render_report(aln, {"only": parse_seqinfo({})}, PROV)
    view = parse_report(html)
    assert view.rows == {"only": "MKVLAG"}
    assert view.marks == {}
    assert view.conservation == "      "
    assert "No embedded variants." in html
    assert "<td>only</td><td class='n'>6</td>" in html
