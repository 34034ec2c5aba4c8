"""The linear Clustal parser against Biopython's (the previous parser, kept here as reference)."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from Bio import Align
from pavi_seqinfo_align.clustal import AlignmentFormatError, read_clustal, read_clustal_rows

HEADER = "CLUSTAL O(1.2.4) multiple sequence alignment\n\n\n"


def biopython_rows(text: str) -> list[tuple[str, str]]:
    """The rows as Biopython's parser gives them (quadratic row access: reference only)."""
    alignments: Any = Align.parse(io.StringIO(text), "clustal")  # type: ignore[no-untyped-call]
    alignment = next(iter(alignments))
    return [(record.id, alignment[i]) for i, record in enumerate(alignment.sequences)]


def biopython_rejects(text: str) -> bool:
    """Whether Biopython refuses ``text`` (or finds no alignment in it)."""
    try:
        rows = biopython_rows(text)
    except (StopIteration, ValueError, AssertionError, IndexError, KeyError):
        return True
    return len({len(row) for _, row in rows}) != 1


def test_same_rows_as_biopython_on_every_test_alignment(testdata: Path) -> None:
    paths = sorted(testdata.rglob("*.aln"))
    assert len(paths) >= 8
    parsed = 0
    for path in paths:
        text = path.read_text()
        if biopython_rejects(text):
            # clustal-output.aln: a row ending in "*", which clustalo's residue count omits
            with pytest.raises(AlignmentFormatError, match="incorrect sequence count"):
                read_clustal_rows(text)
            continue
        rows = read_clustal_rows(text)
        assert rows == biopython_rows(text), path
        parsed += 1
    assert parsed >= 7


def _render(rows: list[tuple[str, str]], rng: random.Random) -> str:
    """A Clustal text of ``rows`` with random block width, residue counts and consensus."""
    width = rng.choice([7, 50, 60, 61])
    counts, consensus = rng.random() < 0.5, rng.random() < 0.7
    pad = max(len(name) for name, _ in rows) + rng.randint(1, 6)
    blocks = []
    totals = [0] * len(rows)
    for start in range(0, len(rows[0][1]), width):
        lines = []
        for index, (name, row) in enumerate(rows):
            chunk = row[start : start + width]
            totals[index] += len(chunk) - chunk.count("-")
            lines.append(f"{name:<{pad}}{chunk}" + (f"\t{totals[index]}" if counts else ""))
        if consensus:
            size = len(rows[0][1][start : start + width])
            lines.append(" " * pad + "".join(rng.choice(" .:*") for _ in range(size)))
        blocks.append("\n".join(lines) + "\n")
    return HEADER + "\n".join(blocks) + rng.choice(["", "\n", "\n\n"])


def test_same_rows_as_biopython_on_generated_alignments() -> None:
    rng = random.Random(7)
    accepted = 0
    for _ in range(80):
        columns = rng.randint(1, 200)
        names = [f"s{i}" for i in range(rng.randint(1, 12))]
        names += rng.sample(names, k=rng.randint(0, 1))  # sometimes a duplicate id
        rows = [(n, "".join(rng.choice("ACDE--x.") for _ in range(columns))) for n in names]
        rows = [(n, r if r.strip("-") else "A" + r[1:]) for n, r in rows]
        text = _render(rows, rng)
        if biopython_rejects(text):
            if not biopython_rejects(text + "\n"):  # one block, no consensus, no blank line
                assert read_clustal_rows(text) == biopython_rows(text + "\n")
                continue
            with pytest.raises(AlignmentFormatError):
                read_clustal_rows(text)
            continue
        assert read_clustal_rows(text) == biopython_rows(text)
        accepted += 1
    assert accepted >= 60


def test_columns_of_gaps_only_are_dropped_like_biopython() -> None:
    text = HEADER + "x A--C-\ny A-.C-\n\n"
    assert read_clustal_rows(text) == biopython_rows(text) == [("x", "A-C"), ("y", "A.C")]


@pytest.mark.parametrize("last_block", ["x AA\ny A\n", "x A\ny AA\n"])
def test_rows_of_different_lengths_are_rejected(last_block: str) -> None:
    """Biopython padded the short row or truncated the long one (its results here even vary
    with what it parsed before in the same process); the reader refuses the file."""
    text = HEADER + "x MKV\ny MKL\n\n" + last_block
    with pytest.raises(AlignmentFormatError, match="rows of different lengths"):
        read_clustal_rows(text)


BAD = [
    "",
    "\n",
    "hello\n\nx_ref MKV\n",
    "CLUSTAL ()\n\nx MKV\n\n",
    HEADER,
    HEADER + "  **\nx MKV\n\n",
    ">x_ref\nMKV\n>x_alt\nMKL\n",
    HEADER + "x MKV extra words\n\n",
    HEADER + "x MKV 2\n\n",
    HEADER + "x MKV three\n\n",
    HEADER + "x MKV\ny MK\n\n",
    HEADER + "x MKV\ny MKL\n  *\n",
    HEADER + "x MKV\ny MKL\n\nx AA\nz AA\n\n",
    HEADER + "x MKV 3\ny MKL 3\n\nx AA 4\ny AA 5\n\n",
    HEADER + "x MKV\ny MKL\n  ***\n\nx AA\ny AA\n  *",
    HEADER + "x \u00e9KV\ny MKL\n\n",
]


@pytest.mark.parametrize("text", BAD)
def test_rejects_what_biopython_rejects(text: str) -> None:
    assert biopython_rejects(text)
    with pytest.raises(AlignmentFormatError) as caught:
        read_clustal_rows(text)
    message = str(caught.value)
    assert message.startswith("not a Clustal alignment (")
    assert "\n" not in message


def test_accepts_what_biopython_accepts() -> None:
    odd = [
        HEADER + "x MKV\ny MKL\n\n",  # a consensus-less block ended by a blank line
        HEADER + "x MKV\ny MKL\n  ***\n\nx AA\ny AA\n  **\n",
        HEADER + "x MKV\ny MKL\n \n",  # an empty consensus is not checked
        "MUSCLE (3.8) multiple sequence alignment\n\nx\tMK-V\ny\tMKL-\n\n",
        HEADER + "x MKV\r\ny MKL\r\n\r\n",
    ]
    for text in odd:
        assert read_clustal_rows(text) == biopython_rows(text)


@pytest.mark.parametrize("text", [HEADER + "x MKV", HEADER + "x MKV\ny MKL\n"])
def test_a_block_ending_the_file_is_read(text: str) -> None:
    """Biopython finds no alignment when the only block runs to the end of the file."""
    assert biopython_rejects(text)
    assert read_clustal_rows(text) == biopython_rows(text + "\n\n")


def test_conservation_line_as_the_previous_report_reader(testdata: Path) -> None:
    """The report's conservation line: the consensus lines, padded to the block's width."""
    texts = [path.read_text() for path in sorted(testdata.rglob("*.aln"))]
    texts += [HEADER + "x MKV\ny MKL\n\nx AA\ny AC\n\n", HEADER + "x MKV\ny MKL\n  *  \n"]
    compared = 0
    for text in texts:
        try:
            alignment = read_clustal(text)
        except AlignmentFormatError:
            continue
        rows, conservation = previous_report_reader(text)
        assert (alignment.rows, alignment.conservation) == (rows, conservation)
        assert len(conservation) == len(rows[0][1])
        compared += 1
    assert compared >= 9
    assert read_clustal(texts[-2]).conservation == " " * 5
    assert read_clustal(texts[-1]).conservation == "*  "


def test_gap_columns_with_a_consensus_line_are_rejected_like_biopython() -> None:
    text = HEADER + "x A--C-\ny A-.C-\n  *:.* \n\n"
    assert biopython_rejects(text)
    with pytest.raises(AlignmentFormatError, match="3 columns, consensus length is 5"):
        read_clustal(text)
    assert read_clustal(HEADER + "x A--C-\ny A-.C-\n\n").conservation == "   "


def previous_report_reader(text: str) -> tuple[list[tuple[str, str]], str]:
    """The report's previous reader (a second reference): rows and conservation line."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith(("CLUSTAL", "MUSCLE", "PROBCONS")):
        raise AlignmentFormatError("not a Clustal alignment (no CLUSTAL header line)")
    names: list[str] = []
    chunks: list[list[str]] = []
    consensus: list[str] = []
    block: list[str] = []  # sequence chunks of the current block
    offset = width = 0
    for number, line in enumerate([*lines[1:], ""], start=2):
        if line[:1].isspace() and line.strip() and block:
            consensus.append(line[offset : offset + width].ljust(width))
            continue
        if not line.strip():
            if block:
                _previous_close(block, chunks, number)
                consensus.extend(" " * width for _ in range(len(chunks[0]) - len(consensus)))
                block = []
            continue
        parts = line.split()
        if len(parts) < 2:
            raise AlignmentFormatError(f"not a Clustal alignment (line {number}: no sequence)")
        if not block:
            offset = len(line) - len(line[len(parts[0]) :].lstrip())
            width = len(parts[1])
        if not chunks:
            names.append(parts[0])
        block.append(parts[1])
    if not chunks:
        raise AlignmentFormatError("not a Clustal alignment (no alignment blocks found)")
    return [(name, "".join(row)) for name, row in zip(names, chunks, strict=True)], "".join(
        consensus
    )


def _previous_close(block: list[str], chunks: list[list[str]], number: int) -> None:
    """Append a finished block's chunks to the rows; blocks must agree in rows and width."""
    if not chunks:
        chunks.extend([chunk] for chunk in block)
    elif len(block) != len(chunks):
        raise AlignmentFormatError(
            f"not a Clustal alignment (block ending at line {number} has {len(block)} rows, "
            f"not {len(chunks)})"
        )
    else:
        for row, chunk in zip(chunks, block, strict=True):
            row.append(chunk)
    if len({len(chunk) for chunk in block}) != 1:
        raise AlignmentFormatError("not a Clustal alignment (rows of different lengths)")
