"""The report in a real browser (headless Chromium): it paints, and its DOM marks the columns."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pavi_seqinfo_align.cli import main
from pavi_seqinfo_align.models import parse_seqinfo
from pavi_seqinfo_align.report import Provenance, render_report
from pavi_seqinfo_align.report_assets import EAGER_CELLS, NUCLEOTIDE_CLASSES, PROTEIN_CLASSES

CASES = Path(__file__).resolve().parents[3] / "testdata" / "cases"
BROWSER_CASES = ("syn-indels", "syn-substitutions")
HYDROPHOBIC_BLUE = (0x80, 0xA0, 0xF0)
MARK_BLACK = (0x11, 0x11, 0x11)
RunConsole = Callable[[Callable[..., Any], list[str]], Any]
ParseReport = Callable[[str], Any]
MakeVariant = Callable[..., dict[str, Any]]
PROV = Provenance({"pavi-seqinfo-align": "9.9.9"}, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of Chromium; fails (never skips) with how to install it when missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not on PATH: install it with `apt-get install chromium`")
    return path


def _chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


def _report(case: str, tmp_path: Path, run_console: RunConsole) -> tuple[Path, dict[str, Any]]:
    """report.html made by the merge job on a case's retrieval outputs and alignment."""
    expected = CASES / case / "expected"
    work, results = tmp_path / "work", tmp_path / "results"
    work.mkdir()
    results.mkdir()
    for seqinfo in expected.glob("*-seqinfo.json"):
        shutil.copy(seqinfo, work / seqinfo.name)
    shutil.copy(expected / "alignment-output.aln", results / "alignment-output.aln")
    result = run_console(main, ["--work-prefix", str(work), "--results-prefix", str(results)])
    assert result.code == 0, result.lines
    return results / "report.html", json.loads((results / "aligned_seq_info.json").read_text())


def _case(case: str) -> tuple[str, dict[str, Any]]:
    expected = CASES / case / "expected"
    aln = (expected / "alignment-output.aln").read_text()
    return aln, json.loads((expected / "aligned_seq_info.json").read_text())


def png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, ...]]]:
    """Width, height and the distinct RGB colours of an 8-bit, non-interlaced RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0)
    assert colour in (2, 6)
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    colours: set[tuple[int, ...]] = set()
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(raw[start], line, previous, channels)
        for x in range(0, stride, channels * 2):  # every other pixel is plenty
            colours.add(tuple(line[x : x + 3]))
        previous = line
    return width, height, colours


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
        if kind == 1:
            predictor = left
        elif kind == 3:
            predictor = (left + up) // 2
        else:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
        line[i] = (line[i] + predictor) & 0xFF


def test_report_paints_in_chromium(chromium: str, tmp_path: Path, run_console: RunConsole) -> None:
    report, _ = _report("syn-indels", tmp_path, run_console)
    shot = tmp_path / "report.png"
    _chromium(
        chromium,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1400,1000",
        "--hide-scrollbars",
        report.as_uri(),
    )
    width, height, colours = png_pixels(shot.read_bytes())
    assert (width, height) == (1400, 1000)
    assert len(colours) > 50, f"only {len(colours)} colours: the page looks blank"
    assert HYDROPHOBIC_BLUE in colours  # residues are coloured by the stylesheet
    assert MARK_BLACK in colours  # a variant mark is on screen


@pytest.mark.parametrize("case", BROWSER_CASES)
def test_dom_marks_the_variant_columns(
    case: str,
    chromium: str,
    tmp_path: Path,
    run_console: RunConsole,
    parse_report: ParseReport,
    parse_dom: ParseReport,
) -> None:
    report, document = _report(case, tmp_path, run_console)
    dom = _chromium(chromium, tmp_path / "profile", "--dump-dom", report.as_uri()).stdout.decode()
    view = parse_dom(dom)
    assert 'class="on"' not in dom
    written = parse_report(report.read_text())  # the page's JSON, drawn faithfully
    assert (view.rows, view.conservation, view.marks) == (
        written.rows,
        written.conservation,
        written.marks,
    )
    checked = 0
    for name, value in document.items():
        for variant in value.get("embedded_variants") or []:
            wanted = set(range(variant["alignment_start_pos"], variant["alignment_end_pos"] + 1))
            marked = view.variant_columns(variant["variant_id"])
            assert marked[(name, "v")] == wanted, (name, variant["variant_id"])
            reference = name.rsplit("_", 1)[0] + "_ref"
            assert marked[(reference, "w")] == wanted, (reference, variant["variant_id"])
            checked += 1
    assert checked == sum(len(v.get("embedded_variants") or []) for v in document.values())
    assert checked >= 5


def test_hovering_a_mark_highlights_its_variant(
    chromium: str, tmp_path: Path, run_console: RunConsole
) -> None:
    """The page's hover script, driven by a synthetic mouseover on the first alignment mark."""
    report, _ = _report("syn-indels", tmp_path, run_console)
    hover = (
        "<script>document.querySelector('pre.aln mark.v').dispatchEvent("
        "new MouseEvent('mouseover', {bubbles: true}))</script>"
    )
    page = tmp_path / "hovered.html"
    page.write_text(report.read_text().replace("</body>", hover + "</body>"))
    dom = _chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout.decode()
    tags = re.findall(r"<(\w+)([^>]*)>", dom)
    lit = [(tag, _attr(attrs, "data-v")) for tag, attrs in tags if "on" in _attr(attrs, "class")]
    marks = [_attr(a, "data-v") for t, a in tags if t == "mark" and "v" in _attr(a, "class")]
    number = next(numbers for numbers in marks if numbers)[0]  # the first mark in the alignment
    assert lit, "nothing was highlighted"
    assert all(number in numbers for _, numbers in lit)
    assert sorted(tag for tag, _ in lit) == ["mark", "mark", "tr"]  # its row, its reference's


def _attr(attrs: str, name: str) -> list[str]:
    found = re.search(rf'\b{name}="([^"]*)"', attrs)
    return found.group(1).split() if found else []


def _dump(chromium: str, tmp_path: Path, html: str, *args: str) -> str:
    tmp_path.mkdir(exist_ok=True)
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    done = _chromium(chromium, tmp_path / "profile", *args, "--dump-dom", page.as_uri())
    return done.stdout.decode()


def _coloured_runs(dom: str) -> list[tuple[str, str]]:
    blocks = "".join(re.findall(r'<pre class="aln".*?</pre>', dom, flags=re.S))
    return re.findall(r'<i class="(\w)">([^<]*)</i>', blocks)


def test_blocks_are_drawn_with_names_counts_and_marks(
    chromium: str, tmp_path: Path, make_variant: MakeVariant, parse_dom: ParseReport
) -> None:
    """A variant across two blocks of 4 columns; names that try to inject markup."""
    name = "<img/src=x/onerror=a()>\"&'"  # no spaces: a Clustal id ends at one
    aln = (
        "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n"
        f"{name}_ref      MKVLAG\t6\n{name}_alt      MKVL-G\t5\n"
        f"{' ' * (len(name) + 10)}****.*\n"
    )
    v = make_variant(
        variant_id="<script>x</script>",
        seq_start_pos=3,
        seq_end_pos=5,
        alignment_start_pos=3,
        alignment_end_pos=6,
    )
    info = {
        f"{name}_ref": parse_seqinfo({}),
        f"{name}_alt": parse_seqinfo({"embedded_variants": [v]}),
    }
    dom = _dump(chromium, tmp_path, render_report(aln, info, PROV, block_width=4))
    view = parse_dom(dom)
    assert view.rows == {f"{name}_ref": "MKVLAG", f"{name}_alt": "MKVL-G"}
    assert view.variant_columns("<script>x</script>") == {
        (f"{name}_alt", "v"): {3, 4, 5, 6},
        (f"{name}_ref", "w"): {3, 4, 5, 6},
    }
    assert view.conservation == "****.*"
    assert re.findall(r"</span> (\d+)\n", dom) == ["4", "4", "6", "5"]
    assert "<img" not in dom  # the names stayed text
    assert len(re.findall(r"<script", dom)) == 2  # the page's JSON and its script
    marks = re.findall(r'<mark class="v" data-v="1" title="([^"]*)">', dom)
    assert len(marks) == 2
    assert "&lt;script&gt;x&lt;/script&gt;" in marks[0]


def test_residues_are_coloured_by_class(chromium: str, tmp_path: Path) -> None:
    aln, document = _case("syn-indels")
    info = {name: parse_seqinfo(value) for name, value in document.items()}
    runs = _coloured_runs(_dump(chromium, tmp_path / "p", render_report(aln, info, PROV)))
    assert {cls for cls, _ in runs} == set(PROTEIN_CLASSES.values())
    for cls, text in runs:
        assert {PROTEIN_CLASSES[c] for c in text} == {cls}
    aln = (
        "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n"
        "n1      ACGTUN-ACG\t9\nn2      ACGAANTTCG\t10\n        ***  * .**\n"
    )
    runs = _coloured_runs(_dump(chromium, tmp_path / "n", render_report(aln, {}, PROV)))
    assert {cls for cls, _ in runs} == {"A", "C", "G", "T", "U"}
    for cls, text in runs:
        assert {NUCLEOTIDE_CLASSES[c] for c in text} == {cls}
    assert "".join(text for _, text in runs).count("N") == 0  # N is left plain


def test_a_thousand_sequences_are_drawn_block_by_block(
    chromium: str,
    tmp_path: Path,
    synthetic_results: Callable[[int], tuple[str, dict[str, Any]]],
    parse_report: ParseReport,
    parse_dom: ParseReport,
) -> None:
    """Past EAGER_CELLS the script draws the blocks on screen first, the rest in the
    background; given the (virtual) time, every block is drawn as the JSON says."""
    aln, document = synthetic_results(1000)
    info = {name: parse_seqinfo(value) for name, value in document.items()}
    html = render_report(aln, info, PROV)
    assert EAGER_CELLS < 1000 * 480
    dom = _dump(chromium, tmp_path, html, "--virtual-time-budget=60000")
    drawn, written = parse_dom(dom), parse_report(html)
    assert len(drawn.rows) == 1000
    assert drawn.rows == written.rows
    assert drawn.marks == written.marks
    assert drawn.conservation == written.conservation
